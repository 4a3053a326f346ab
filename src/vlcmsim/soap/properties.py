"""Properties of managed objects: one function per (managed type, property),
registered with `@prop`, found through the type's inheritance (a property of
ManagedEntity serves every entity). The names and value types are vim25's
(pyVmomi checks every value it serializes); a property vim25 defines that no
function serves is unset, as vCenter leaves optional properties."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vlcmsim.soap.vim import moid, property_names, wsdl_name

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from vlcmsim.soap.world import World

Getter = Callable[["World", Any], Any]
_REGISTRY: dict[str, dict[str, Getter]] = {}


def prop(kind: Any, *names: str) -> Callable[[Getter], Getter]:
    """Register a getter of `kind`'s properties `names` (several names share one
    getter only when they are the same value, as `host` and `summary.host`)."""

    def register(fn: Getter) -> Getter:
        table = _REGISTRY.setdefault(wsdl_name(kind), {})
        for name in names:
            table[name] = fn
        return fn

    return register


class InvalidProperty(Exception):
    """A path that names no property of the object's type (vim25's InvalidProperty)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


@dataclass
class Memo:
    """The values one request has computed: a property read twice is computed once."""

    values: dict[tuple[str, str, str], Any] = field(default_factory=dict)


def registered() -> dict[str, list[str]]:
    """Every served property, by the managed type it is registered on (docs/vim25.md)."""
    return {kind: sorted(table) for kind, table in _REGISTRY.items()}


class PropertyFailed(Exception):
    """A property's getter failed: a SystemError to the caller (not "your arguments are invalid")."""


def getter(obj: Any, name: str) -> Getter | None:
    for kind in type(obj).__mro__:
        table = _REGISTRY.get(getattr(kind, "_wsdlName", ""))
        if table and name in table:
            return table[name]
    return None


def names(obj: Any) -> list[str]:
    """The properties `all=true` returns: those vim25 defines that have a value here."""
    return [n for n in property_names(type(obj)) if getter(obj, n) is not None]


def get(world: World, obj: Any, path: str, memo: Memo | None = None) -> Any:
    """The value at `path` ("summary.config.product.fullName"): the property, then its fields."""
    head, _, rest = path.partition(".")
    if head not in property_names(type(obj)):
        raise InvalidProperty(path)
    key = (wsdl_name(type(obj)), moid(obj), head)
    if memo is not None and key in memo.values:
        value = memo.values[key]
    else:
        fn = getter(obj, head)
        try:
            value = fn(world, obj) if fn is not None else None
        except (TypeError, ValueError, AttributeError) as exc:  # our bug, not the caller's request
            log.exception("reading %s of %s failed", head, moid(obj))
            raise PropertyFailed(f"Reading {head} of {moid(obj)} failed: {exc}") from None
        if memo is not None:
            memo.values[key] = value
    for part in rest.split(".") if rest else ():
        if value is None:
            return None
        try:
            value = getattr(value, part)
        except AttributeError:
            raise InvalidProperty(path) from None
    return value
