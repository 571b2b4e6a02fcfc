"""A pool of sub-interpreters, each with its own GIL, on xikernel's queues.

CPython 3.13 can run sub-interpreters in parallel (PEP 684: each has its
own GIL) but ships no executor for them (``InterpreterPoolExecutor`` arrived
in 3.14, where every task and result is pickled and waiting polls). This
module is that executor for 3.13, built on xikernel's ``_interpqueues``:

- :class:`InterpreterPoolExecutor` is a :class:`concurrent.futures.Executor`
  (``submit``, ``map`` with ``timeout`` and ``chunksize``, ``shutdown``
  with ``wait`` and ``cancel_futures``, a context manager);
- :func:`map` is the one-call form for scripts, chunked as
  :meth:`multiprocessing.pool.Pool.map` chunks by default.

Each worker is a sub-interpreter run by one thread of the main interpreter.
Tasks go to the workers through one kernel queue and results come back
through another; both ends block in ``_interpqueues.get_wait``, which
waits for the kernel's wake-up with the GIL released (no polling). The
main interpreter's side of the results is one collector thread that
completes the futures.

Functions travel by reference (``module`` + ``qualname``, imported in the
worker, as a process pool's do), or pickled when that is not possible
(bound methods, ``functools.partial``); a ``str`` given to ``submit`` is a
script run in the worker's ``__main__``. Functions defined in the main
script are found as with multiprocessing's *spawn*: the worker loads the
script as ``__mp_main__`` (so it needs the ``if __name__ == "__main__":``
guard). Workers start with the main interpreter's ``sys.path`` (the
working directory is the process's, shared). Arguments and results that
are the codec's values (None, bool, int, float, str, bytes and tuples of
them) cross without pickling; anything else is pickled.

A task's exception comes back as itself (when it pickles) with an
:class:`ExecutionFailed` as its ``__cause__`` that holds the type, message
and the worker's traceback text; else as the :class:`ExecutionFailed`. A
task that ends its interpreter (``SystemExit``, ``KeyboardInterrupt``,
anything else escaping the worker's loop) gets that error and its worker
gets a fresh interpreter.

See docs/python-interpreters.md.
"""
import itertools
import os
import sys
import threading
import time
import types
import weakref
from concurrent.futures import _base

try:
    import _interpqueues
except ImportError as e:  # pragma: no cover - depends on the installation
    raise ImportError(f"xikernel.interpreters needs xikernel's _interpqueues: {e}") from e

if getattr(_interpqueues, "_kernel", lambda: None)() != "xikernel":
    raise ImportError(
        "xikernel.interpreters needs xikernel's _interpqueues, but "
        f"{getattr(_interpqueues, '__file__', 'a built-in one')} is CPython's "
        "(install xikernel, or put python/build first on PYTHONPATH)"
    )

from ._pool import wire
from ._pool.errors import BrokenInterpreterPool, ExecutionFailed
from ._pool.pool import Pool, register

__all__ = [
    "BrokenInterpreterPool",
    "ExecutionFailed",
    "InterpreterPoolExecutor",
    "map",
]


def _fn_spec(fn):
    """``(module, qualname)`` when a worker can import ``fn``, else its pickle."""
    if isinstance(fn, (types.FunctionType, types.BuiltinFunctionType, type)):
        module = getattr(fn, "__module__", None)
        qualname = getattr(fn, "__qualname__", None)
        if type(module) is str and type(qualname) is str and "<" not in qualname:
            obj = sys.modules.get(module)
            for part in qualname.split("."):
                obj = getattr(obj, part, None)
            if obj is fn:
                return (module, qualname)
    try:
        return wire.dumps(fn)
    except Exception as e:
        # Closures, local functions and classes cannot reach another
        # interpreter by reference, as with a process pool (3.14's pool
        # raises PicklingError here too).
        import pickle

        raise pickle.PicklingError(f"cannot send {fn!r} to a worker interpreter: {e}") from e


def _args_spec(args, kwargs):
    # None, not (), for "no keywords": see wire.is_codec_value.
    spec = (args or None, tuple(kwargs.items()) if kwargs else None)
    if wire.is_codec_value(spec):
        return spec
    return wire.dumps((args, kwargs or None))


def _rows_spec(rows):
    rows = tuple(rows)
    if wire.is_codec_value(rows):
        return rows
    return wire.dumps(rows)


