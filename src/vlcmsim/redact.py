"""Secrets in locations: a depot at `https://user:password@host/...` keeps its
password to fetch with, and never shows it — not in task errors, notifications,
logs, traces or metrics, which read-only users and log readers see."""

from __future__ import annotations

import logging
import re
from typing import Any

# scheme://user:password@ — the password is what goes (up to the last @ before the path)
_USERINFO = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/:@'\"<>]*):(?P<secret>[^\s/'\"<>]*)@")
MASK = "****"


def redact(text: str) -> str:
    """`text` with the password of every URL it holds masked."""
    if "@" not in text:
        return text
    return _USERINFO.sub(lambda m: f"{m.group('head')}:{MASK}@", text)


class RedactingFilter(logging.Filter):
    """A log record's message with its URLs' passwords masked (on every handler it guards)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            text = redact(str(record.exc_info[1]))
            if text != str(record.exc_info[1]):
                record.exc_text = None
                record.exc_info = (record.exc_info[0], _Redacted(text), record.exc_info[2])
        return True


class _Redacted(Exception):
    pass


def redact_value(value: Any) -> Any:
    """Strings anywhere in a JSON-like value, masked."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list | tuple):
        return type(value)(redact_value(v) for v in value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    return value
