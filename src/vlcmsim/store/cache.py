"""The one read cache over the store: a snapshot reloaded when it is older than
its time to live or when this process changed what it holds. Another process's
writes are therefore seen within `ttl` seconds; the store stays the truth.

With a `version` (a counter its writers bump in the store, `Store.bump`), an
expired snapshot costs one small query: it is reloaded only when the version
moved — 10,000 hosts' knobs are not read again every second for nothing."""

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
    hosts.expire()       # the next get() checks the version now (a refresh reads only what moved)
    hosts.wrote(7, add)  # ... or, when the write moved the version on by one, changed in place
    """

    def __init__(
        self,
        load: Callable[[], T],
        ttl: float,
        version: Callable[[], int] | None = None,
        refresh: Callable[[T, int], T] | None = None,
    ) -> None:
        self._load = load
        self.ttl = ttl
        self._version = version
        # with a version: what the snapshot taken at a version becomes, read again for what
        # moved since (the rows stamped later), instead of a whole load
        self._refresh = refresh
        self._value: T | None = None
        self._taken = 0.0
        self._loaded_version: int | None = None

    def get(self, max_age: float = 0.0) -> T:
        """The snapshot, checked against the store when older than the ttl (or `max_age`, when longer)."""
        value = self._value
        if value is None or time.monotonic() - self._taken >= max(self.ttl, max_age):
            current = self._version() if self._version is not None else None
            if value is None or current is None or current != self._loaded_version:
                if value is not None and self._refresh is not None and self._loaded_version is not None:
                    value = self._value = self._refresh(value, self._loaded_version)
                else:
                    value = self._value = self._load()
                self._loaded_version = current
            self._taken = time.monotonic()
        return value

    def invalidate(self) -> None:
        self._value = None

    def expire(self) -> None:
        """The next `get` looks at the version, however young the snapshot (and refreshes it)."""
        self._taken = 0.0

    def wrote(self, version: int, change: Callable[[T], T]) -> None:
        """After this process committed a write that moved the version to `version`. When the
        snapshot was taken at the version just before, nobody else wrote between: `change`
        makes of it what the store holds now, and no read follows (a write of a draft re-read
        every draft). Otherwise the next `get` reloads."""
        value = self._value
        if value is not None and self._loaded_version is not None and version == self._loaded_version + 1:
            self._value = change(value)
            self._loaded_version = version
        else:
            self._value = None
