"""How tasks, results and exceptions travel through the kernel's queues.

Imported by the main interpreter (``xikernel.interpreters``) and by every
worker sub-interpreter (``xikernel._pool.worker``), so both sides agree on
the layout by construction. Everything put on a queue is a tuple of the
codec's own values (None, bool, int, float, str, bytes, tuples of them):
the kernel carries those without pickling. Anything else (a list, a dict,
an instance of a user class) is pickled into ``bytes`` first.

A task is ``(tid, kind, fn, args)``:

- ``kind`` CALL: ``fn`` is ``(module, qualname)`` (found by import in the
  worker, cached there) or ``bytes`` (a pickled callable); ``args`` is
  ``(positional, ((name, value), ...))`` when all of it is codec values,
  else the ``bytes`` of ``pickle.dumps((positional, kwargs))``.
- ``kind`` CHUNK: as CALL, but ``args`` is a tuple of argument tuples (or
  their pickle) and the result is the tuple of ``fn(*a)`` for each.
- ``kind`` SCRIPT: ``fn`` is source text run in the worker's ``__main__``.

``None`` on the task queue tells one worker to stop.

A result is ``(tid, status, value)`` with ``status`` one of OK (``value``
is the result), PICKLED (``value`` is its pickle), RAISED (``value`` is
:func:`describe_exception`'s tuple). The main interpreter also puts two
kinds of control items on the result queue for its own collector thread:
BARRIER (a worker's interpreter is about to be destroyed) and ``tid``
:data:`COLLECTOR_STOP`.
"""

import sys

# pickle is imported when first needed: a worker whose tasks and results
# are all codec values never loads it (it costs a few ms at start-up).

CALL, CHUNK, SCRIPT = 0, 1, 2
OK, PICKLED, RAISED, BARRIER = 0, 1, 2, 3
COLLECTOR_STOP = -1

# CPython 3.13's _interpqueues constants (Lib/test/support/interpreters/
# queues.py): fmt 0 = the object itself; the item's fate when its
# interpreter is destroyed. Tasks are put by the main interpreter, which
# outlives every worker. Results are put by workers, and a worker's
# interpreter is destroyed only after the collector has taken everything it
# put (the BARRIER item), so nothing is ever unbound; ERROR makes a bug
# loud instead of silently dropping a result.
FMT = 0
UNBOUND_REMOVE, UNBOUND_ERROR = 1, 2

# The codec's scalar types, matched exactly as the kernel matches them (an
# int or str subclass is not a codec value and gets pickled).
_SCALARS = frozenset((type(None), bool, int, float, str, bytes))
# The codec nests 128 levels; stay well inside it.
_MAX_DEPTH = 64


def is_codec_value(obj, _depth=0):
    """True if the kernel's codec carries ``obj`` as it is (no pickling).

    memoryview is deliberately not one: CPython 3.13 crashes when a view
    outlives the interpreter that owns its buffer (docs/cpython.md), and a
    worker's interpreter can be replaced at any time.
    """
    t = type(obj)
    if t in _SCALARS:
        return True
    if t is not tuple or _depth >= _MAX_DEPTH:
        return False
    if not obj:
        # Workaround: the binding's decoder (python/xi/src/convert.rs,
        # from_shared) opens no frame for an empty tuple, so that tuple's
        # TupleEnd closes the enclosing one: ((), 1) fails with "corrupt
        # cross-interpreter data". A nested () is pickled until that is
        # fixed; a top-level () is fine.
        return not _depth
    for x in obj:  # the common case first: a flat tuple of scalars
        if type(x) not in _SCALARS:
            break
    else:
        return True
    d = _depth + 1
    for x in obj:
        if not is_codec_value(x, d):
            return False
    return True


def dumps(obj):
    import pickle

    return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


def _unpickler_class():
    import pickle

    class _Unpickler(pickle.Unpickler):
        """Maps between a script's ``__main__`` and a worker's ``__mp_main__``.

        A worker loads the main interpreter's script as ``__mp_main__`` (as
        multiprocessing's spawn does), so a class defined in the script is
        ``__main__.C`` in the main interpreter and ``__mp_main__.C`` in a
        worker. Each side reads the other's name as its own.
        """

        def __init__(self, data, main_alias):
            import io

            super().__init__(io.BytesIO(data))
            self._alias = main_alias

        def find_class(self, module, name):
            if module in ("__main__", "__mp_main__"):
                module = self._alias()
            return super().find_class(module, name)

    return _Unpickler


def loads(data, main_alias=None):
    """``pickle.loads``, mapping ``__main__``/``__mp_main__`` if asked.

    ``main_alias`` is a callable returning the module name to use (called
    only when the pickle names a script's module, so a worker loads the
    script only when it is needed).
    """
    if main_alias is None or (b"__main__" not in data and b"__mp_main__" not in data):
        import pickle

        return pickle.loads(data)
    return _unpickler_class()(data, main_alias).load()


def describe_exception(exc, skip_frames=0):
    """The RAISED payload: ``(pickle or None, name, qualname, module, msg, text)``.

    ``text`` is the formatted traceback as the worker saw it (frames of the
    pool's own loop left out), so the main interpreter can show where the
    error happened even when the exception itself cannot be pickled.
    """
    import traceback

    tb = exc.__traceback__
    for _ in range(skip_frames):
        if tb is not None:
            tb = tb.tb_next
    try:
        text = "".join(traceback.format_exception(type(exc), exc, tb))
    except BaseException:  # a broken __str__ must not lose the error
        text = f"{type(exc).__qualname__}: <unprintable>\n"
    try:
        msg = str(exc)
    except BaseException:
        msg = "<unprintable>"
    try:
        exc.__traceback__ = None  # frames would pin the task's locals
        pickled = dumps(exc)
    except BaseException:
        pickled = None
    t = type(exc)
    return (
        pickled,
        str(getattr(t, "__name__", "?")),
        str(getattr(t, "__qualname__", "?")),
        str(getattr(t, "__module__", "?")),
        msg,
        text,
    )


def main_info():
    """How a worker can load the main interpreter's ``__main__`` module.

    ``("path", file)`` for ``python script.py``, ``("module", name)`` for
    ``python -m name``, ``None`` when there is nothing to load (the REPL,
    ``-c``, an embedded interpreter): multiprocessing's spawn rules.
    """
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    name = getattr(spec, "name", None)
    if name is not None and name != "__main__":
        # `python -m pkg` runs pkg.__main__, which is not re-run (spawn
        # skips it too: it is usually the command-line entry point).
        return None if name.endswith(".__main__") else ("module", name)
    path = getattr(main, "__file__", None)
    if isinstance(path, str) and path.endswith(".py"):
        import os

        return ("path", os.path.abspath(path))
    return None
