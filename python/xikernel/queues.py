"""Cross-interpreter queues on xikernel: CPython 3.13's
``test.support.interpreters.queues`` API (PEP 734), with blocking calls
woken by the kernel.

``create()`` makes a queue; pass it to another interpreter with
``Interpreter.prepare_main(q=q)`` (or put it on another queue) and both
ends see the same queue. Items are any picklable object (the default), or
with ``syncobj=True`` the values that cross without pickling (``None``,
``bool``, ``int`` of any size, ``float``, ``str``, ``bytes``, tuples of
those, ``memoryview``, queues)::

    from test.support import interpreters   # or any PEP 734 front end
    from xikernel import queues

    q = queues.create()
    sub = interpreters.create()
    sub.prepare_main(q=q)
    sub.exec("q.put({'from': 'sub', 'n': 2**100})")
    print(q.get(timeout=5))         # {'from': 'sub', 'n': 1267...}

Differences from CPython's module, all in blocking calls:

- ``get()`` and ``put()`` wait on the kernel's wake-up with the GIL
  released (``_interpqueues.get_wait`` / ``put_wait``): an item is
  delivered as soon as it is put, instead of on the next 10 ms poll, and a
  waiting thread costs nothing.
- ``timeout`` keeps fractions of a second (CPython truncates it to whole
  seconds: ``get(timeout=0.5)`` does not wait at all there).
- The ``_delay`` keyword (CPython's polling interval) is accepted and
  ignored.

The module needs xikernel's ``_interpqueues`` (the package's import hook
provides it; see ``python -m xikernel``), and raises ImportError with
CPython's. A queue is the same object whichever of this module and
CPython's wrapper made it; the wrapper imported last in an interpreter
decides which class a queue arriving there has, so use one of them per
program. A fresh sub-interpreter that receives a queue imports this
module.
"""

from __future__ import annotations

import math
import pickle
import queue
import weakref
from typing import Any

import _interpqueues

# Typed as Any: typeshed's stub describes CPython's module, which lacks
# the kernel's get_wait / put_wait.
_queues: Any = _interpqueues

from ._crossinterp import (
    UNBOUND_ERROR,
    UNBOUND_REMOVE,
    UnboundItem,
)
from ._crossinterp import ItemInterpreterDestroyed as _ItemInterpreterDestroyed
from ._crossinterp import UNBOUND as _CROSSINTERP_UNBOUND
from ._crossinterp import resolve_unbound as _resolve
from ._crossinterp import serialize_unbound as _serialize

if getattr(_queues, "_kernel", lambda: None)() != "xikernel":
    raise ImportError(
        "xikernel.queues needs xikernel's _interpqueues, but this interpreter "
        f"loaded CPython's ({getattr(_queues, '__file__', 'built-in')}): "
        "is XIKERNEL_DISABLE set, or was _interpqueues imported before "
        "xikernel.install()? `python -m xikernel` shows what resolves where")

from _interpqueues import QueueError, QueueNotFoundError  # noqa: E402

__all__ = [
    "UNBOUND", "UNBOUND_ERROR", "UNBOUND_REMOVE",
    "create", "list_all",
    "Queue",
    "QueueError", "QueueNotFoundError", "QueueEmpty", "QueueFull",
    "ItemInterpreterDestroyed",
]


class QueueEmpty(QueueError, queue.Empty):
    """Raised from get_nowait() when the queue is empty.

    It is also raised from get() if it times out.
    """


class QueueFull(QueueError, queue.Full):
    """Raised from put_nowait() when the queue is full.

    It is also raised from put() if it times out.
    """


class ItemInterpreterDestroyed(QueueError, _ItemInterpreterDestroyed):
    """Raised from get() and get_nowait()."""


_SHARED_ONLY = 0
_PICKLED = 1

#: What get() returns in place of an item whose interpreter was destroyed
#: (the default ``unbounditems`` policy).
UNBOUND: UnboundItem = UnboundItem.singleton("queue", __name__)


def _serialize_unbound(unbound: object) -> tuple[int]:
    if unbound is UNBOUND:
        unbound = _CROSSINTERP_UNBOUND
    return _serialize(unbound)


def _resolve_unbound(flag: int) -> UnboundItem:
    resolved = _resolve(flag, ItemInterpreterDestroyed)
    if resolved is _CROSSINTERP_UNBOUND:
        resolved = UNBOUND
    return resolved


