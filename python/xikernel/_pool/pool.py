"""The pool's machinery: the state its executor, worker threads and
collector thread share (:class:`Pool`), a worker thread, the collector.

See docs/python-interpreters.md ("Design") and :mod:`.wire` for the layout
of what travels on the queues. The public API is in
:mod:`xikernel.interpreters`.
"""

import collections
import itertools
import sys
import threading
import time
import weakref
from concurrent.futures import _base

import _interpqueues
import _interpreters

from . import wire
from .errors import BrokenInterpreterPool, ExecutionFailed, main_alias, raised

# Pools alive in this process: at exit they finish their work and stop,
# before threading joins the threads (the interpreters must be destroyed
# before the main interpreter finalises). ThreadPoolExecutor does the same.
_pools = weakref.WeakSet()
_global_shutdown = False
_global_lock = threading.Lock()


def _python_exit():
    global _global_shutdown
    with _global_lock:
        _global_shutdown = True
        pools = list(_pools)
    for pool in pools:
        pool.shutdown(wait=False)
    for pool in pools:
        pool.join()


threading._register_atexit(_python_exit)


def register(pool):
    """Lets the exit hook above find ``pool``."""
    with _global_lock:
        _pools.add(pool)

# A BARRIER item's tid (no task has a negative tid).
_BARRIER_TID = -2

# The worker's first code: the main interpreter's sys.path, and xikernel's
# import hook if the main interpreter uses it (the .pth installs it in
# every interpreter, but not under `python -S` + xikernel.install()).
_BOOT = """\
import sys as _xk_sys, marshal as _xk_marshal
_xk_cfg = _xk_marshal.loads(_xk_cfg)
_xk_sys.path[:] = _xk_cfg["path"]
if _xk_cfg["hook"]:
    import xikernel
    xikernel.install()
from xikernel._pool import worker as _xk_worker
_xk_worker.setup(_xk_cfg)
del _xk_sys, _xk_marshal, _xk_cfg
"""
_RUN = "_xk_worker.run()"
_POST_MORTEM = "from xikernel._pool import worker\nworker.post_mortem(_xk_pmq)"


def _hook_installed():
    try:
        from . import _hook
    except ImportError:  # a checkout without the package's hook
        return False
    return _hook.installed()


