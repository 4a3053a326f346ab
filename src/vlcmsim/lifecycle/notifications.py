"""esx.settings.Notification values."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vlcmsim.vapi.codec import now


def message(msg_id: str, text: str, *args: str) -> dict[str, Any]:
    return {"id": msg_id, "default_message": text, "args": list(args)}


def notification(
    kind: str, msg_id: str, text: str, *args: str, resolution: str | None = None, retriable: bool | None = None
) -> dict[str, Any]:
    value: dict[str, Any] = {"type": kind, "id": msg_id, "time": now(), "message": message(msg_id, text, *args)}
    if resolution:
        value["resolution"] = message(msg_id + ".resolution", resolution)
    if retriable is not None:  # written for errors only: the union rule of Notification
        value["retriable"] = retriable
    return value


def notifications(
    info: Sequence[dict[str, Any]] = (),
    warnings: Sequence[dict[str, Any]] = (),
    errors: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """A Notifications value with the lists that are not empty."""
    out: dict[str, Any] = {}
    for name, items in (("info", info), ("warnings", warnings), ("errors", errors)):
        if items:
            out[name] = list(items)
    return out