class InterpreterPoolExecutor(_base.Executor):
    """An executor whose workers are sub-interpreters with their own GIL.

    ``max_workers`` defaults to ``os.process_cpu_count()`` (the workers run
    in parallel, as processes do). ``initializer`` is a callable (sent as a
    process pool sends it) called with ``initargs`` in each new worker, or
    a script (source text, no ``initargs``) run in its ``__main__``; if it
    raises, the pool is broken (:class:`BrokenInterpreterPool`). ``shared``
    maps names to shareable objects (``bytes``, ``str``, ``int``, queues...)
    bound in each worker's ``__main__`` before the initializer runs
    (CPython 3.14's parameter).

    Workers start lazily, one per ``submit`` until ``max_workers`` (an idle
    worker is reused first), as in ``ProcessPoolExecutor``.
    """

    def __init__(
        self, max_workers=None, thread_name_prefix="", initializer=None, initargs=(), shared=None
    ):
        if max_workers is None:
            max_workers = (os.process_cpu_count() if hasattr(os, "process_cpu_count") else None) or os.cpu_count() or 1
        elif max_workers <= 0:
            raise ValueError("max_workers must be greater than 0")
        if isinstance(initializer, str):
            if initargs:
                raise ValueError(f"an initializer script does not take args, got {initargs!r}")
            compile(initializer, "<initializer>", "exec")  # fail here, not in a worker
            init = initializer
        elif initializer is not None:
            if not callable(initializer):
                raise TypeError("initializer must be a callable or a script")
            init = _pickled_call(initializer, tuple(initargs))
        else:
            init = None
        self._max_workers = max_workers
        self._pool = pool = Pool(
            max_workers,
            thread_name_prefix or f"InterpreterPoolExecutor-{next(_counter)}",
            init,
            dict(shared) if shared else None,
        )
        self._threads = pool.threads
        register(pool)
        # Dropped without shutdown: stop once the queued work is done.
        weakref.finalize(self, _dropped, pool)

    def submit(self, fn, /, *args, **kwargs):
        """Schedules ``fn(*args, **kwargs)``; ``fn`` may be a script (str)."""
        if isinstance(fn, str):
            if args or kwargs:
                raise ValueError(
                    f"a script does not take args or kwargs, got {args!r} and {kwargs!r}"
                )
            compile(fn, "<script>", "exec")
            item = (wire.SCRIPT, fn, ())
        else:
            item = (wire.CALL, _fn_spec(fn), _args_spec(args, kwargs))
        return self._pool.submit([(next(self._pool.tids), *item)])[0]

    submit.__doc__ = _base.Executor.submit.__doc__

    def map(self, fn, *iterables, timeout=None, chunksize=1):
        """Returns an iterator equivalent to ``map(fn, *iterables)``.

        As ``ProcessPoolExecutor.map``: ``chunksize`` items go to a worker
        as one task; ``timeout`` bounds the whole iteration (TimeoutError).
        """
        if chunksize < 1:
            raise ValueError("chunksize must be >= 1.")
        if timeout is not None:
            end_time = timeout + time.monotonic()
        spec = _fn_spec(fn)
        pool = self._pool
        tids = pool.tids
        if chunksize == 1:
            items = [(next(tids), wire.CALL, spec, _args_spec(a, None)) for a in zip(*iterables)]
        else:
            items = [
                (next(tids), wire.CHUNK, spec, _rows_spec(rows))
                for rows in itertools.batched(zip(*iterables), chunksize)
            ]
        fs = pool.submit(items)
        del items

        # As Executor.map: submitted before the first value is asked for,
        # no reference kept to a value once yielded, the rest cancelled if
        # the iteration stops early.
        def result_iterator():
            try:
                fs.reverse()
                while fs:
                    # No local may hold a value while suspended in `yield`.
                    if chunksize == 1:
                        if timeout is None:
                            yield _base._result_or_cancel(fs.pop())
                        else:
                            yield _base._result_or_cancel(fs.pop(), end_time - time.monotonic())
                        continue
                    if timeout is None:
                        chunk = list(_base._result_or_cancel(fs.pop()))
                    else:
                        chunk = list(_base._result_or_cancel(fs.pop(), end_time - time.monotonic()))
                    chunk.reverse()
                    while chunk:
                        yield chunk.pop()
            finally:
                for future in fs:
                    future.cancel()

        return result_iterator()

    def shutdown(self, wait=True, *, cancel_futures=False):
        self._pool.shutdown(wait, cancel_futures)

    def __exit__(self, exc_type, exc_val, exc_tb):
        if exc_type is not None and issubclass(exc_type, KeyboardInterrupt):
            # Ctrl-C in the with block (e.g. in result()): as a terminal's
            # SIGINT reaches a process pool's children too, interrupt the
            # running tasks and drop the unstarted ones, then wait.
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool.interrupt()
        self.shutdown(wait=True)
        return False

    shutdown.__doc__ = _base.Executor.shutdown.__doc__


_counter = itertools.count()


def _dropped(pool):
    """The executor was collected without shutdown: shut its pool down.

    From a new thread: the collection can happen in any thread at any
    allocation, including one holding `pool.lock` (the collector's), and
    that lock is not reentrant.
    """
    try:
        threading.Thread(target=pool.shutdown, args=(False,)).start()
    except RuntimeError:  # interpreter exit: _python_exit has done it
        pass


def _pickled_call(fn, args):
    _fn_spec(fn)  # PicklingError for what cannot reach a worker
    return wire.dumps((fn, args))


def map(fn, iterable, chunksize=None, workers=None):
    """``list(map(fn, iterable))`` computed by a pool of sub-interpreters.

    A pool of ``workers`` interpreters (default: ``os.process_cpu_count()``)
    is started and shut down around the call. ``chunksize`` defaults to
    what ``multiprocessing.Pool.map`` uses: the items split in about four
    chunks per worker.
    """
    if not hasattr(iterable, "__len__"):
        iterable = list(iterable)
    with InterpreterPoolExecutor(workers) as pool:
        if chunksize is None:
            chunksize, extra = divmod(len(iterable), pool._max_workers * 4)
            if extra:
                chunksize += 1
        if len(iterable) == 0:
            return []
        return list(pool.map(fn, iterable, chunksize=max(1, chunksize)))
