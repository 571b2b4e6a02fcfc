"""Our own tests of xikernel.interpreters (CPython's cases are in
test_interpreters_pool.py, whose helpers and base class these share):
values crossing with and without pickling, large arguments, a worker
whose interpreter ends mid-task, KeyboardInterrupt, the main script's
functions (spawn rules), sys.path, the one-call map. Every test checks on
its way out that nothing is left running (PoolTestCase).
"""

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest

# (test_interpreters_pool also puts python/ on sys.path when xikernel is
# not installed.)
from test_interpreters_pool import (
    PoolTestCase,
    big_result,
    break_pickling,
    bytes_len_and_tail,
    current_interp,
    exit_interp,
    ident,
    interrupt_interp,
    kind_of,
    make_list,
    mul,
    raise_unpicklable,
    return_unpicklable,
    sabotage_and_return,
    signal_then_block,
    spin_until,
)

import _interpqueues

from xikernel import interpreters as xi
from xikernel.interpreters import ExecutionFailed, InterpreterPoolExecutor


class ValuesTest(PoolTestCase):
    def test_codec_values_cross_without_pickling(self):
        # In a worker whose pickling is broken, codec values still cross
        # both ways; a list (not a codec value) cannot.
        with InterpreterPoolExecutor(1, initializer=break_pickling) as ex:
            value = (None, True, -(2**100), 1.5, "lone \udc80", b"\x00bytes", (1, ("a", b"b")))
            self.assertEqual(ex.submit(ident, value).result(), value)
            self.assertEqual(ex.submit(mul, "ab", 3).result(), "ababab")
            # The error cannot be pickled either: it comes as ExecutionFailed.
            with self.assertRaisesRegex(ExecutionFailed, "pickling is off"):
                ex.submit(make_list, 3).result()

    def test_other_values_are_pickled(self):
        ex = self.executor
        self.assertEqual(ex.submit(make_list, 4).result(), [0, 1, 2, 3])
        self.assertEqual(ex.submit(ident, {"a": [1, {2}]}).result(), {"a": [1, {2}]})
        self.assertEqual(ex.submit(kind_of, True).result(), "bool")
        self.assertEqual(ex.submit(kind_of, [1]).result(), "list")

        class IntSub(int):  # local: cannot be pickled, so it is refused
            pass

        with self.assertRaises(Exception):
            ex.submit(ident, IntSub(3))
        # A nested empty tuple (see wire.is_codec_value's workaround).
        self.assertEqual(ex.submit(ident, ((), 1, ((),))).result(), ((), 1, ((),)))

    def test_results_and_order(self):
        n = 2000
        self.assertEqual(list(self.executor.map(mul, range(n), range(n))), [i * i for i in range(n)])
        for chunksize in (1, 7, 500, 5000):
            self.assertEqual(
                list(self.executor.map(ident, range(n), chunksize=chunksize)), list(range(n))
            )
        self.assertEqual(list(self.executor.map(ident, [])), [])

    def test_large_arguments(self):
        big = os.urandom(1 << 20) * 24  # 24 MiB, a codec value
        self.assertEqual(self.executor.submit(bytes_len_and_tail, big).result(), (len(big), big[-3:]))
        self.assertEqual(len(self.executor.submit(big_result, 1 << 24).result()), 1 << 24)
        rows = list(range(300_000))  # pickled
        self.assertEqual(self.executor.submit(len, rows).result(), 300_000)

    def test_unpicklable_result(self):
        with self.assertRaises(Exception) as cm:
            self.executor.submit(return_unpicklable).result()
        self.assertIn("<lambda>", str(cm.exception))
        self.assertEqual(self.executor.submit(ident, 5).result(), 5)

    def test_unpicklable_exception(self):
        with self.assertRaises(ExecutionFailed) as cm:
            self.executor.submit(raise_unpicklable).result()
        info = cm.exception.excinfo
        self.assertEqual(info.type.__name__, "Unpicklable")
        self.assertEqual(info.msg, "cannot travel")
        self.assertIn("raise_unpicklable", info.errdisplay)


