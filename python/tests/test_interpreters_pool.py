"""Tests of xikernel.interpreters (the sub-interpreter pool).

Three groups:
- CPython's generic executor tests (Lib/test/test_concurrent_futures/
  executor.py, test_shutdown.py) that apply, rewritten for this pool;
- CPython 3.14's test_interpreter_pool.py cases that apply to the API
  (same names, so they can be compared);
- our own: values crossing with and without pickling, large arguments, a
  worker whose interpreter ends mid-task, KeyboardInterrupt, the main
  script's functions (spawn rules), sys.path, and nothing left running.

Blocking tasks wait on a kernel queue (`_interpqueues.get_wait`) that the
test releases, never on a sleep, so no test depends on the machine's speed.
Run with python/build first on PYTHONPATH (python/run-cpython-tests.sh).
"""

import concurrent.futures as cf
import contextlib
import gc
import io
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest
import weakref

try:
    import xikernel.interpreters  # noqa: F401
except ImportError:
    # Not installed: the checkout's python/ (xikernel is a namespace
    # package until the package lands its __init__).
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import _interpqueues
import _interpreters

from xikernel import interpreters as xi
from xikernel.interpreters import (
    BrokenInterpreterPool,
    ExecutionFailed,
    InterpreterPoolExecutor,
)

# -- functions the workers run (module level: found by reference) --------


def mul(x, y):
    return x * y


def capture(*args, **kwargs):
    return args, kwargs


def noop():
    pass


def ident(x):
    return x


def fail(exctype, msg=None):
    raise exctype(msg)


def get_current_name():
    return __name__


def current_interp(*extra):
    return (_interpreters.get_current()[0], *extra)


def write_msg(fd, msg):
    os.write(fd, msg + b"\0")


def read_msg(fd):
    msg = b""
    while ch := os.read(fd, 1):
        if ch == b"\0":
            return msg
        msg += ch
    return msg


def block_on(qid, value=None):
    """Waits (kernel wake-up, GIL released) until the test puts on `qid`.

    `qid` None: returns at once.
    """
    if qid is not None:
        _interpqueues.get_wait(qid)
    return value


def signal_then_block(started, release, value=None):
    _interpqueues.put(started, value, 0, 1)
    _interpqueues.get_wait(release)
    # Some Python code after the C call: an interrupt that arrived during
    # the wait surfaces here (asynchronous exceptions are checked between
    # bytecodes, not when a C call returns into a `return`).
    for _ in range(3):
        pass
    return value


def spin_until(started, release):
    """Pure-Python busy loop (no C call to return from) until released."""
    _interpqueues.put(started, None, 0, 1)
    count = _interpqueues.get_count
    n = 0
    while not count(release):
        n += 1
    return n


def exit_interp(code):
    raise SystemExit(code)


def interrupt_interp():
    raise KeyboardInterrupt("from the task")


def kind_of(x):
    return type(x).__name__


def make_list(n):
    return list(range(n))


def bytes_len_and_tail(b):
    return len(b), b[-3:]


def big_result(n):
    return b"x" * n


def return_unpicklable():
    return lambda: None


def break_pickling():
    """Initializer: any pickling in this worker fails from now on."""
    from xikernel._pool import wire

    def refuse(obj):
        raise RuntimeError("pickling is off in this worker")

    wire.dumps = refuse


def sabotage_and_return(value):
    """Returns, but the worker can send nothing anymore: the loop dies."""
    from xikernel._pool import worker

    def refuse(item):
        raise RuntimeError("the worker's sending is broken")

    worker._send = refuse
    return value


class MyObject:
    def my_method(self):
        pass


def make_dummy_object(_):
    return MyObject()


class PickleShenanigans:
    """Pickles fine, fails when unpickled (3.14's test_pickle_errors_propagate)."""

    def __init__(self, value):
        if value == 1:
            raise RuntimeError("gotcha")

    def __reduce__(self):
        return (self.__class__, (1,))


class Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("no pickling of this exception")


def raise_unpicklable():
    raise Unpicklable("cannot travel")


def _queue():
    qid = _interpqueues.create(0, 0, 1)
    return qid


def _snapshot():
    return (
        sorted(i for i, *_ in _interpreters.list_all()),
        sorted(t.ident for t in threading.enumerate()),
        sorted(q for q, *_ in _interpqueues.list_all()),
    )


class PoolTestCase(unittest.TestCase):
    """Each test starts from, and must return to, the same process state."""

    def setUp(self):
        self._before = _snapshot()
        self.queues = []
        self.executor = InterpreterPoolExecutor(2)

    def tearDown(self):
        self.executor.shutdown(wait=True)
        for q in self.queues:
            try:
                _interpqueues.destroy(q)
            except _interpqueues.QueueNotFoundError:
                pass
        gc.collect()
        self.assertEqual(_snapshot(), self._before, "leaked interpreters, threads or queues")

    def queue(self):
        q = _queue()
        self.queues.append(q)
        return q

    def pipe(self):
        r, w = os.pipe()
        self.addCleanup(os.close, r)
        self.addCleanup(os.close, w)
        return r, w


# -- CPython's generic executor tests (executor.py) -----------------------


class ExecutorTest(PoolTestCase):
    def test_submit(self):
        self.assertEqual(self.executor.submit(pow, 2, 8).result(), 256)

    def test_submit_keyword(self):
        self.assertEqual(self.executor.submit(mul, 2, y=8).result(), 16)
        fut = self.executor.submit(capture, 1, self=2, fn=3)
        self.assertEqual(fut.result(), ((1,), {"self": 2, "fn": 3}))
        with self.assertRaises(TypeError):
            self.executor.submit(fn=capture, arg=1)
        with self.assertRaises(TypeError):
            self.executor.submit(arg=1)

    def test_map(self):
        expect = list(map(pow, range(10), range(10)))
        self.assertEqual(list(self.executor.map(pow, range(10), range(10))), expect)
        self.assertEqual(
            list(self.executor.map(pow, range(10), range(10), chunksize=3)), expect
        )

    def test_map_exception(self):
        i = self.executor.map(divmod, [1, 1, 1, 1], [2, 3, 0, 5])
        self.assertEqual(next(i), (0, 1))
        self.assertEqual(next(i), (0, 1))
        with self.assertRaises(ZeroDivisionError):
            next(i)

    def test_map_timeout(self):
        # CPython's uses sleeps of 0, 0, 6 s and a 5 s timeout; here the
        # third call blocks until released, so only the timeout can end it.
        release = self.queue()
        self.executor.submit(noop).result()  # workers up before the clock starts
        results = []
        with self.assertRaises(cf.TimeoutError):
            for r in self.executor.map(block_on, [None, None, release], [1, 2, 3], timeout=2):
                results.append(r)
        self.assertEqual(results, [1, 2])
        _interpqueues.put(release, None, 0, 1)

    def test_shutdown_race_issue12456(self):
        self.executor.map(str, [2] * 3)
        self.executor.shutdown()

    def test_no_stale_references(self):
        my_object = MyObject()
        collected = threading.Event()
        ref = weakref.ref(my_object, lambda _: collected.set())  # noqa: F841
        self.executor.submit(my_object.my_method)  # future discarded
        del my_object
        gc.collect()
        self.assertTrue(collected.wait(30), "stale reference kept by the pool")

    def test_max_workers_negative(self):
        for number in (0, -1):
            with self.assertRaisesRegex(ValueError, "max_workers must be greater than 0"):
                InterpreterPoolExecutor(max_workers=number)

    def test_free_reference(self):
        for obj in self.executor.map(make_dummy_object, range(10)):
            wr = weakref.ref(obj)
            del obj
            gc.collect()
            self.assertIsNone(wr())


# -- CPython's generic shutdown tests (test_shutdown.py) ------------------


