"""``multiprocessing``'s queues and ``Pool`` on xikernel's crash-robust
shared-memory queue.

A drop-in for the parts of :mod:`multiprocessing` that move data::

    from xikernel import mp

    q = mp.Queue()                      # multiprocessing.Queue's API
    p = mp.Process(target=work, args=(q,))   # anything else: multiprocessing's
    p.start()
    q.put((12345, "ten chars!", 3.5))
    with mp.Pool() as pool:
        print(pool.map(abs, range(-5, 5)))

- :class:`Queue`, :class:`SimpleQueue`, :class:`JoinableQueue` have
  ``multiprocessing``'s API and semantics (``put``/``get`` with ``block``
  and ``timeout``, ``queue.Full``/``queue.Empty``, ``ValueError`` after
  ``close``, ...), plus ``put_many``/``get_many``, and a ``size`` keyword:
  the bytes of shared memory the queue holds messages in (default
  :data:`DEFAULT_SIZE`). An item that can never fit raises ``ValueError``
  at once.
- :class:`Pool` is ``multiprocessing.pool.Pool`` with its task and result
  queues on ours.
- :func:`get_context` returns a context whose ``Queue``, ``SimpleQueue``,
  ``JoinableQueue`` and ``Pool`` are ours, everything else
  ``multiprocessing``'s for that start method.
- Every other name (``Process``, ``Lock``, ``cpu_count``, ...) is
  ``multiprocessing``'s.

Values: the kernel's codec carries ``None``, ``bool``, ``int`` (any size),
``float``, ``str``, ``bytes`` and tuples of them; everything else is
pickled (protocol 5, ``multiprocessing``'s ``ForkingPickler``).

Queues pass to child processes exactly where ``multiprocessing``'s do:
inherited under ``fork``, or as ``Process`` arguments (and attributes)
under ``spawn`` and ``forkserver``, where the segment's descriptor travels
as ``multiprocessing`` sends a ``Connection``'s (``reduction.DupFd``).
Anywhere else (through another queue, say) pickling one raises
``RuntimeError``, as ``multiprocessing`` does.

Differences from ``multiprocessing`` (docs/python-mp.md): there is no
feeder thread, so ``put`` has happened when it returns (and
``join_thread``/``cancel_join_thread`` have nothing to wait for); a queue
holds at most ``size`` bytes of messages, so ``put`` can block (or raise
``queue.Full`` when not blocking) on a queue without ``maxsize``; ``close``
ends this process's use of the queue only, as in ``multiprocessing``.
"""

from __future__ import annotations

import functools
import os
import queue as _queue
import sys
import threading
import time
import types
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import multiprocessing
from multiprocessing import context as _context
from multiprocessing import pool as _pool
from multiprocessing import reduction as _reduction
from multiprocessing import util as _util

__all__ = ["Queue", "SimpleQueue", "JoinableQueue", "Pool", "get_context",
           "DEFAULT_SIZE", "POOL_SIZE"]

#: Bytes of message storage of a queue made without ``size=`` (16 MiB of
#: shared memory, touched only as messages pass through it). Each message
#: takes its encoded length rounded up to 8, plus 8.
DEFAULT_SIZE = 1 << 24

#: Bytes of each of a :class:`Pool`'s two queues (tasks, results): a task
#: or result larger than this raises ``ValueError``.
POOL_SIZE = 1 << 26


def _load_native() -> Any:
    """``_xikernel_mp``, from the package's one extension library (or, in
    a source checkout, from ``python/build`` on ``sys.path``)."""
    mod = sys.modules.get("_xikernel_mp")
    if mod is not None:
        return mod
    from importlib.machinery import ExtensionFileLoader, ModuleSpec
    from importlib.util import module_from_spec

    from . import _hook
    lib = _hook.library()
    if lib is None:
        import importlib
        return importlib.import_module("_xikernel_mp")  # developer build (python/build.sh)
    loader = ExtensionFileLoader("_xikernel_mp", lib)
    spec = ModuleSpec("_xikernel_mp", loader, origin=lib)
    mod = module_from_spec(spec)
    sys.modules["_xikernel_mp"] = mod
    loader.exec_module(mod)
    return mod


