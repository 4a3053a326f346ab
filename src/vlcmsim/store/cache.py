"""The one read cache over the store: a snapshot reloaded when it is older than
its time to live or when this process changed what it holds. Another process's
writes are therefore seen within `ttl` seconds; the store stays the truth."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class TTLSnapshot(Generic[T]):
    """
    hosts = TTLSnapshot(load_hosts, ttl=1.0)
    hosts.get()          # loads, or returns the snapshot taken less than 1 s ago
    hosts.invalidate()   # after a write of our own: the next get() reloads
    """

    def __init__(self, load: Callable[[], T], ttl: float) -> None:
        self._load = load
        self.ttl = ttl
        self._value: T | None = None
        self._taken = 0.0

    def get(self) -> T:
        value = self._value
        if value is None or time.monotonic() - self._taken >= self.ttl:
            value = self._value = self._load()
            self._taken = time.monotonic()
        return value

    def invalidate(self) -> None:
        self._value = None