class Pool:
    """The state the executor, its worker threads and its collector share.

    The executor object itself is not referenced from the threads, so an
    executor that is dropped without ``shutdown`` is collected and its
    finalizer shuts the pool down (as ThreadPoolExecutor's workers notice
    their executor is gone).

    ``lock`` guards every field below it. Futures are completed outside it
    (their callbacks run user code).
    """

    def __init__(self, max_workers, name, init, shared):
        self.max_workers = max_workers
        self.name = name
        self.init = init
        self.shared = shared
        # Tasks in the task queue are marked running (they can no longer be
        # cancelled, as in ProcessPoolExecutor's call queue); the rest wait
        # in `pending`, cancellable. Two per worker keeps every worker busy
        # while the collector hands it the next one.
        self.limit = 2 * max_workers
        self.idle = threading.Semaphore(0)
        self.tids = itertools.count()
        self.lock = threading.Lock()
        self.tq = self.rq = self.pmq = None
        self.collector = None
        self.threads = set()
        self.alive = 0  # worker threads that have not decided to exit
        self.work = {}  # tid -> Future, for every task not yet completed
        self.pending = collections.deque()  # tasks not yet in tq
        self.inflight = 0  # tasks put on tq and not yet answered
        self.shutdown_requested = False
        self.stops_sent = False
        self.collector_stop_sent = False
        self.broken = None
        self.barriers = {}  # token -> Event, see _barrier
        self.ctlqs = set()  # each live worker's control queue (interrupt)

    # -- submitting (any thread) -------------------------------------------

    def submit(self, items):
        """Queues ``(tid, kind, fn, args)`` tasks; returns their futures.

        One lock round for many tasks (``map`` submits all its tasks here).
        """
        futs = [_base.Future() for _ in items]
        with self.lock:
            if self.broken:
                raise BrokenInterpreterPool(self.broken)
            if self.shutdown_requested:
                raise RuntimeError("cannot schedule new futures after shutdown")
            if _global_shutdown:
                raise RuntimeError("cannot schedule new futures after interpreter shutdown")
            if self.tq is None:
                self._start()
            work = self.work
            pending = self.pending
            for item, fut in zip(items, futs):
                work[item[0]] = fut
                pending.append(item)
            self._feed()
            for _ in items:
                if len(self.threads) >= self.max_workers:
                    break
                self._adjust_thread_count()
        return futs

    def _start(self):
        # Unbounded queues (maxsize 0): back-pressure is `limit`.
        self.tq = _interpqueues.create(0, wire.FMT, wire.UNBOUND_REMOVE)
        self.rq = _interpqueues.create(0, wire.FMT, wire.UNBOUND_ERROR)
        self.pmq = _interpqueues.create(0, wire.FMT, wire.UNBOUND_REMOVE)
        self.collector = threading.Thread(
            target=_collect, args=(self,), name=f"{self.name}-collector"
        )
        self.collector.start()

    def _adjust_thread_count(self):
        # As ProcessPoolExecutor: reuse an idle worker if there is one.
        if self.idle.acquire(timeout=0):
            return
        if len(self.threads) < self.max_workers:
            t = threading.Thread(
                target=_worker_thread,
                args=(self,),
                name=f"{self.name}_{len(self.threads)}",
            )
            self.threads.add(t)
            self.alive += 1
            t.start()

    def _feed(self):
        """Moves pending tasks to the task queue up to `limit` (lock held)."""
        pending = self.pending
        if pending and self.inflight < self.limit:
            put, tq, work = _interpqueues.put, self.tq, self.work
            while pending and self.inflight < self.limit:
                item = pending.popleft()
                if not work[item[0]].set_running_or_notify_cancel():
                    del work[item[0]]
                    continue
                put(tq, item, wire.FMT, wire.UNBOUND_REMOVE)
                self.inflight += 1
        if self.shutdown_requested and not self.pending and not self.stops_sent:
            # FIFO: every task already queued runs before a worker meets
            # its None. One None per worker thread still running.
            self.stops_sent = True
            for _ in range(self.alive):
                _interpqueues.put(self.tq, None, wire.FMT, wire.UNBOUND_REMOVE)
        self._maybe_stop_collector()

    def _maybe_stop_collector(self):
        if (
            self.shutdown_requested
            and self.alive == 0
            and self.collector is not None
            and not self.collector_stop_sent
        ):
            self.collector_stop_sent = True
            _interpqueues.put(
                self.rq, (wire.COLLECTOR_STOP, wire.OK, None), wire.FMT, wire.UNBOUND_REMOVE
            )

    # -- shutting down --------------------------------------------------------

    def shutdown(self, wait=True, cancel_futures=False):
        cancelled = []
        with self.lock:
            self.shutdown_requested = True
            if cancel_futures:
                while self.pending:
                    cancelled.append(self.work.pop(self.pending.popleft()[0]))
            self._feed()
        for fut in cancelled:
            fut.cancel()
        if wait:
            self.join()

    def join(self):
        try:
            for t in list(self.threads):
                t.join()
            if self.collector is not None:
                self.collector.join()
        except KeyboardInterrupt:
            # Ctrl-C while waiting: as a terminal's SIGINT to a process
            # pool's children, the running tasks get KeyboardInterrupt;
            # what has not started will not; the pool stops by itself.
            self.shutdown(wait=False, cancel_futures=True)
            self.interrupt()
            raise

    # -- worker threads (called from _worker_thread) ------------------------

    def interrupt(self):
        """Ctrl-C for the pool: KeyboardInterrupt for every task in flight.

        The running ones get it raised inside (worker._watch); the ones in
        the task queue that no worker has taken yet get it as their error
        (they are past cancelling, as in a process pool's call queue).
        """
        failed = []
        ackq = _interpqueues.create(0, wire.FMT, wire.UNBOUND_REMOVE)
        try:
            with self.lock:
                for q in self.ctlqs:
                    _interpqueues.put(q, ackq, wire.FMT, wire.UNBOUND_REMOVE)
                n = len(self.ctlqs)
                if self.tq is not None:
                    failed = self._drain_tasks()
            for fut in failed:
                fut.set_exception(KeyboardInterrupt())
            # Return once every worker has acted (so a task that ends right
            # now cannot slip past its interrupt). A worker that is exiting
            # may never answer: the wait is bounded.
            deadline = time.monotonic() + 2.0
            for _ in range(n):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    _interpqueues.get_wait(ackq, left)
                except _interpqueues.QueueError:  # QueueEmpty: timed out
                    break
        finally:
            _interpqueues.destroy(ackq)

    def _drain_tasks(self):
        """Takes the queued tasks back from the task queue (lock held).

        Returns their futures; the workers' None items are put back.
        """
        futs = []
        stops = 0
        while True:
            try:
                item = _interpqueues.get(self.tq)[0]
            except _interpqueues.QueueError:  # QueueEmpty (the wrapper's class)
                break
            if item is None:
                stops += 1
                continue
            self.inflight -= 1
            fut = self.work.pop(item[0], None)
            if fut is not None:
                futs.append(fut)
        for _ in range(stops):
            _interpqueues.put(self.tq, None, wire.FMT, wire.UNBOUND_REMOVE)
        return futs

    def boot_config(self, ctlq):
        # marshal, not pickle: builtin, so the worker need not import pickle.
        import marshal

        return marshal.dumps(
            {
                "tq": self.tq,
                "rq": self.rq,
                "ctlq": ctlq,
                "path": list(sys.path),
                "main": wire.main_info(),
                "init": self.init,
                "hook": _hook_installed(),
            }
        )

    def barrier(self):
        """Waits until the collector has taken every result put so far.

        Called by a worker thread before it destroys its interpreter: the
        kernel drops a destroyed interpreter's items from the queues
        (CPython's semantics), so its last results must be taken first.
        """
        ev = threading.Event()
        token = id(ev)
        with self.lock:
            self.barriers[token] = ev
        _interpqueues.put(
            self.rq, (_BARRIER_TID, wire.BARRIER, token), wire.FMT, wire.UNBOUND_REMOVE
        )
        ev.wait()

    def post_mortem(self, interp, excinfo):
        """Answers the task a dead worker left unanswered (if any)."""
        if _interpreters.exec(interp, _POST_MORTEM, {"_xk_pmq": self.pmq}) is not None:
            return  # nothing more can be learnt from that interpreter
        tid = _interpqueues.get(self.pmq)[0]
        if tid < 0:
            return
        t = excinfo.type
        value = (None, t.__name__, t.__qualname__, t.__module__, excinfo.msg, excinfo.errdisplay)
        # After everything the worker put (FIFO), so it cannot overtake a
        # result; the collector ignores it if the task was answered after all.
        _interpqueues.put(self.rq, (tid, wire.RAISED, value), wire.FMT, wire.UNBOUND_REMOVE)

    def worker_exited(self):
        with self.lock:
            self.alive -= 1
            self._maybe_stop_collector()

    def initializer_failed(self, error):
        """A worker could not start: the pool is broken (as ThreadPool's)."""
        failed = []
        with self.lock:
            self.broken = (
                "A worker interpreter's initializer failed, "
                "the pool is not usable anymore"
            )
            while self.pending:
                failed.append(self.work.pop(self.pending.popleft()[0]))
            # Tasks queued but not taken by a worker will not run either.
            failed += self._drain_tasks()
            self.alive -= 1
            self._maybe_stop_collector()
        for fut in failed:
            exc = BrokenInterpreterPool(self.broken)
            exc.__cause__ = error
            fut.set_exception(exc)

    # -- the collector (called from _collect) -------------------------------

    def completed(self, results):
        """Pops the futures of answered tasks; feeds the queue again."""
        with self.lock:
            pop = self.work.pop
            futs = [pop(r[0], None) for r in results]
            # A late answer from post_mortem finds no future (already done).
            self.inflight -= sum(1 for f in futs if f is not None)
            self._feed()
        self.idle.release(len(results))
        return futs


