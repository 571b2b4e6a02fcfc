"""Tests of `xikernel.mp`, the multiprocessing drop-in: the queues' API and
semantics (as `multiprocessing`'s), values (codec and pickle), queues
crossing into children under fork, spawn and forkserver exactly where
`multiprocessing` allows it, `JoinableQueue`, `Pool` and contexts.

The crash test (SIGKILLed producers and consumers) is test_mp_crash.py.
Run by python/run-cpython-tests.sh (python/build on PYTHONPATH).
"""

import os
import pickle
import queue
import signal
import threading
import time
import unittest

import multiprocessing
from xikernel import mp

# A blocking call must return within its timeout plus this margin. Generous:
# the test machines are loaded; the point is "returns", not "how fast".
MARGIN = 2.0


def _put(q, obj):
    q.put(obj)


def _get_put(qin, qout):
    qout.put(("got", qin.get(timeout=30)))


def _square(x):
    return x * x


def _raise(x):
    raise KeyError(x)


class Unpicklable:
    def __reduce__(self):
        raise TypeError("nope")


class QueueAPI(unittest.TestCase):
    def test_put_get_fifo_and_values(self):
        q = mp.Queue()
        values = [None, True, False, 0, -1, 2**100, -(2**70), 1.5, float("inf"),
                  "", "héllo \udc80", b"", b"\x00" * 1000, (), (1, ("a", b"b"), None),
                  (12345, "ten chars!", 3.5),
                  # pickled ones:
                  [1, 2], {"a": (1, 2)}, {1, 2}, bytearray(b"xy"), Exception("e"),
                  (1, [2]), type(None)]
        for v in values:
            q.put(v)
        self.assertEqual(q.qsize(), len(values))
        for v in values:
            got = q.get()
            if isinstance(v, Exception):
                self.assertEqual((type(got), got.args), (type(v), v.args))
            else:
                self.assertEqual(got, v)
                self.assertIs(type(got), type(v))
        self.assertTrue(q.empty())

    def test_subclass_of_codec_type_is_pickled(self):
        q = mp.Queue()
        q.put(MyInt(5))
        self.assertIs(type(q.get()), MyInt)

    def test_empty_and_timeouts(self):
        q = mp.Queue()
        self.assertRaises(queue.Empty, q.get_nowait)
        self.assertRaises(queue.Empty, q.get, False)
        self.assertRaises(queue.Empty, q.get, False, 10)  # timeout ignored
        self.assertRaises(queue.Empty, q.get, True, -1)   # negative: at once
        for t in (0, 0.001, 0.05, 0.25):
            start = time.monotonic()
            self.assertRaises(queue.Empty, q.get, timeout=t)
            took = time.monotonic() - start
            self.assertGreaterEqual(took, t * 0.99)
            self.assertLess(took, t + MARGIN)

    def test_maxsize_full(self):
        q = mp.Queue(2)
        q.put(1)
        q.put_nowait(2)
        self.assertTrue(q.full())
        self.assertRaises(queue.Full, q.put_nowait, 3)
        self.assertRaises(queue.Full, q.put, 3, False)
        start = time.monotonic()
        self.assertRaises(queue.Full, q.put, 3, True, 0.1)
        self.assertLess(time.monotonic() - start, 0.1 + MARGIN)
        self.assertEqual([q.get(), q.get()], [1, 2])
        self.assertFalse(q.full())

    def test_bytes_full_and_too_large(self):
        q = mp.Queue(size=4096)
        self.assertLessEqual(q.max_message, 4096)
        # Never fits: at once, whatever block/timeout say.
        for kw in ({}, {"block": False}, {"timeout": 100}):
            start = time.monotonic()
            with self.assertRaisesRegex(ValueError, "can never fit"):
                q.put(b"x" * 5000, **kw)
            self.assertLess(time.monotonic() - start, MARGIN)
        q.put(b"x" * 2000)
        q.put(b"y" * 1500)
        self.assertRaises(queue.Full, q.put_nowait, b"z" * 2000)
        self.assertEqual(q.get(), b"x" * 2000)
        q.put_nowait(b"z" * 2000)

    def test_blocked_put_woken_by_get(self):
        q = mp.Queue(1)
        q.put(0)
        threading.Timer(0.05, q.get).start()
        q.put(1, timeout=30)
        self.assertEqual(q.get(), 1)

    def test_blocked_get_woken_by_thread(self):
        q = mp.Queue()
        threading.Timer(0.05, q.put, ("late",)).start()
        self.assertEqual(q.get(timeout=30), "late")

    def test_close(self):
        q = mp.Queue()
        q.put(1)
        q.close()
        q.close()
        for op in (lambda: q.put(2), lambda: q.get(), q.get_nowait, lambda: q.put_nowait(1),
                   lambda: q.put_many([1]), lambda: q.get_many(1)):
            with self.assertRaisesRegex(ValueError, r"^Queue <xikernel\.mp\.Queue object at .*> is closed$"):
                op()
        q.join_thread()
        q.cancel_join_thread()

    def test_join_thread_needs_close(self):
        q = mp.Queue()
        self.assertRaises(AssertionError, q.join_thread)

    def test_put_many_get_many(self):
        q = mp.Queue()
        q.put_many([(i, str(i)) for i in range(100)])
        q.put_many(iter([[1], [2]]))
        self.assertEqual(q.get_many(10), [(i, str(i)) for i in range(10)])
        rest = q.get_many()
        self.assertEqual(rest[-2:], [[1], [2]])
        self.assertEqual(len(rest), 92)
        self.assertRaises(queue.Empty, q.get_many, 5, False)
        self.assertRaises(queue.Empty, q.get_many, 5, True, 0.01)
        self.assertRaises(ValueError, q.get_many, 0)

    def test_put_many_partial_on_full(self):
        q = mp.Queue(3)
        with self.assertRaises(queue.Full) as cm:
            q.put_many(range(5), block=False)
        self.assertEqual(cm.exception.pushed, 3)
        self.assertEqual(q.get_many(), [0, 1, 2])

    def test_put_many_too_large_puts_nothing(self):
        q = mp.Queue(size=4096)
        with self.assertRaises(ValueError):
            q.put_many([1, b"x" * 5000])
        self.assertTrue(q.empty())

    def test_unpicklable_goes_to_the_feeder_error_hook(self):
        seen = []

        class Q(mp.Queue):
            def _on_queue_feeder_error(self, e, obj):
                seen.append((type(e), obj))

        q = Q()
        u = Unpicklable()
        q.put(u)  # returns, as multiprocessing's (its feeder thread reports)
        self.assertEqual(seen, [(TypeError, u)])
        self.assertTrue(q.empty())
        # put_many (ours) and SimpleQueue.put (pickles in put) raise.
        self.assertRaises(TypeError, q.put_many, [1, u])
        self.assertTrue(q.empty())
        self.assertRaises(TypeError, mp.SimpleQueue().put, u)

    def test_closed_queue_empty_qsize(self):
        q = mp.Queue()
        q.close()
        self.assertTrue(q.empty())      # unused: as multiprocessing
        self.assertEqual(q.qsize(), 0)
        q = mp.Queue()
        q.put(1)
        q.close()
        self.assertRaisesRegex(OSError, "is closed", q.empty)
        self.assertEqual(q.qsize(), 1)
        self.assertFalse(q.full())

    def test_pickling_outside_spawning_refused(self):
        for q in (mp.Queue(), mp.SimpleQueue(), mp.JoinableQueue()):
            with self.assertRaisesRegex(RuntimeError, "through inheritance"):
                pickle.dumps(q)
            # Through another queue, as multiprocessing refuses it too
            # (Queue.put reports it through the feeder error hook).
            with self.assertRaises(RuntimeError):
                mp.Queue().put_many([q])
            with self.assertRaises(RuntimeError):
                mp.SimpleQueue().put(q)

    def test_signal_interrupts_blocking_get(self):
        if threading.current_thread() is not threading.main_thread():
            self.skipTest("signals need the main thread")
        q = mp.Queue()

        class Boom(Exception):
            pass

        def handler(signum, frame):
            raise Boom

        old = signal.signal(signal.SIGALRM, handler)
        try:
            signal.setitimer(signal.ITIMER_REAL, 0.05)
            start = time.monotonic()
            with self.assertRaises(Boom):
                q.get()
            self.assertLess(time.monotonic() - start, MARGIN)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
        q.put(1)
        self.assertEqual(q.get(), 1)

    def test_generic_alias(self):
        self.assertEqual(mp.Queue[int].__origin__, mp.Queue)


