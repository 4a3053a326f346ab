"""Depots in the store, and the merged catalog of their content."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from vlcmsim.depot.catalog import Catalog
from vlcmsim.depot.codec import content_from_json, content_to_json
from vlcmsim.depot.model import DepotContent
from vlcmsim.depot.payloads import PayloadStore
from vlcmsim.store import schema
from vlcmsim.store.db import Store


@dataclass
class Depot:
    id: str
    description: str
    source_type: str
    location: str | None
    file_name: str
    owner: str | None
    create_time: datetime
    content: DepotContent


class Depots:
    """Like the inventory, reads come from a snapshot refreshed by this
    object's writes and at most `_TTL` seconds old."""

    _TTL = 1.0

    def __init__(self, store: Store, payloads: PayloadStore) -> None:
        self.store = store
        self.payloads = payloads
        self._snap: tuple[float, list[Depot], Catalog] | None = None

    def _snapshot(self) -> tuple[float, list[Depot], Catalog]:
        snap = self._snap
        if snap is not None and time.monotonic() - snap[0] < self._TTL:
            return snap
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(schema.depots)).all()
        depots = sorted((_depot(r) for r in rows), key=lambda d: int(d.id.rsplit("-", 1)[-1]))
        snap = (time.monotonic(), depots, Catalog.merge([d.content for d in depots]))
        self._snap = snap
        return snap

    def list(self) -> list[Depot]:
        return list(self._snapshot()[1])

    def get(self, depot_id: str) -> Depot | None:
        return next((d for d in self._snapshot()[1] if d.id == depot_id), None)

    def catalog(self) -> Catalog:
        return self._snapshot()[2]

    def add(
        self,
        content: DepotContent,
        *,
        description: str,
        location: str | None,
        file_name: str,
        owner: str | None,
        create_time: datetime,
    ) -> str:
        depot_id = f"depot-{self.store.next_id('depot')}"
        with self.store.engine.begin() as conn:
            conn.execute(
                schema.depots.insert().values(
                    id=depot_id,
                    description=description,
                    source_type="PULL",
                    location=location,
                    file_name=file_name,
                    owner=owner,
                    create_time=create_time,
                    content=content_to_json(content),
                )
            )
        self._snap = None
        return depot_id

    def delete(self, depot_id: str) -> None:
        """Remove the depot and the payloads that no other depot holds."""
        gone = self.get(depot_id)
        with self.store.engine.begin() as conn:
            conn.execute(delete(schema.depots).where(schema.depots.c.id == depot_id))
        self._snap = None
        if gone is None:
            return
        still = {p.sha256 for v in self.catalog().vibs.values() for p in v.payloads}
        for vib in gone.content.vibs:
            for p in vib.payloads:
                if p.sha256 not in still:
                    self.payloads.remove(p.sha256)


def _depot(r: Any) -> Depot:
    from datetime import UTC

    ct = r.create_time if r.create_time.tzinfo else r.create_time.replace(tzinfo=UTC)
    return Depot(r.id, r.description, r.source_type, r.location, r.file_name, r.owner, ct, content_from_json(r.content))