def _worker_thread(pool):
    """One worker: an interpreter, replaced when a task ends it."""
    while True:
        try:
            interp = _interpreters.create()  # "isolated": its own GIL
        except BaseException as e:
            pool.initializer_failed(e)
            return
        ctlq = _interpqueues.create(0, wire.FMT, wire.UNBOUND_REMOVE)
        with pool.lock:
            pool.ctlqs.add(ctlq)
        died = False
        init_error = None
        try:
            if pool.shared:
                _interpreters.set___main___attrs(interp, pool.shared)
            exc = _interpreters.exec(interp, _BOOT, {"_xk_cfg": pool.boot_config(ctlq)})
            if exc is not None:
                init_error = ExecutionFailed(exc)
            else:
                exc = _interpreters.exec(interp, _RUN)
                died = exc is not None
                if died:
                    pool.post_mortem(interp, exc)
        except BaseException as e:  # set___main___attrs refused a value
            init_error = e
        finally:
            if not init_error:
                pool.barrier()
            try:
                _interpreters.destroy(interp)
            except _interpreters.InterpreterError:
                # Still running a thread the task started and left behind:
                # CPython refuses; it is finalised at exit.
                pass
            with pool.lock:
                pool.ctlqs.discard(ctlq)
            _interpqueues.destroy(ctlq)
        if init_error is not None:
            err = BrokenInterpreterPool("Exception in initializer")
            err.__cause__ = init_error
            _base.LOGGER.critical("Exception in initializer:", exc_info=err)
            pool.initializer_failed(init_error)
            return
        if not died:
            pool.worker_exited()
            return
        # Died: a new interpreter takes its place, even when the pool is
        # stopping: tasks may still be queued, and the None this thread
        # must consume (one per thread, sent by _feed) is still ahead.


