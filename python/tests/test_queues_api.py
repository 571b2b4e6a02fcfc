"""Tests of `xikernel.queues`, the people-facing queue API: CPython's own
queue suite run with `xikernel.queues` as its wrapper (same API), values
decoded across interpreters, blocking calls woken by the kernel (never a
polling loop), fractional timeouts, unbound policies, Ctrl-C, and
coexistence with CPython's wrapper.

Run by python/run-cpython-tests.sh, with the developer build (python/build
and python/ on PYTHONPATH) or with the installed package.
"""

import os
import pickle
import pydoc
import subprocess
import sys
import textwrap
import threading
import unittest

try:
    from xikernel import queues
except ImportError as e:  # CPython's _interpqueues, or no package on the path
    queues = None
    why = str(e)

from test.support import interpreters


def setUpModule():
    if queues is None:
        raise unittest.SkipTest(f"xikernel.queues unavailable: {why}")


def run_py(code, timeout=120):
    """Runs `code` in a fresh interpreter with this one's environment."""
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                       capture_output=True, text=True, timeout=timeout,
                       cwd=os.path.dirname(os.path.abspath(__file__)))
    if r.returncode != 0:
        raise AssertionError(f"exit {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r.stdout


class CPythonSuiteTests(unittest.TestCase):
    def test_cpython_queue_suite_passes_with_xikernel_queues_as_wrapper(self):
        # CPython's test_interpreters.test_queues, with its `queues` module
        # (test.support.interpreters.queues) replaced by ours in the main
        # interpreter. A fresh process: the swap must happen before the
        # suite imports the wrapper.
        out = run_py("""
            import sys, unittest
            import test.support.interpreters as I
            import xikernel.queues as XQ
            sys.modules["test.support.interpreters.queues"] = XQ
            I.queues = XQ
            from test.test_interpreters import test_queues
            assert test_queues.queues is XQ
            r = unittest.main(module=test_queues, exit=False, verbosity=0).result
            print(r.testsRun, len(r.failures), len(r.errors), len(r.skipped))
            """, timeout=600)
        run, failures, errors, skipped = map(int, out.split()[-4:])
        self.assertGreaterEqual(run, 31)
        self.assertEqual((failures, errors), (0, 0), out)


class Base(unittest.TestCase):
    def setUp(self):
        self.interps = []

    def tearDown(self):
        for i in self.interps:
            try:
                i.close()
            except Exception:
                pass

    def sub(self):
        i = interpreters.create()
        self.interps.append(i)
        return i


class ValueTests(Base):
    def test_pickled_items_come_back_as_objects(self):
        # The default queue pickles: get() must unpickle (the low-level
        # get_wait returns the raw (bytes, fmt, unboundop) tuple).
        q = queues.create()
        s = self.sub()
        s.prepare_main(q=q)
        s.exec("q.put({'from': 'sub', 'n': 2**100, 'l': [1, 2]})")
        self.assertEqual(q.get(timeout=10), {"from": "sub", "n": 2**100, "l": [1, 2]})

    def test_syncobj_items_cross_unpickled(self):
        q = queues.create(syncobj=True)
        s = self.sub()
        s.prepare_main(q=q)
        s.exec("q.put((2**100, 'lone \\udc80', b'bytes', 1.5, None, True))")
        self.assertEqual(q.get(timeout=10), (2**100, "lone \udc80", b"bytes", 1.5, None, True))
        with self.assertRaises(interpreters.NotShareableError):
            q.put([1])

    def test_per_call_syncobj_overrides_the_default(self):
        q = queues.create()
        q.put_nowait(b"raw", syncobj=True)
        q.put_nowait([1, 2], syncobj=False)
        self.assertEqual(q.get_nowait(), b"raw")
        self.assertEqual(q.get_nowait(), [1, 2])

    def test_a_queue_arrives_as_a_queue_of_this_module(self):
        q = queues.create()
        s = self.sub()
        s.prepare_main(q=q)
        s.exec("import sys\nq.put((type(q).__module__, 'test.support.interpreters.queues' in sys.modules))")
        self.assertEqual(q.get(timeout=10), ("xikernel.queues", False))

    def test_one_object_per_id(self):
        q = queues.create(3)
        self.assertIs(queues.Queue(q.id), q)
        self.assertIn(q, queues.list_all())
        self.assertEqual((q.maxsize, q.qsize(), q.empty(), q.full()), (3, 0, True, False))
        self.assertEqual(repr(q), f"Queue({q.id})")
        self.assertIs(pickle.loads(pickle.dumps(q)), q)
        with self.assertRaises(TypeError):
            queues.Queue("1")


class BlockingTests(Base):
    def test_get_waits_on_the_kernel_not_a_polling_loop(self):
        # Every low-level call get() makes is recorded: a blocking get is
        # one get_wait with the caller's timeout, never repeated get()s.
        calls = []
        real = queues._queues

        class Spy:
            def __getattr__(self, name):
                attr = getattr(real, name)
                if callable(attr):
                    def wrapped(*a, **k):
                        calls.append(name)
                        return attr(*a, **k)
                    return wrapped
                return attr

        q = queues.create()
        queues._queues = Spy()
        try:
            t = threading.Thread(target=q.put, args=("late",))
            t.start()
            self.assertEqual(q.get(), "late")
            t.join()
        finally:
            queues._queues = real
        self.assertEqual(calls.count("get_wait"), 1, calls)
        self.assertNotIn("get", calls)

    def test_blocked_get_is_woken_by_a_put_in_another_interpreter(self):
        q = queues.create()
        s = self.sub()
        s.prepare_main(q=q)
        t = threading.Thread(target=s.exec, args=("q.put('from sub')",))
        t.start()
        try:
            got = q.get(timeout=30)
        finally:
            t.join()  # before tearDown closes the interpreter
        self.assertEqual(got, "from sub")

    def test_blocked_put_is_woken_by_a_get(self):
        # The get runs only once the put is inside put_wait, so the put
        # must wait there (not fail, not poll) until the get makes room.
        q = queues.create(1)
        q.put(1)
        real = queues._queues
        waiting = threading.Event()

        class Spy:
            def __getattr__(self, name):
                attr = getattr(real, name)
                if name != "put_wait":
                    return attr

                def put_wait(*a, **k):
                    waiting.set()
                    return attr(*a, **k)
                return put_wait

        taken = []

        def getter():
            if waiting.wait(30):
                taken.append(q.get())

        t = threading.Thread(target=getter)
        t.start()
        queues._queues = Spy()
        try:
            q.put(2)  # full: waits in put_wait until the getter's get
        finally:
            queues._queues = real
            waiting.set()
            t.join()
        self.assertEqual(taken, [1])
        self.assertEqual(q.get_nowait(), 2)

    def test_fractional_timeouts_time_out(self):
        q = queues.create(1)
        with self.assertRaises(queues.QueueEmpty):
            q.get(timeout=0.05)
        q.put(1)
        with self.assertRaises(queues.QueueFull):
            q.put(2, timeout=0.05)
        with self.assertRaises(queues.QueueFull):
            q.put(2, timeout=0)
        self.assertEqual(q.qsize(), 1)  # the refused item is not queued
        self.assertEqual(q.get(timeout=0.05), 1)

    def test_bad_timeouts(self):
        q = queues.create()
        for bad in (-1, -0.5, float("nan")):
            with self.assertRaises(ValueError):
                q.get(timeout=bad)
            with self.assertRaises(ValueError):
                q.put(1, timeout=bad)
        with self.assertRaises(TypeError):
            q.get(timeout=[1])
        self.assertTrue(q.empty())

    def test_delay_is_accepted(self):
        q = queues.create()
        q.put(1, _delay=0.5)
        self.assertEqual(q.get(_delay=0.5), 1)

    def test_ctrl_c_interrupts_blocking_get_and_put(self):
        out = run_py("""
            import signal
            from xikernel import queues
            class Interrupted(Exception):
                pass
            def handler(*_):
                raise Interrupted
            signal.signal(signal.SIGALRM, handler)
            q = queues.create(1)
            for call in (q.get, lambda: q.put(2)):
                signal.setitimer(signal.ITIMER_REAL, 0.05)
                try:
                    call()
                except Interrupted:
                    print("interrupted")
                q.put_nowait(1) if q.empty() else None
            """, timeout=60)
        self.assertEqual(out.split(), ["interrupted", "interrupted"])


class UnboundTests(Base):
    def put_from_destroyed(self, **create):
        q = queues.create(**create)
        s = interpreters.create()
        s.prepare_main(q=q)
        s.exec("q.put('item')\nq.put('item2', unbound=None)")
        s.close()
        return q

    def test_default_replaces_with_UNBOUND(self):
        q = self.put_from_destroyed()
        self.assertIs(q.get_nowait(), queues.UNBOUND)
        self.assertIs(q.get(timeout=1), queues.UNBOUND)
        self.assertEqual(repr(queues.UNBOUND), "xikernel.queues.UNBOUND")

    def test_error(self):
        q = self.put_from_destroyed(unbounditems=queues.UNBOUND_ERROR)
        with self.assertRaises(queues.ItemInterpreterDestroyed):
            q.get_nowait()
        with self.assertRaises(queues.ItemInterpreterDestroyed):
            q.get(timeout=1)
        self.assertTrue(q.empty())

    def test_remove(self):
        q = self.put_from_destroyed(unbounditems=queues.UNBOUND_REMOVE)
        self.assertTrue(q.empty())
        with self.assertRaises(queues.QueueEmpty):
            q.get(timeout=0.01)

    def test_unsupported(self):
        with self.assertRaises(NotImplementedError):
            queues.create(unbounditems=object())


class CoexistenceTests(unittest.TestCase):
    def test_cpython_wrapper_imported_later(self):
        # The low-level module raises the exception classes registered last
        # in an interpreter; ours still raises its own.
        out = run_py("""
            from xikernel import queues as X
            from test.support.interpreters import queues as C
            q = X.create(1)
            for call in (q.get_nowait, lambda: q.get(timeout=0.01)):
                try:
                    call()
                except X.QueueEmpty:
                    print("ours")
            q.put(1)
            for call in (lambda: q.put_nowait(2), lambda: q.put(2, timeout=0.01)):
                try:
                    call()
                except X.QueueFull:
                    print("ours")
            c = C.create()
            try:
                c.get_nowait()
            except C.QueueEmpty:
                print("theirs")
            """)
        self.assertEqual(out.split(), ["ours"] * 4 + ["theirs"])


    def test_a_queue_arrives_as_the_wrapper_it_was_sent_as(self):
        # A fresh sub-interpreter imports the sender's wrapper: CPython's
        # wrapper's queue stays CPython's (its suite and its users' code
        # see no change), ours stays ours.
        out = run_py("""
            import sys
            from test.support import interpreters
            from test.support.interpreters import queues as C
            q = C.create()
            s = interpreters.create()
            s.prepare_main(q=q)
            s.exec("import sys; q.put((type(q).__module__, 'xikernel.queues' in sys.modules))")
            print(*q.get(timeout=10))
            """)
        self.assertEqual(out.split(), ["test.support.interpreters.queues", "False"])


class DocTests(unittest.TestCase):
    def test_help_renders(self):
        text = pydoc.render_doc(queues, renderer=pydoc.plaintext)
        for name in ("create", "Queue", "get_nowait", "UNBOUND", "QueueEmpty"):
            self.assertIn(name, text)
        for f in (queues.create, queues.list_all, queues.Queue.put, queues.Queue.get,
                  queues.Queue.put_nowait, queues.Queue.get_nowait, queues.Queue.qsize,
                  queues.Queue.empty, queues.Queue.full):
            self.assertTrue(f.__doc__, f)


if __name__ == "__main__":
    unittest.main()