# Typed as Any (a native module without a stub); the queue type's
# interface is spelled out below for the type checker.
_native: Any = _load_native()
_native._setup(_queue.Full, _queue.Empty,
               functools.partial(_reduction.ForkingPickler.dumps, protocol=5),
               _reduction.ForkingPickler.loads)

# What a closed handle raises (see ShmQueue): Queue's ValueError, or
# SimpleQueue's closed-pipe OSError.
_KIND_QUEUE = 0
_KIND_SIMPLE = 1


def _sem_value_max() -> int:
    try:
        from multiprocessing import synchronize
    except ImportError:  # platforms without sem_open
        return 1 << 30
    value: int = getattr(synchronize, "SEM_VALUE_MAX")
    return value


if TYPE_CHECKING:
    class _ShmQueue:
        """The interface of ``_xikernel_mp.ShmQueue`` (the native base)."""

        def _create(self, size: int, maxsize: int, kind: int) -> None: ...
        def _attach(self, fd: int, maxsize: int, kind: int) -> None: ...
        def put(self, obj: object, block: bool = True, timeout: float | None = None) -> None: ...
        def get(self, block: bool = True, timeout: float | None = None) -> Any: ...
        def put_nowait(self, obj: object) -> None: ...
        def get_nowait(self) -> Any: ...
        def put_many(self, items: Iterable[object], block: bool = True,
                     timeout: float | None = None) -> None: ...
        def get_many(self, max_items: int | None = None, block: bool = True,
                     timeout: float | None = None) -> list[Any]: ...
        def qsize(self) -> int: ...
        def empty(self) -> bool: ...
        def full(self) -> bool: ...
        def close(self) -> None: ...
        def _reopen(self) -> None: ...
        def _fileno(self) -> int: ...
        def _info(self) -> tuple[int, int, int, bool, int]: ...
        def _opened(self) -> bool: ...
else:
    _ShmQueue = _native.ShmQueue


class Queue(_ShmQueue):
    """``multiprocessing.Queue(maxsize=0)`` on a shared-memory segment of
    ``size`` bytes.

    ``put``, ``get``, ``put_nowait``, ``get_nowait``, ``qsize``, ``empty``,
    ``full``, ``close``, ``put_many`` and ``get_many`` are the native
    methods of ``_xikernel_mp.ShmQueue`` (no Python frame on the hot path).
    """

    _kind = _KIND_QUEUE

    def __init__(self, maxsize: int = 0, *, ctx: Any = None, size: int = DEFAULT_SIZE) -> None:
        if maxsize <= 0:
            maxsize = _sem_value_max()
        self._maxsize = maxsize
        self._size = size
        self._ignore_epipe = False  # read by concurrent.futures
        self._create(size, maxsize, self._kind)
        self._opid = os.getpid()
        _util.register_after_fork(self, Queue._after_fork)

    # -- processes ---------------------------------------------------------

    def __getstate__(self) -> tuple[Any, ...]:
        _context.assert_spawning(self)
        return (_reduction.DupFd(self._fileno()), self._maxsize, self._size,
                self._ignore_epipe, self._opid)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        df, self._maxsize, self._size, self._ignore_epipe, self._opid = state[:5]
        self._attach(df.detach(), self._maxsize, self._kind)
        _util.register_after_fork(self, Queue._after_fork)

    def _after_fork(self) -> None:
        # multiprocessing gives a forked child an open queue, whatever the
        # parent did with its handle.
        self._reopen()

    # -- multiprocessing.Queue's remaining API -------------------------------

    @property
    def _closed(self) -> bool:
        return self._info()[3]

    def join_thread(self) -> None:
        """Nothing to wait for: a ``put`` is complete when it returns (no
        feeder thread). Asserts the queue is closed, as
        ``multiprocessing`` does."""
        assert self._closed, "Queue {0!r} not closed".format(self)

    def cancel_join_thread(self) -> None:
        """Nothing to cancel (no feeder thread)."""

    @staticmethod
    def _on_queue_feeder_error(e: BaseException, obj: object) -> None:
        """Called by ``put`` when ``obj`` cannot be pickled (the item is
        dropped and ``put`` returns, as ``multiprocessing``'s feeder thread
        does); prints the error. For overriding, as in ``multiprocessing``.
        """
        import traceback
        traceback.print_exception(e)

    @property
    def size(self) -> int:
        """Bytes of message storage."""
        return self._info()[0]

    @property
    def max_message(self) -> int:
        """The largest encoded item this queue takes."""
        return self._info()[1]

    __class_getitem__ = classmethod(types.GenericAlias)  # type: ignore[var-annotated]


