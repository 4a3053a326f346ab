"""esx.settings.Notification values."""

from __future__ import annotations

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
    if kind == "ERROR" and retriable is not None:  # union rule: retriable only on errors
        value["retriable"] = retriable
    return value
