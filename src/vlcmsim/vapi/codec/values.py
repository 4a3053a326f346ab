"""Domain values that need more than plain JSON types: opaque values that
carry their own type, and vCenter's date-times."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vlcmsim.vapi.model import TD

_RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


@dataclass(frozen=True)
class Opaque:
    """A value whose type travels with it (cis.task.Info.result)."""

    td: TD
    value: Any


class Frozen(dict[str, Any]):
    """A struct value that never changes again (an ended task's info, an ended
    host's status): it reads as the dict it is, and each wire form of it is
    encoded once and kept. Do not change it after it is encoded."""

    __slots__ = ("_encoded",)

    def __init__(self, value: dict[str, Any]) -> None:
        super().__init__(value)
        self._encoded: dict[object, Any] = {}

    def memo(self, style: object, encode: Any) -> Any:
        encoded = self._encoded.get(style)
        if encoded is None:
            encoded = self._encoded[style] = encode(self)
        return encoded


def now() -> datetime:
    return datetime.now(UTC)


def aware(dt: datetime) -> datetime:
    """A datetime read back from a store that drops the time zone is UTC."""
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def format_datetime(dt: datetime) -> str:
    """UTC, millisecond precision, truncated: what vCenter emits."""
    if dt.tzinfo is not None and dt.utcoffset():
        dt = dt.astimezone(UTC)
    return dt.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def parse_datetime(text: str) -> datetime | None:
    """The instant an RFC 3339 date-time names, or None when it is not one."""
    if not _RFC3339.match(text):
        return None
    try:
        return datetime.fromisoformat(text.replace("z", "Z").replace("t", "T")).astimezone(UTC)
    except ValueError:
        return None