class JoinableQueue(Queue):
    """``multiprocessing.JoinableQueue``: a :class:`Queue` with
    ``task_done`` and ``join``. The count of unfinished tasks is
    ``multiprocessing``'s (a semaphore and a condition of ``ctx``)."""

    def __init__(self, maxsize: int = 0, *, ctx: Any = None, size: int = DEFAULT_SIZE) -> None:
        Queue.__init__(self, maxsize, ctx=ctx, size=size)
        native = _native_context(ctx)
        self._unfinished_tasks = native.Semaphore(0)
        self._cond = native.Condition()

    def __getstate__(self) -> tuple[Any, ...]:
        return Queue.__getstate__(self) + (self._cond, self._unfinished_tasks)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        Queue.__setstate__(self, state[:-2])
        self._cond, self._unfinished_tasks = state[-2:]

    def put(self, obj: object, block: bool = True, timeout: float | None = None) -> None:
        # Counted before it is visible, so a consumer's task_done() can
        # never run ahead of the count; taken back if the put fails.
        self._unfinished_tasks.release()
        try:
            Queue.put(self, obj, block, timeout)
        except BaseException:
            self._unfinished_tasks.acquire(False)
            raise

    def put_nowait(self, obj: object) -> None:
        self.put(obj, False)

    def put_many(self, items: Iterable[object], block: bool = True,
                 timeout: float | None = None) -> None:
        items = list(items)
        for _ in items:
            self._unfinished_tasks.release()
        try:
            Queue.put_many(self, items, block, timeout)
        except BaseException as e:
            for _ in range(len(items) - getattr(e, "pushed", 0)):
                self._unfinished_tasks.acquire(False)
            raise

    def task_done(self) -> None:
        with self._cond:
            if not self._unfinished_tasks.acquire(False):
                raise ValueError('task_done() called too many times')
            if self._unfinished_tasks._semlock._is_zero():
                self._cond.notify_all()

    def join(self) -> None:
        with self._cond:
            if not self._unfinished_tasks._semlock._is_zero():
                self._cond.wait()


class _Reader:
    """What ``multiprocessing.pool`` uses of ``SimpleQueue._reader``."""

    __slots__ = ("recv", "_q")

    def __init__(self, q: SimpleQueue) -> None:
        self._q = q
        self.recv = q.get

    def poll(self, timeout: float | None = 0.0) -> bool:
        if timeout is None:
            timeout = float("inf")
        deadline = time.monotonic() + timeout
        while self._q.empty():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.001)
        return True

    def close(self) -> None:
        """The pool's worker closes its end it does not use: nothing to do."""


class _Writer:
    """What ``multiprocessing.pool`` uses of ``SimpleQueue._writer``."""

    __slots__ = ("send", "_q")

    def __init__(self, q: SimpleQueue) -> None:
        self._q = q
        self.send = q.put

    def close(self) -> None:
        """The pool's worker closes its end it does not use: nothing to do."""


class SimpleQueue(_ShmQueue):
    """``multiprocessing.SimpleQueue``: ``get()``, ``put(obj)``,
    ``empty()``, ``close()`` (``get``/``put`` also take ``block`` and
    ``timeout``, and ``put_many``/``get_many`` are there)."""

    _kind = _KIND_SIMPLE

    def __init__(self, *, ctx: Any = None, size: int = DEFAULT_SIZE) -> None:
        self._size = size
        self._create(size, 0, self._kind)
        self._init_ends()

    def _init_ends(self) -> None:
        self._reader = _Reader(self)
        self._writer = _Writer(self)
        self._poll = self._reader.poll
        # Pool._help_stuff_finish takes the read lock to stop its workers
        # reading; ours read without one (the queue is MPMC), so a local
        # lock is all it needs.
        self._rlock = threading.Lock()
        self._wlock = None

    def __getstate__(self) -> tuple[Any, ...]:
        _context.assert_spawning(self)
        return (_reduction.DupFd(self._fileno()), self._size)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        df, self._size = state
        self._attach(df.detach(), 0, self._kind)
        self._init_ends()

    __class_getitem__ = classmethod(types.GenericAlias)  # type: ignore[var-annotated]