class ShutdownTest(PoolTestCase):
    def test_run_after_shutdown(self):
        self.executor.shutdown()
        with self.assertRaisesRegex(RuntimeError, "cannot schedule new futures after shutdown"):
            self.executor.submit(pow, 2, 5)

    def test_context_manager_shutdown(self):
        with InterpreterPoolExecutor(2) as e:
            self.assertEqual(list(e.map(abs, range(-5, 5))), [5, 4, 3, 2, 1, 0, 1, 2, 3, 4])
            threads = list(e._threads)
        for t in threads:
            self.assertFalse(t.is_alive())

    def test_del_shutdown(self):
        executor = InterpreterPoolExecutor(2)
        res = executor.map(abs, range(-5, 5))
        threads = list(executor._threads)
        collector = executor._pool.collector
        del executor
        gc.collect()
        for t in threads + [collector]:
            t.join(60)
            self.assertFalse(t.is_alive())
        self.assertEqual(list(res), [5, 4, 3, 2, 1, 0, 1, 2, 3, 4])

    def test_shutdown_no_wait(self):
        executor = InterpreterPoolExecutor(2)
        res = executor.map(abs, range(-5, 5))
        threads = list(executor._threads)
        collector = executor._pool.collector
        executor.shutdown(wait=False)
        for t in threads + [collector]:
            t.join(60)
            self.assertFalse(t.is_alive())
        # The work queued before shutdown still ran.
        self.assertEqual(list(res), [5, 4, 3, 2, 1, 0, 1, 2, 3, 4])

    def test_cancel_futures(self):
        release = self.queue()
        started = self.queue()
        ex = InterpreterPoolExecutor(1)
        running = ex.submit(signal_then_block, started, release, "ran")
        _interpqueues.get_wait(started)  # the worker is inside the task
        # One more fills the worker's queue slots (2 per worker), the rest
        # wait in the pool, cancellable.
        queued = ex.submit(ident, "queued")
        later = [ex.submit(ident, i) for i in range(20)]
        ex.shutdown(wait=False, cancel_futures=True)
        _interpqueues.put(release, None, 0, 1)
        ex.shutdown(wait=True)
        self.assertEqual(running.result(), "ran")
        self.assertEqual(queued.result(), "queued")
        self.assertTrue(all(f.cancelled() for f in later))

    def test_shutdown_runs_pending_work(self):
        # As ProcessPoolExecutor: without cancel_futures, what was submitted
        # before shutdown runs, even what had to wait for a worker.
        release = self.queue()
        started = self.queue()
        ex = InterpreterPoolExecutor(1)
        first = ex.submit(signal_then_block, started, release, 0)
        _interpqueues.get_wait(started)
        rest = [ex.submit(mul, i, i) for i in range(1, 30)]
        ex.shutdown(wait=False)
        _interpqueues.put(release, None, 0, 1)
        ex.shutdown(wait=True)
        self.assertEqual([first.result()] + [f.result() for f in rest], [i * i for i in range(30)])

    def test_cancel_pending(self):
        release = self.queue()
        started = self.queue()
        ex = InterpreterPoolExecutor(1)
        running = ex.submit(signal_then_block, started, release, 1)
        _interpqueues.get_wait(started)
        waiting = [ex.submit(ident, i) for i in range(10)]
        self.assertFalse(running.cancel())
        self.assertTrue(waiting[-1].cancel())
        _interpqueues.put(release, None, 0, 1)
        self.assertEqual([f.result() for f in waiting[:-1]], list(range(9)))
        self.assertTrue(waiting[-1].cancelled())
        ex.shutdown()


# -- CPython 3.14's test_interpreter_pool.py ------------------------------


