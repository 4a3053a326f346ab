"""Depot overrides: the depots a cluster's (or a standalone host's) hosts take
their lifecycle content from instead of vCenter's, as remote offices do. When
an owner has any, its stages and remediations read them (as online depots)
and a host can take only the payloads they offer."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from vlcmsim.store import schema
from vlcmsim.store.cache import TTLSnapshot
from vlcmsim.store.db import Store

_t = schema.depot_overrides
_ALL = select(_t.c.owner, _t.c.location).order_by(_t.c.owner, _t.c.position)
VERSION = "depot_overrides_version"  # bumped by every write of overrides


class DepotOverrides:
    """Every owner's overrides from one snapshot, read again when their version moves: every
    stage and remediation asks, and overrides seldom change."""

    def __init__(self, store: Store, ttl: float = 1.0) -> None:
        self.store = store
        self._all = TTLSnapshot(self._load, ttl, lambda: store.version(VERSION))

    def _load(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for r in self.store.read_all(_ALL):
            out.setdefault(r.owner, []).append(r.location)
        return out

    def of(self, owner: str) -> list[str]:
        return list(self._all.get().get(owner, ()))

    def add(self, owner: str, location: str) -> bool:
        """False when the owner has it already."""
        with self.store.engine.begin() as conn:
            if conn.execute(select(_t.c.owner).where(_t.c.owner == owner, _t.c.location == location)).first():
                return False
            last = conn.execute(select(func.max(_t.c.position)).where(_t.c.owner == owner)).scalar_one()
            conn.execute(_t.insert().values(owner=owner, location=location, position=(last or 0) + 1))
            Store.bump(conn, VERSION)
        self._all.invalidate()
        return True

    def remove(self, owner: str, location: str) -> bool:
        """False when the owner has no such override."""
        with self.store.engine.begin() as conn:
            gone = conn.execute(delete(_t).where(_t.c.owner == owner, _t.c.location == location)).rowcount
            if gone:
                Store.bump(conn, VERSION)
        self._all.invalidate()
        return bool(gone)

    def forget(self, owner: str) -> None:
        with self.store.engine.begin() as conn:
            if conn.execute(delete(_t).where(_t.c.owner == owner)).rowcount:
                Store.bump(conn, VERSION)
        self._all.invalidate()
