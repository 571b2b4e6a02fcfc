"""The pool's exceptions, and how a worker's error becomes the main's.

Re-exported by :mod:`xikernel.interpreters` (their public home).
"""

import types
from concurrent.futures import _base

import _interpreters

from . import wire


class BrokenInterpreterPool(_base.BrokenExecutor):
    """Raised when a worker's initializer failed: the pool takes no more work.

    As ``concurrent.futures.thread.BrokenThreadPool`` (3.14:
    ``concurrent.futures.interpreter.BrokenInterpreterPool``).
    """

    __module__ = "xikernel.interpreters"


class ExecutionFailed(_interpreters.InterpreterError):
    """An exception was not handled in a worker interpreter.

    ``excinfo`` has ``type`` (with ``__name__``, ``__qualname__``,
    ``__module__``), ``msg``, ``formatted`` (``"Type: msg"``) and
    ``errdisplay`` (the traceback as the worker printed it), the shape
    ``_interpreters.exec`` reports and CPython 3.14's class has.
    """

    __module__ = "xikernel.interpreters"

    def __init__(self, excinfo):
        super().__init__(excinfo.formatted or excinfo.type.__name__ or excinfo.msg)
        self.excinfo = excinfo

    def __str__(self):
        shown = getattr(self.excinfo, "errdisplay", None)
        base = super().__str__()
        if not shown:
            return base
        return f"{base}\n\nUncaught in the interpreter:\n\n{shown.rstrip()}"


def _excinfo(name, qualname, module, msg, text):
    return types.SimpleNamespace(
        type=types.SimpleNamespace(__name__=name, __qualname__=qualname, __module__=module),
        msg=msg,
        formatted=f"{qualname}: {msg}" if msg else qualname,
        errdisplay=text,
    )


def main_alias():
    """In the main interpreter a script's classes live in ``__main__``
    (a worker names them ``__mp_main__``: see ``wire.loads``)."""
    return "__main__"


def raised(value):
    """The exception a future gets for a RAISED result."""
    pickled, name, qualname, module, msg, text = value
    failed = ExecutionFailed(_excinfo(name, qualname, module, msg, text))
    if pickled is None:
        return failed
    try:
        exc = wire.loads(pickled, main_alias)
    except BaseException:
        return failed
    if not isinstance(exc, BaseException):
        return failed
    exc.__cause__ = failed
    return exc