class InterpreterPoolExecutorTest(PoolTestCase):
    def test_init_script(self):  # an expected failure in 3.14.0; works here
        msg1, msg2 = b"step: init", b"step: run"
        r, w = self.pipe()
        initscript = f"import os\nmsg = {msg2!r}\nos.write({w}, {msg1!r} + b'\\0')\n"
        script = f"os.write({w}, msg + b'\\0')"
        os.write(w, b"\0")
        executor = InterpreterPoolExecutor(initializer=initscript)
        before_init = os.read(r, 100)
        fut = executor.submit(script)
        after_init = read_msg(r)
        fut.result()
        after_run = read_msg(r)
        executor.shutdown()
        self.assertEqual(before_init, b"\0")
        self.assertEqual(after_init, msg1)
        self.assertEqual(after_run, msg2)

    def test_init_script_args(self):
        with self.assertRaises(ValueError):
            InterpreterPoolExecutor(initializer="pass", initargs=("spam",))

    def test_init_func(self):
        msg = b"step: init"
        r, w = self.pipe()
        os.write(w, b"\0")
        executor = InterpreterPoolExecutor(initializer=write_msg, initargs=(w, msg))
        before = os.read(r, 100)
        executor.submit(mul, 10, 10).result()
        after = read_msg(r)
        executor.shutdown()
        self.assertEqual(before, b"\0")
        self.assertEqual(after, msg)

    def test_init_closure(self):
        count = 0

        def init1():
            assert count == 0, count

        def init2():
            nonlocal count
            count += 1

        with self.assertRaises(pickle.PicklingError):
            InterpreterPoolExecutor(initializer=init1)
        with self.assertRaises(pickle.PicklingError):
            InterpreterPoolExecutor(initializer=init2)

    def test_init_instance_method(self):
        class Spam:
            def initializer(self):
                raise NotImplementedError

        with self.assertRaises(pickle.PicklingError):
            InterpreterPoolExecutor(initializer=Spam().initializer)

    def test_init_shared(self):
        msg = b"eggs"
        r, w = self.pipe()
        script = (
            "import os\n"
            "if __name__ != '__main__':\n"
            "    import __main__\n"
            "    spam = __main__.spam\n"
            f"os.write({w}, spam + b'\\0')\n"
        )
        executor = InterpreterPoolExecutor(shared={"spam": msg})
        executor.submit(exec, script).result()
        executor.shutdown()
        self.assertEqual(read_msg(r), msg)

    def _check_broken(self, executor):
        with executor:
            with contextlib.redirect_stderr(io.StringIO()) as stderr:
                fut = executor.submit(noop)
                with self.assertRaises(BrokenInterpreterPool):
                    fut.result()
        stderr = stderr.getvalue()
        self.assertIn("ExecutionFailed: Exception: spam", stderr)
        self.assertIn("Uncaught in the interpreter:", stderr)
        self.assertIn("The above exception was the direct cause of the following exception:", stderr)
        with self.assertRaises(BrokenInterpreterPool):
            executor.submit(noop)

    def test_init_exception_in_script(self):  # an expected failure in 3.14.0
        self._check_broken(InterpreterPoolExecutor(initializer='raise Exception("spam")'))

    def test_init_exception_in_func(self):
        self._check_broken(InterpreterPoolExecutor(initializer=fail, initargs=(Exception, "spam")))

    def test_submit_script(self):  # an expected failure in 3.14.0
        r, w = self.pipe()
        script = f"import os\nos.write({w}, __name__.encode('utf-8') + b'\\0')\n"
        res = self.executor.submit(script).result()
        self.assertEqual(read_msg(r), b"__main__")
        self.assertIsNone(res)

    def test_submit_closure(self):
        spam = True

        def task1():
            return spam

        def task2():
            nonlocal spam
            spam += 1
            return spam

        with self.assertRaises(pickle.PicklingError):
            self.executor.submit(task1)
        with self.assertRaises(pickle.PicklingError):
            self.executor.submit(task2)

    def test_submit_local_instance(self):
        class Spam:
            def __init__(self):
                self.value = True

        with self.assertRaises(pickle.PicklingError):
            self.executor.submit(Spam)

    def test_submit_instance_method(self):
        class Spam:
            def run(self):
                return True

        with self.assertRaises(pickle.PicklingError):
            self.executor.submit(Spam().run)

    def test_submit_func_globals(self):
        name = self.executor.submit(get_current_name).result()
        self.assertEqual(name, __name__)
        self.assertNotEqual(name, "__main__")

    def _check_exception(self, fut):
        with self.assertRaises(Exception) as captured:
            fut.result()
        self.assertIs(type(captured.exception), Exception)
        self.assertEqual(str(captured.exception), "spam")
        cause = captured.exception.__cause__
        self.assertIs(type(cause), ExecutionFailed)
        for attr in ("__name__", "__qualname__", "__module__"):
            self.assertEqual(getattr(cause.excinfo.type, attr), getattr(Exception, attr))
        self.assertEqual(cause.excinfo.msg, "spam")
        return cause

    def test_submit_exception_in_script(self):  # an expected failure in 3.14.0
        self._check_exception(self.executor.submit('raise Exception("spam")'))

    def test_submit_exception_in_func(self):
        cause = self._check_exception(self.executor.submit(fail, Exception, "spam"))
        # Ours also keeps the worker's traceback text, without the pool's frames.
        self.assertIn("in fail", cause.excinfo.errdisplay)
        self.assertIn("raise exctype(msg)", cause.excinfo.errdisplay)
        self.assertNotIn("_run_task", cause.excinfo.errdisplay)
        self.assertIn("Uncaught in the interpreter:", str(cause))

    def test_saturation(self):
        blocker = self.queue()
        executor = InterpreterPoolExecutor(4)
        for _ in range(15 * executor._max_workers):
            executor.submit(block_on, blocker)
        self.assertEqual(len(executor._threads), executor._max_workers)
        for _ in range(15 * executor._max_workers):
            _interpqueues.put(blocker, None, 0, 1)
        executor.shutdown(wait=True)

    def test_idle_thread_reuse(self):
        executor = InterpreterPoolExecutor()
        executor.submit(mul, 21, 2).result()
        executor.submit(mul, 6, 7).result()
        executor.submit(mul, 3, 14).result()
        self.assertEqual(len(executor._threads), 1)
        executor.shutdown(wait=True)

    def test_pickle_errors_propagate(self):
        fut = self.executor.submit(PickleShenanigans(0))
        with self.assertRaisesRegex(RuntimeError, "gotcha"):
            fut.result()