class WorkerLostTest(PoolTestCase):
    def _replaced(self, task, exc_type):
        ex = InterpreterPoolExecutor(1)
        before = ex.submit(current_interp).result()[0]
        with self.assertRaises(exc_type):
            ex.submit(task).result()
        after = ex.submit(current_interp).result()[0]
        self.assertNotEqual(before, after, "the worker's interpreter was not replaced")
        self.assertEqual(list(ex.map(mul, range(5), range(5))), [0, 1, 4, 9, 16])
        self.assertEqual(len(ex._threads), 1)
        ex.shutdown()

    def test_system_exit(self):
        self._replaced(_exit3, SystemExit)

    def test_keyboard_interrupt_in_task(self):
        self._replaced(interrupt_interp, KeyboardInterrupt)

    def test_loop_dies_after_task(self):
        # The task returns but its interpreter cannot report: the future
        # gets the error from the main interpreter's post-mortem.
        ex = InterpreterPoolExecutor(1)
        with self.assertRaises(ExecutionFailed) as cm:
            ex.submit(sabotage_and_return, 1).result()
        self.assertIn("sending is broken", str(cm.exception))
        self.assertEqual(ex.submit(ident, 2).result(), 2)
        ex.shutdown()

    def test_exit_while_others_queued(self):
        ex = InterpreterPoolExecutor(1)
        fs = [ex.submit(ident, i) if i != 5 else ex.submit(exit_interp, 1) for i in range(20)]
        ex.shutdown()
        for i, f in enumerate(fs):
            if i == 5:
                self.assertIsInstance(f.exception(), SystemExit)
            else:
                self.assertEqual(f.result(), i)


def _exit3():
    raise SystemExit(3)


def _cut_short(fut):
    """Cancelled, or failed with KeyboardInterrupt before it could start."""
    return fut.cancelled() or isinstance(fut.exception(), KeyboardInterrupt)


class KeyboardInterruptTest(PoolTestCase):
    def test_ctrl_c_during_shutdown_wait(self):
        # As ProcessPoolExecutor: Ctrl-C reaches the main thread while it
        # waits in shutdown(wait=True). Here it also cancels what has not
        # started; what runs finishes; the pool then stops by itself.
        release, started = self.queue(), self.queue()
        ex = InterpreterPoolExecutor(1)
        running = ex.submit(signal_then_block, started, release, "done")
        _interpqueues.get_wait(started)
        waiting = [ex.submit(ident, i) for i in range(10)]
        main = threading.main_thread()
        # Know when the main thread is inside shutdown's wait: the worker
        # thread's join tells. (Not sys._current_frames(): in 3.13 it walks
        # the frames of running sub-interpreters too, racing with their
        # own GIL, and can crash the process.)
        (worker,) = ex._threads
        joining = threading.Event()
        real_join = worker.join

        def join(*args):
            joining.set()
            return real_join(*args)

        worker.join = join

        caught = threading.Event()

        def interrupt_when_joining():
            joining.wait()
            # A SIGINT that lands just before the join blocks in C is seen
            # only when the join returns (CPython's race): send again while
            # the main thread has not caught it (a few times, then give up:
            # the test fails instead of hanging).
            for _ in range(5):
                signal.pthread_kill(main.ident, signal.SIGINT)
                if caught.wait(2):
                    return

        t = threading.Thread(target=interrupt_when_joining)
        t.start()
        try:
            with self.assertRaises(KeyboardInterrupt):
                ex.shutdown(wait=True)
        finally:
            caught.set()
            t.join()
        try:
            # The tasks that could still be cancelled were.
            self.assertTrue(any(f.cancelled() for f in waiting))
        finally:
            # The running one is blocked in C (a kernel wait): it gets its
            # KeyboardInterrupt as soon as that returns.
            _interpqueues.put(release, None, 0, 1)
            ex.shutdown(wait=True)
        self.assertIsInstance(running.exception(), KeyboardInterrupt)
        for f in waiting:
            self.assertTrue(_cut_short(f) or f.result() in range(10))

    def test_ctrl_c_in_with_block_interrupts_running_tasks(self):
        # A CPU-bound task that would spin until released: Ctrl-C in the
        # with block (here raised directly: deterministic) interrupts it.
        release, started = self.queue(), self.queue()
        try:
            with self.assertRaises(KeyboardInterrupt):
                with InterpreterPoolExecutor(2) as ex:
                    spinning = [ex.submit(spin_until, started, release) for _ in range(2)]
                    queued = [ex.submit(ident, i) for i in range(10)]
                    _interpqueues.get_wait(started)
                    _interpqueues.get_wait(started)
                    raise KeyboardInterrupt
        finally:
            _interpqueues.put(release, None, 0, 1)  # a failure must not hang
        for f in spinning:
            self.assertIsInstance(f.exception(), KeyboardInterrupt)
        self.assertTrue(all(_cut_short(f) or f.result() in range(10) for f in queued))
        self.assertTrue(any(f.cancelled() for f in queued))