def _timeout(timeout: float | None) -> float | None:
    if timeout is None:
        return None
    timeout = float(timeout)
    if math.isnan(timeout) or timeout < 0:
        raise ValueError("timeout value must be non-negative")
    return timeout


def _as(exc: BaseException, cls: type[QueueError]) -> BaseException:
    """``exc`` as this module's ``cls``: the low-level module raises the
    classes registered last in this interpreter, which may be another
    wrapper's."""
    if isinstance(exc, cls):
        return exc
    new = cls(*exc.args)
    new.__cause__ = None
    new.__suppress_context__ = True
    return new


def _decode(obj: Any, fmt: int, unboundop: int | None) -> Any:
    if unboundop is not None:
        return _resolve_unbound(unboundop)
    if fmt == _PICKLED:
        return pickle.loads(obj)
    return obj


def create(maxsize: int = 0, *, syncobj: bool = False,
           unbounditems: object = UNBOUND) -> Queue:
    """Return a new cross-interpreter queue.

    The queue may be used to pass data safely between interpreters.
    ``maxsize`` <= 0 means unbounded.

    "syncobj" sets the default for Queue.put()
    and Queue.put_nowait().

    "unbounditems" likewise sets the default.  See Queue.put() for
    supported values.  The default value is UNBOUND, which replaces
    the unbound item.
    """
    fmt = _SHARED_ONLY if syncobj else _PICKLED
    unbound = _serialize_unbound(unbounditems)
    unboundop, = unbound
    qid = _queues.create(maxsize, fmt, unboundop)
    return Queue(qid, _fmt=fmt, _unbound=unbound)


def list_all() -> list[Queue]:
    """Return a list of all open queues."""
    return [Queue(qid, _fmt=fmt, _unbound=(unboundop,))
            for qid, fmt, unboundop in _queues.list_all()]


_known_queues: weakref.WeakValueDictionary[int, Queue] = weakref.WeakValueDictionary()