class MyInt(int):
    pass


class SimpleQueueAPI(unittest.TestCase):
    def test_simple(self):
        q = mp.SimpleQueue()
        self.assertTrue(q.empty())
        q.put([1])
        self.assertFalse(q.empty())
        self.assertEqual(q.get(), [1])
        q.close()
        self.assertRaisesRegex(OSError, "handle is closed", q.get)
        self.assertRaisesRegex(OSError, "handle is closed", q.put, 1)

    def test_reader_writer(self):
        q = mp.SimpleQueue()
        self.assertFalse(q._reader.poll())
        q._writer.send("x")
        self.assertTrue(q._reader.poll())
        self.assertEqual(q._reader.recv(), "x")


class JoinableQueueAPI(unittest.TestCase):
    def test_task_done_join(self):
        q = mp.JoinableQueue()
        q.put_many([1, 2])
        q.put(3)
        for _ in range(3):
            q.get()
            q.task_done()
        q.join()
        self.assertRaisesRegex(ValueError, "called too many times", q.task_done)

    def test_failed_put_is_not_counted(self):
        q = mp.JoinableQueue(1)
        q.put(1)
        self.assertRaises(queue.Full, q.put, 2, False)
        q.get()
        q.task_done()
        q.join()


class Processes(unittest.TestCase):
    def check_method(self, method):
        ctx = mp.get_context(method)
        self.assertEqual(ctx.get_start_method(), method)
        # As a Process argument.
        q = ctx.Queue()
        p = ctx.Process(target=_put, args=(q, ("hi", method, [1])))
        p.start()
        self.assertEqual(q.get(timeout=60), ("hi", method, [1]))
        p.join(60)
        self.assertEqual(p.exitcode, 0)
        # Both directions, a SimpleQueue and a JoinableQueue.
        qin, qout = ctx.JoinableQueue(), ctx.SimpleQueue()
        p = ctx.Process(target=_get_put, args=(qin, qout))
        p.start()
        qin.put(b"x" * 100_000)
        self.assertEqual(qout.get(), ("got", b"x" * 100_000))
        p.join(60)
        self.assertEqual(p.exitcode, 0)

    def test_fork(self):
        self.check_method("fork")

    def test_spawn(self):
        self.check_method("spawn")

    def test_forkserver(self):
        self.check_method("forkserver")

    def test_inherited_under_fork(self):
        q = mp.get_context("fork").Queue()
        pid = os.fork()
        if pid == 0:
            try:
                q.put(("child", os.getpid()))
            finally:
                os._exit(0)
        self.assertEqual(q.get(timeout=60), ("child", pid))
        os.waitpid(pid, 0)

    def test_closed_handle_is_open_in_child(self):
        ctx = mp.get_context("fork")
        q = ctx.Queue()
        q2 = ctx.Queue()
        q.close()
        p = ctx.Process(target=_put, args=(q, 1))
        p.start()
        p.join(60)
        self.assertEqual(p.exitcode, 0)
        self.assertEqual(q2.qsize(), 0)


