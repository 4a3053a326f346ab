"""How vSphere filter specs match: an unset or empty set matches everything."""

from __future__ import annotations

from typing import Any


def allows(values: list[Any] | None, value: Any) -> bool:
    return not values or value in values