class AsyncioTest(PoolTestCase):
    def test_run_in_executor(self):
        import asyncio

        main_id = _interpreters.get_current()[0]

        async def go():
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self.executor, current_interp, "yo")

        interpid, res = asyncio.run(go())
        self.assertEqual(res, "yo")
        self.assertNotEqual(interpid, main_id)

    # 3.14's test_default_executor is not ported: 3.13's
    # loop.set_default_executor() accepts only ThreadPoolExecutor instances
    # (3.14's InterpreterPoolExecutor is a subclass of it; this one is a
    # plain Executor, so its threads are not exposed as a thread pool's).


# -- ours -----------------------------------------------------------------


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

        def interrupt_when_joining():
            joining.wait()
            # A SIGINT that lands just before the join blocks in C is seen
            # only when the join returns (CPython's race): send again until
            # the pool's handler has visibly run (it cancels the waiting).
            while True:
                signal.pthread_kill(main.ident, signal.SIGINT)
                deadline = time.monotonic() + 2
                while time.monotonic() < deadline:
                    if any(f.cancelled() for f in waiting):
                        return
                    time.sleep(0.01)

        t = threading.Thread(target=interrupt_when_joining)
        t.start()
        with self.assertRaises(KeyboardInterrupt):
            ex.shutdown(wait=True)
        t.join()
        # The tasks that could still be cancelled were.
        self.assertTrue(any(f.cancelled() for f in waiting))
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
