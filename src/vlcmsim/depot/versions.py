"""Ordering of ESXi versions: `8.0.2-0.0.22380479`, `1.12.3.0-1OEM.800.1.0.20613240`."""

from __future__ import annotations

import re
from functools import lru_cache

_TOKEN = re.compile(r"\d+|[A-Za-z]+")


@lru_cache(maxsize=65536)
def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Numbers compare as numbers, words as words, numbers after words."""
    return tuple((1, int(t)) if t.isdigit() else (0, t.lower()) for t in _TOKEN.findall(version))


def compare(a: str, b: str) -> int:
    ka, kb = version_key(a), version_key(b)
    return (ka > kb) - (ka < kb)