class Queue:
    """A cross-interpreter queue.

    There is one ``Queue`` object per queue id in each interpreter:
    ``Queue(q.id) is q``. Passing it to another interpreter gives that
    interpreter's object for the same queue.
    """

    _id: int
    _fmt: int
    _unbound: tuple[int]
    _maxsize: int

    def __new__(cls, id: int, /, *, _fmt: int | None = None,
                _unbound: tuple[int] | None = None) -> Queue:
        # There is only one instance for any given ID.
        if isinstance(id, int):
            id = int(id)
        else:
            raise TypeError(f"id must be an int, got {id!r}")
        if _fmt is None:
            if _unbound is None:
                _fmt, op = _queues.get_queue_defaults(id)
                _unbound = (op,)
            else:
                _fmt, _ = _queues.get_queue_defaults(id)
        elif _unbound is None:
            _, op = _queues.get_queue_defaults(id)
            _unbound = (op,)
        try:
            self = _known_queues[id]
        except KeyError:
            self = super().__new__(cls)
            self._id = id
            self._fmt = _fmt
            self._unbound = _unbound
            _known_queues[id] = self
            _queues.bind(id)
        return self

    def __del__(self) -> None:
        try:
            _queues.release(self._id)
        except QueueNotFoundError:
            pass
        try:
            del _known_queues[self._id]
        except KeyError:
            pass

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.id})"

    def __hash__(self) -> int:
        return hash(self._id)

    # for pickling:
    def __getnewargs__(self) -> tuple[int]:
        return (self._id,)

    # for pickling:
    def __getstate__(self) -> None:
        return None

    @property
    def id(self) -> int:
        """The queue's id (process-wide)."""
        return self._id

    @property
    def maxsize(self) -> int:
        """The capacity given to create() (0: unbounded)."""
        try:
            return self._maxsize
        except AttributeError:
            self._maxsize = _queues.get_maxsize(self._id)
            return self._maxsize

    def empty(self) -> bool:
        """True if the queue holds no item now."""
        return self.qsize() == 0

    def full(self) -> bool:
        """True if a put_nowait() now would raise QueueFull."""
        return bool(_queues.is_full(self._id))

    def qsize(self) -> int:
        """The number of items in the queue now."""
        count: int = _queues.get_count(self._id)
        return count

    def _put_args(self, syncobj: bool | None, unbound: object) -> tuple[int, int]:
        if syncobj is None:
            fmt = self._fmt
        else:
            fmt = _SHARED_ONLY if syncobj else _PICKLED
        if unbound is None:
            unboundop, = self._unbound
        else:
            unboundop, = _serialize_unbound(unbound)
        return fmt, unboundop

    def put(self, obj: object, timeout: float | None = None, *,
            syncobj: bool | None = None, unbound: object = None,
            _delay: float | None = None) -> None:
        """Add the object to the queue.

        This blocks while the queue is full: until a get() makes room (the
        kernel wakes this call, with the GIL released; no polling) or
        ``timeout`` seconds pass (fractions count; None waits forever),
        then raises QueueFull. Ctrl-C interrupts the wait.

        If "syncobj" is None (the default) then it uses the
        queue's default, set with create().

        If "syncobj" is false then all objects are supported,
        at the expense of worse performance.

        If "syncobj" is true then the object must be "shareable".
        Examples of "shareable" objects include the builtin singletons,
        str, and memoryview.  One benefit is that such objects are
        passed through the queue efficiently.

        The key difference, though, is conceptual: the corresponding
        object returned from Queue.get() will be strictly equivalent
        to the given obj.  In other words, the two objects will be
        effectively indistinguishable from each other, even if the
        object is mutable.  The received object may actually be the
        same object, or a copy (immutable values only), or a proxy.
        Regardless, the received object should be treated as though
        the original has been shared directly, whether or not it
        actually is.  That's a slightly different and stronger promise
        than just (initial) equality, which is all "syncobj=False"
        can promise.

        "unbound" controls the behavior of Queue.get() for the given
        object if the current interpreter (calling put()) is later
        destroyed.

        If "unbound" is None (the default) then it uses the
        queue's default, set with create(),
        which is usually UNBOUND.

        If "unbound" is UNBOUND_ERROR then get() will raise an
        ItemInterpreterDestroyed exception if the original interpreter
        has been destroyed.  This does not otherwise affect the queue;
        the next call to put() will work like normal, returning the next
        item in the queue.

        If "unbound" is UNBOUND_REMOVE then the item will be removed
        from the queue as soon as the original interpreter is destroyed.
        Be aware that this will introduce an imbalance between put()
        and get() calls.

        If "unbound" is UNBOUND then it is returned by get() in place
        of the unbound item.

        ``_delay`` (CPython's polling interval) is accepted and ignored.
        """
        fmt, unboundop = self._put_args(syncobj, unbound)
        timeout = _timeout(timeout)
        if fmt == _PICKLED:
            obj = pickle.dumps(obj)
        try:
            _queues.put(self._id, obj, fmt, unboundop)
            return
        except queue.Full:
            pass
        try:
            # One wait, woken by a get; signal handlers run while it waits
            # (an exception they raise ends it, the item not put).
            _queues.put_wait(self._id, obj, fmt, unboundop, timeout)
        except queue.Full as exc:
            raise _as(exc, QueueFull)

    def put_nowait(self, obj: object, *, syncobj: bool | None = None,
                   unbound: object = None) -> None:
        """Add the object to the queue, or raise QueueFull if it is full.

        "syncobj" and "unbound" are as for put().
        """
        fmt, unboundop = self._put_args(syncobj, unbound)
        if fmt == _PICKLED:
            obj = pickle.dumps(obj)
        try:
            _queues.put(self._id, obj, fmt, unboundop)
        except queue.Full as exc:
            raise _as(exc, QueueFull)

    def get(self, timeout: float | None = None, *,
            _delay: float | None = None) -> Any:
        """Return the next object from the queue.

        This blocks while the queue is empty: until a put() (the kernel
        wakes this call, with the GIL released; no polling) or
        ``timeout`` seconds pass (fractions count; None waits forever),
        then raises QueueEmpty. Ctrl-C interrupts the wait.

        If the next item's original interpreter has been destroyed
        then the "next object" is determined by the value of the
        "unbound" argument to put().

        ``_delay`` (CPython's polling interval) is accepted and ignored.
        """
        timeout = _timeout(timeout)
        try:
            obj, fmt, unboundop = _queues.get_wait(self._id, timeout)
        except queue.Empty as exc:
            raise _as(exc, QueueEmpty)
        return _decode(obj, fmt, unboundop)

    def get_nowait(self) -> Any:
        """Return the next object from the queue.

        If the queue is empty then raise QueueEmpty.  Otherwise this
        is the same as get().
        """
        try:
            obj, fmt, unboundop = _queues.get(self._id)
        except queue.Empty as exc:
            raise _as(exc, QueueEmpty)
        return _decode(obj, fmt, unboundop)


_queues._register_heap_types(Queue, QueueEmpty, QueueFull)
