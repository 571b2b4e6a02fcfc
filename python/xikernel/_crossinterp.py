"""What queues (and later channels) share: the unbound-item policies.

The same objects and flags as CPython 3.13's
``test.support.interpreters._crossinterp``, kept here because the ``test``
package is not installed everywhere (Debian's ``python3.13`` lacks it).
The flags are the low-level modules' ``unboundop`` values.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ItemInterpreterDestroyed", "UnboundItem", "UNBOUND", "UNBOUND_ERROR",
           "UNBOUND_REMOVE", "serialize_unbound", "resolve_unbound"]


class ItemInterpreterDestroyed(Exception):
    """Raised when trying to get an item whose interpreter was destroyed."""


class UnboundItem:
    """Represents a cross-interpreter item no longer bound to an interpreter.

    An item is unbound when the interpreter that added it to the
    cross-interpreter container is destroyed.
    """

    __slots__ = ()
    _MODULE = __name__
    _NAME = "UNBOUND"

    @classmethod
    def singleton(cls, kind: str, module: str, name: str = "UNBOUND") -> UnboundItem:
        """The one instance of a new subclass named after ``kind`` (e.g.
        ``UnboundQueueItem``), whose repr is ``module.name``."""
        doc = (cls.__doc__ or "").replace("cross-interpreter container", kind)
        doc = doc.replace("cross-interpreter", kind)
        subclass = type(f"Unbound{kind.capitalize()}Item", (cls,),
                        {"_MODULE": module, "_NAME": name, "__doc__": doc,
                         "__slots__": ()})
        return object.__new__(subclass)

    def __new__(cls) -> UnboundItem:
        raise Exception(f"use {cls._MODULE}.{cls._NAME}")

    def __repr__(self) -> str:
        return f"{self._MODULE}.{self._NAME}"


#: get() returns the container's UNBOUND object in place of the item.
UNBOUND: UnboundItem = object.__new__(UnboundItem)
#: get() raises ItemInterpreterDestroyed for the item.
UNBOUND_ERROR: Any = object()
#: The item is removed when its interpreter is destroyed.
UNBOUND_REMOVE: Any = object()

_TO_FLAG: dict[object, int] = {UNBOUND_REMOVE: 1, UNBOUND_ERROR: 2, UNBOUND: 3}
_FROM_FLAG: dict[int, object] = {1: UNBOUND_REMOVE, 2: UNBOUND_ERROR, 3: UNBOUND}


def serialize_unbound(unbound: object) -> tuple[int]:
    """``(flag,)`` for one of UNBOUND, UNBOUND_ERROR, UNBOUND_REMOVE."""
    try:
        return (_TO_FLAG[unbound],)
    except KeyError:
        raise NotImplementedError(f"unsupported unbound replacement op {unbound!r}") from None


def resolve_unbound(flag: int, exctype_destroyed: type[Exception]) -> UnboundItem:
    """What get() returns (or raises) for an unbound item with ``flag``."""
    try:
        op = _FROM_FLAG[flag]
    except KeyError:
        raise NotImplementedError(f"unsupported unbound replacement op {flag!r}") from None
    if op is UNBOUND_ERROR:
        raise exctype_destroyed("item's original interpreter destroyed")
    if op is UNBOUND:
        return UNBOUND
    raise NotImplementedError  # REMOVE: such items never reach get()