class Pools(unittest.TestCase):
    def test_pool_api(self):
        # Every wait is bounded (a broken transport must fail, not hang).
        T = 120
        for method in ("fork", "spawn"):
            ctx = mp.get_context(method)
            with ctx.Pool(2) as pool:
                self.assertIsInstance(pool, mp.Pool)
                self.assertIsInstance(pool._inqueue, mp.SimpleQueue)
                self.assertEqual(pool.map_async(_square, range(100)).get(T),
                                 [x * x for x in range(100)])
                self.assertEqual(pool.map_async(_square, range(100), chunksize=7).get(T),
                                 [x * x for x in range(100)])
                it = pool.imap(_square, range(10))
                self.assertEqual([it.next(T) for _ in range(10)], [x * x for x in range(10)])
                it = pool.imap_unordered(_square, range(10))
                self.assertEqual(sorted(it.next(T) for _ in range(10)), [x * x for x in range(10)])
                self.assertEqual(pool.starmap_async(divmod, [(7, 2), (9, 4)]).get(T),
                                 [(3, 1), (2, 1)])
                self.assertEqual(pool.apply_async(divmod, (7, 2)).get(T), (3, 1))
                self.assertEqual(pool.map_async(_square, [3]).get(T), [9])
                self.assertRaises(KeyError, pool.apply_async(_raise, (1,)).get, T)
                # The blocking forms, once the transport is known to work.
                self.assertEqual(pool.map(_square, range(10)), [x * x for x in range(10)])
                self.assertEqual(list(pool.imap(_square, range(3))), [0, 1, 4])
                self.assertEqual(sorted(pool.imap_unordered(_square, range(10), 3)),
                                 [x * x for x in range(10)])
                self.assertEqual(pool.starmap(divmod, [(7, 2)]), [(3, 1)])
                self.assertEqual(pool.apply(divmod, (7, 2)), (3, 1))
            pool.join()

    def test_pool_default_context(self):
        with mp.Pool(1) as pool:
            self.assertEqual(pool.apply_async(_square, (4,)).get(120), 16)
        pool.join()

    def test_context_other_names_are_multiprocessing(self):
        ctx = mp.get_context("spawn")
        self.assertIs(ctx.get_context(), ctx)
        self.assertIs(ctx.get_context("fork"), mp.get_context("fork"))
        self.assertIsInstance(ctx, multiprocessing.context.BaseContext)
        self.assertIs(mp.Process, multiprocessing.Process)
        self.assertIs(mp.cpu_count, multiprocessing.cpu_count)
        self.assertRaises(AttributeError, getattr, mp, "no_such_name")


if __name__ == "__main__":
    unittest.main()
