"""How vSphere filter specs match: an unset or empty set matches everything."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any


def allows(values: Collection[Any] | None, value: Any) -> bool:
    return not values or value in values


def as_sets(spec: dict[str, Any] | None) -> dict[str, Any]:
    """The filter spec with each list of plain values as a set: matching many
    objects against a large filter stays linear."""
    out: dict[str, Any] = {}
    for key, value in (spec or {}).items():
        if isinstance(value, list) and all(isinstance(v, str | int | bool) for v in value):
            out[key] = frozenset(value)
        else:
            out[key] = value
    return out