def _collect(pool):
    """Completes futures from the result queue; owns the queues' lifetime."""
    get_wait, get, count = _interpqueues.get_wait, _interpqueues.get, _interpqueues.get_count
    rq = pool.rq
    try:
        while True:
            # Block for one result, then take what else is there without
            # blocking: one lock round per batch, not per task. Only this
            # thread takes from rq, so `count` items are surely there.
            batch = [get_wait(rq)[0]]
            batch.extend([get(rq)[0] for _ in range(min(count(rq), 255))])
            results = []
            stop = False
            for item in batch:
                if item[1] == wire.BARRIER:
                    with pool.lock:
                        ev = pool.barriers.pop(item[2])
                    ev.set()
                elif item[0] == wire.COLLECTOR_STOP:
                    stop = True  # the last item ever: every worker is gone
                else:
                    results.append(item)
            batch = item = None
            if results:
                futs = pool.completed(results)
                for fut, (_, status, value) in zip(futs, results):
                    if fut is None:
                        continue
                    try:
                        if status == wire.OK:
                            fut.set_result(value)
                        elif status == wire.PICKLED:
                            fut.set_result(wire.loads(value, main_alias))
                        else:
                            fut.set_exception(raised(value))
                    except BaseException as e:  # the result did not unpickle here
                        fut.set_exception(e)
                futs = results = fut = value = None  # no result kept alive
            if stop:
                return
    finally:
        for qid in (pool.tq, pool.rq, pool.pmq):
            try:
                _interpqueues.destroy(qid)
            except _interpqueues.QueueNotFoundError:
                pass