# -- Pool ---------------------------------------------------------------------


class Pool(_pool.Pool):
    """``multiprocessing.Pool`` whose task and result queues are ours
    (``size=`` bytes each, default :data:`POOL_SIZE`)."""

    def __init__(self, processes: int | None = None, initializer: Any = None,
                 initargs: Iterable[Any] = (), maxtasksperchild: int | None = None,
                 context: Any = None, *, size: int = POOL_SIZE) -> None:
        self._xi_size = size
        # The base class also makes its change notifier with the context,
        # and waits on that notifier's pipe: it must be multiprocessing's.
        super().__init__(processes, initializer, initargs, maxtasksperchild,
                         _native_context(context))

    def _setup_queues(self) -> None:
        self._inqueue = SimpleQueue(size=self._xi_size)
        self._outqueue = SimpleQueue(size=self._xi_size)
        self._quick_put = self._inqueue._writer.send
        self._quick_get = self._outqueue._reader.recv

    def _get_sentinels(self) -> list[Any]:
        # multiprocessing also wakes its worker handler when the result
        # pipe is readable; our queue has no descriptor to wait on. The
        # handler still wakes for every state change and emptied cache
        # (the change notifier) and every worker exit (their sentinels).
        notifier: Any = getattr(self, "_change_notifier")
        return [notifier._reader]


# -- contexts -----------------------------------------------------------------


class _XiContext:
    """Mixed into a copy of each of ``multiprocessing``'s context classes:
    our queues and pool, the rest theirs."""

    _xi = True
    _name: str

    def Queue(self, maxsize: int = 0, *, size: int = DEFAULT_SIZE) -> Queue:
        """A :class:`xikernel.mp.Queue`."""
        return Queue(maxsize, ctx=self, size=size)

    def JoinableQueue(self, maxsize: int = 0, *, size: int = DEFAULT_SIZE) -> JoinableQueue:
        """A :class:`xikernel.mp.JoinableQueue`."""
        return JoinableQueue(maxsize, ctx=self, size=size)

    def SimpleQueue(self, *, size: int = DEFAULT_SIZE) -> SimpleQueue:
        """A :class:`xikernel.mp.SimpleQueue`."""
        return SimpleQueue(ctx=self, size=size)

    def Pool(self, processes: int | None = None, initializer: Any = None,
             initargs: Iterable[Any] = (), maxtasksperchild: int | None = None,
             *, size: int = POOL_SIZE) -> Pool:
        """A :class:`xikernel.mp.Pool`."""
        return Pool(processes, initializer, initargs, maxtasksperchild,
                    context=self, size=size)

    def get_context(self, method: str | None = None) -> Any:
        if method is None:
            return self
        return get_context(method)

    def __repr__(self) -> str:
        return f"<xikernel.mp context {self._name!r}>"


_contexts: dict[str, Any] = {}


def get_context(method: str | None = None) -> Any:
    """A context for ``method`` (``'fork'``, ``'spawn'``, ``'forkserver'``;
    None: ``multiprocessing``'s default) whose ``Queue``, ``SimpleQueue``,
    ``JoinableQueue`` and ``Pool`` are xikernel's."""
    native = multiprocessing.get_context(method)
    name = native.get_start_method()
    ctx = _contexts.get(name)
    if ctx is None:
        cls = type(f"Xi{type(native).__name__}", (_XiContext, type(native)), {})
        ctx = _contexts.setdefault(name, cls())
    return ctx


def _native_context(ctx: Any) -> Any:
    """``multiprocessing``'s own context for ``ctx``'s start method."""
    if ctx is None:
        return multiprocessing.get_context()
    if getattr(ctx, "_xi", False):
        return multiprocessing.get_context(ctx.get_start_method())
    return ctx


def __getattr__(name: str) -> Any:
    # Everything else is multiprocessing's (Process, Lock, cpu_count, ...).
    try:
        return getattr(multiprocessing, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