def _child_env():
    """A child process that sees the same xikernel as this process."""
    import sysconfig

    import xikernel

    env = dict(os.environ)
    pkg = os.path.abspath(list(xikernel.__path__)[0])
    if os.path.dirname(pkg) == os.path.abspath(sysconfig.get_path("purelib")):
        return env  # installed: the child (same python) finds it itself
    # A checkout: python/ for the package, python/build for the modules.
    paths = [os.path.dirname(os.path.abspath(_interpqueues.__file__)), os.path.dirname(pkg)]
    env["PYTHONPATH"] = os.pathsep.join([p for p in (*paths, env.get("PYTHONPATH")) if p])
    return env


class SpawnRulesTest(unittest.TestCase):
    def _run(self, source, *args):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "script.py")
            with open(path, "w") as f:
                f.write(textwrap.dedent(source))
            p = subprocess.run(
                [sys.executable, path, *args], env=_child_env(), cwd=d, capture_output=True, text=True,
                timeout=300,
            )
            self.assertEqual(p.returncode, 0, p.stderr)
            return p.stdout

    def test_main_script_functions_and_classes(self):
        out = self._run("""
            from xikernel.interpreters import InterpreterPoolExecutor, map as pmap

            class Point:
                def __init__(self, x):
                    self.x = x

            def double(p):
                return Point(p.x * 2)

            def square(x):
                return x * x

            if __name__ == "__main__":
                with InterpreterPoolExecutor(2) as ex:
                    print(ex.submit(square, 7).result())
                    print(ex.submit(double, Point(21)).result().x)
                print(pmap(square, range(10)))
        """)
        self.assertEqual(out.split("\n")[:3], ["49", "42", str([i * i for i in range(10)])])

    def test_sys_path_and_cwd(self):
        out = self._run("""
            import os, sys
            from xikernel.interpreters import InterpreterPoolExecutor
            sys.path.append(os.path.join(os.getcwd(), "extra"))
            os.makedirs("extra")
            with open("extra/far_module.py", "w") as f:
                f.write("VALUE = 'found'\\n")

            if __name__ == "__main__":
                with InterpreterPoolExecutor(1) as ex:
                    print(ex.submit(os.getcwd).result() == os.getcwd())
                    print(ex.submit(exec, "import far_module; assert far_module.VALUE == 'found'").result())
        """)
        self.assertEqual(out.split("\n")[:2], ["True", "None"])

    def test_repl_function_fails_clearly(self):
        code = textwrap.dedent("""
            from xikernel.interpreters import InterpreterPoolExecutor
            def f():
                return 1
            with InterpreterPoolExecutor(1) as ex:
                try:
                    ex.submit(f).result()
                except AttributeError as e:
                    print("refused:", "__main__" in str(e))
        """)
        p = subprocess.run([sys.executable, "-c", code], env=_child_env(), capture_output=True, text=True, timeout=300)
        self.assertEqual(p.stdout.strip(), "refused: True", p.stderr)


class OneCallMapTest(PoolTestCase):
    def test_map(self):
        self.assertEqual(xi.map(mul, [(1, 2)] * 0), [])
        self.assertEqual(xi.map(abs, range(-50, 50), workers=2), [abs(i) for i in range(-50, 50)])
        self.assertEqual(xi.map(abs, iter(range(-5, 5)), chunksize=3, workers=1), [5, 4, 3, 2, 1, 0, 1, 2, 3, 4])
        with self.assertRaises(ZeroDivisionError):
            xi.map(_inverse, [1, 0, 2], workers=2)


def _inverse(x):
    return 1 / x


if __name__ == "__main__":
    unittest.main()
