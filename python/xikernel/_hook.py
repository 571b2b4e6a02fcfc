"""The import hook that serves xikernel's ``_interpqueues`` and
``_interpchannels`` in place of CPython's own.

Why a hook and not ``sys.path`` order: CPython's modules live in
``lib-dynload``, which comes before site-packages on ``sys.path``, and on
builds where they are compiled into the interpreter no path order can
shadow them. A finder placed first on ``sys.meta_path`` is asked before
CPython's ``BuiltinImporter`` and ``PathFinder``, so it wins either way.

How it gets installed: ``xikernel.pth`` in site-packages runs
``_startup()`` when ``site`` processes it, which CPython does at start-up
in the main interpreter and again in every sub-interpreter (each has its
own ``sys.meta_path``). Where ``site`` does not run (``python -S``, some
embedders), call ``xikernel.install()`` in each interpreter before it
imports either module. ``XIKERNEL_DISABLE=1`` in the environment turns the
start-up install off (to compare with CPython's modules in one
environment).

Both modules come from one shared library, ``_native<EXT_SUFFIX>``: an
``ExtensionFileLoader`` created with the module's name calls
``PyInit_<name>`` in it, and the dynamic loader maps the file once, so
every module of the package shares one copy of the kernel.

This module is imported at every interpreter start-up in an environment
that has the package: it imports nothing beyond what CPython has already
loaded by then.
"""

from __future__ import annotations

import os
import sys
from importlib.machinery import EXTENSION_SUFFIXES, ExtensionFileLoader, ModuleSpec

TYPE_CHECKING = False  # `typing` is not imported at start-up: too slow
if TYPE_CHECKING:
    from types import ModuleType
    from typing import Sequence

__all__ = ["MODULES", "DISABLE_ENV", "XikernelFinder", "install", "uninstall",
           "installed", "disabled", "library"]

#: The modules the hook serves, all from the one library.
MODULES: tuple[str, ...] = ("_interpqueues", "_interpchannels")

#: Set to anything but "" or "0" to keep the hook out at start-up.
DISABLE_ENV = "XIKERNEL_DISABLE"

_LIBRARY_STEM = "_native"


def library() -> str | None:
    """The path of the package's extension library, or None if it is not
    built next to this file (a source checkout without ``pip install``)."""
    here = os.path.dirname(os.path.abspath(__file__))
    for suffix in EXTENSION_SUFFIXES:
        path = os.path.join(here, _LIBRARY_STEM + suffix)
        if os.path.isfile(path):
            return path
    return None


def disabled() -> bool:
    """True if ``XIKERNEL_DISABLE`` asks for CPython's own modules."""
    return os.environ.get(DISABLE_ENV, "") not in ("", "0")


class XikernelFinder:
    """A ``sys.meta_path`` finder for :data:`MODULES`, served from
    :func:`library`; every other name is left to the next finder."""

    #: Marks our finders in ``sys.meta_path`` across reloads of this module.
    _xikernel = True

    def __init__(self, library: str) -> None:
        self.library = library

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        """A spec that loads ``fullname`` from the library, for the names
        in :data:`MODULES` only."""
        if fullname not in MODULES:
            return None
        spec = ModuleSpec(fullname, ExtensionFileLoader(fullname, self.library),
                          origin=self.library)
        spec.has_location = True  # sets the module's __file__
        return spec

    def invalidate_caches(self) -> None:
        """Nothing is cached."""

    def __repr__(self) -> str:
        return f"<XikernelFinder {self.library!r}>"


def _ours(finder: object) -> bool:
    return getattr(finder, "_xikernel", False) is True


def installed() -> bool:
    """True if this interpreter's ``sys.meta_path`` starts with our finder."""
    return bool(sys.meta_path) and _ours(sys.meta_path[0])


def install() -> None:
    """Put xikernel's finder first on this interpreter's ``sys.meta_path``.

    Idempotent. Ignores ``XIKERNEL_DISABLE`` (an explicit call means it).
    Raises ImportError if the package's library is not built, and
    RuntimeError if CPython's own module is already imported here (two
    kernels in one interpreter would not see each other's queues).
    """
    path = library()
    if path is None:
        raise ImportError("xikernel's extension library is not built next to "
                          f"{os.path.dirname(os.path.abspath(__file__))}: "
                          "install the package with `python -m pip install ./python`")
    for name in MODULES:
        m = sys.modules.get(name)
        if m is not None and getattr(m, "__file__", None) != path:
            raise RuntimeError(f"{name} is already imported from "
                               f"{getattr(m, '__file__', None) or 'CPython (built-in)'}; "
                               "call xikernel.install() before anything imports it")
    if installed():
        return
    uninstall()
    sys.meta_path.insert(0, XikernelFinder(path))


def uninstall() -> None:
    """Remove xikernel's finder from this interpreter's ``sys.meta_path``
    (modules already imported stay as they are)."""
    sys.meta_path[:] = [f for f in sys.meta_path if not _ours(f)]


def _startup() -> None:
    """Run by ``xikernel.pth`` when an interpreter starts."""
    if not disabled():
        install()
