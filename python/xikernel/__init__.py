"""xikernel for CPython 3.13: the kernel's ``_interpqueues`` and
``_interpchannels`` in place of CPython's, and Python APIs on top.

Installing the package (``python -m pip install ./python``) also installs
an import hook (``xikernel.pth``) that makes ``import _interpqueues`` and
``import _interpchannels`` load xikernel's modules in every interpreter,
so CPython's own wrappers (``test.support.interpreters``, PEP 734) run on
the kernel unchanged. ``XIKERNEL_DISABLE=1`` turns the hook off;
``python -m xikernel`` shows which implementation each module resolves to.

Submodules (imported on demand, never at start-up):

- :mod:`xikernel.queues`: cross-interpreter queues with the API of
  ``test.support.interpreters.queues``, whose blocking ``get``/``put``
  are woken by the kernel instead of polling.
- :mod:`xikernel.mp`: ``multiprocessing`` queues and pools on the
  kernel's shared-memory queue.

Functions here: :func:`install` (for interpreters that skip ``.pth``
files, e.g. ``python -S``).
"""

from ._hook import install

__version__ = "0.1.0"

__all__ = ["install", "__version__"]
