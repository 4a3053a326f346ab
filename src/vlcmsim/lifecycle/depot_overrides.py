"""Depot overrides: the depots a cluster's (or a standalone host's) hosts take
their lifecycle content from instead of vCenter's, as remote offices do. When
an owner has any, its stages and remediations read them (as online depots)
and a host can take only the payloads they offer."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, func, select

from vlcmsim.store import schema
from vlcmsim.store.db import Store

_t = schema.depot_overrides
# built once: every stage and remediation asks (building it cost more than running it)
_OF = select(_t.c.location).where(_t.c.owner == bindparam("owner")).order_by(_t.c.position)


class DepotOverrides:
    def __init__(self, store: Store) -> None:
        self.store = store

    def of(self, owner: str) -> list[str]:
        return [r.location for r in self.store.read_all(_OF, {"owner": owner})]

    def add(self, owner: str, location: str) -> bool:
        """False when the owner has it already."""
        t = schema.depot_overrides
        with self.store.engine.begin() as conn:
            if conn.execute(select(t.c.owner).where(t.c.owner == owner, t.c.location == location)).first():
                return False
            last = conn.execute(select(func.max(t.c.position)).where(t.c.owner == owner)).scalar_one()
            conn.execute(t.insert().values(owner=owner, location=location, position=(last or 0) + 1))
        return True

    def remove(self, owner: str, location: str) -> bool:
        """False when the owner has no such override."""
        t = schema.depot_overrides
        with self.store.engine.begin() as conn:
            gone = conn.execute(delete(t).where(t.c.owner == owner, t.c.location == location)).rowcount
        return bool(gone)

    def forget(self, owner: str) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(delete(schema.depot_overrides).where(schema.depot_overrides.c.owner == owner))
