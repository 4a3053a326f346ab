"""Depots in the store, and the merged catalog of their content."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from vlcmsim.depot.catalog import Catalog
from vlcmsim.depot.model import DepotContent
from vlcmsim.depot.payloads import PayloadStore
from vlcmsim.depot.storage import content_from_json, content_to_json
from vlcmsim.store import schema
from vlcmsim.store.cache import TTLSnapshot
from vlcmsim.store.db import Store
from vlcmsim.vapi.codec import aware


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
    bundle_sha256: str | None = None
    file_id: str | None = None  # of a PUSH depot: the upload it came from
    enabled: bool = True  # an online depot: synced
    ownerdata: str | None = None

    @property
    def online(self) -> bool:
        """An online depot or UMDS (synced from its location), not an offline bundle."""
        return self.source_type in ONLINE_TYPES


ONLINE_TYPES = ("ONLINE", "UMDS")


class PayloadPins:
    """Payloads that running tasks are moving to hosts: no depot that alone
    holds one of them can be deleted meanwhile (in this process)."""

    def __init__(self) -> None:
        self._count: Counter[str] = Counter()

    @contextmanager
    def holding(self, shas: set[str]) -> Iterator[None]:
        self._count.update(shas)
        try:
            yield
        finally:
            self._count.subtract(shas)
            self._count += Counter()  # drop the zeros

    def any_of(self, shas: set[str]) -> bool:
        return any(self._count[s] > 0 for s in shas)


class Depots:
    """Reads come from a `TTLSnapshot` of the store: the depots and their merged catalog."""

    def __init__(self, store: Store, payloads: PayloadStore, ttl: float = 1.0) -> None:
        self.store = store
        self.payloads = payloads
        self.pins = PayloadPins()
        self._snap = TTLSnapshot(self._load, ttl, lambda: store.version(VERSION))

    def _load(self) -> tuple[list[Depot], Catalog]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(schema.depots)).all()
        depots = sorted((_depot(r) for r in rows), key=lambda d: int(d.id.rsplit("-", 1)[-1]))
        return depots, Catalog.merge([d.content for d in depots])

    def list(self) -> list[Depot]:
        return list(self._snap.get()[0])

    def get(self, depot_id: str) -> Depot | None:
        return next((d for d in self._snap.get()[0] if d.id == depot_id), None)

    def from_bundle(self, sha256: str) -> Depot | None:
        """The depot imported from the bundle of this checksum, if any."""
        return next((d for d in self.list() if d.bundle_sha256 == sha256), None)

    def catalog(self) -> Catalog:
        return self._snap.get()[1]

    def add(
        self,
        content: DepotContent,
        *,
        description: str,
        location: str | None,
        file_name: str,
        owner: str | None,
        create_time: datetime,
        bundle_sha256: str | None = None,
        source_type: str = "PULL",
        file_id: str | None = None,
        enabled: bool = True,
        ownerdata: str | None = None,
    ) -> str:
        depot_id = f"depot-{self.store.next_id('depot')}"
        with self.store.engine.begin() as conn:
            Store.bump(conn, VERSION)
            conn.execute(
                schema.depots.insert().values(
                    id=depot_id,
                    description=description,
                    source_type=source_type,
                    location=file_id if source_type == "PUSH" else location,
                    file_name=file_name,
                    owner=owner,
                    create_time=create_time,
                    content=content_to_json(content),
                    bundle_sha256=bundle_sha256,
                    enabled=enabled,
                    ownerdata=ownerdata,
                )
            )
        self._snap.invalidate()
        return depot_id

    def update(self, depot_id: str, **values: Any) -> None:
        """Change an online depot's description or enabled flag."""
        with self.store.engine.begin() as conn:
            Store.bump(conn, VERSION)
            conn.execute(update(schema.depots).where(schema.depots.c.id == depot_id).values(**values))
        self._snap.invalidate()

    def set_content(self, depot_id: str, content: DepotContent) -> None:
        """What a sync found in an online depot."""
        self.update(depot_id, content=content_to_json(content))

    def exclusive_payloads(self, depot_id: str) -> set[str]:
        """The payloads of this depot that no other depot holds."""
        others = {p.sha256 for d in self.list() if d.id != depot_id for v in d.content.vibs for p in v.payloads}
        depot = self.get(depot_id)
        mine = {p.sha256 for v in depot.content.vibs for p in v.payloads} if depot else set()
        return mine - others

    def delete(self, depot_id: str) -> None:
        """Remove the depot and the payloads that no other depot holds."""
        gone = self.get(depot_id)
        with self.store.engine.begin() as conn:
            Store.bump(conn, VERSION)
            conn.execute(delete(schema.depots).where(schema.depots.c.id == depot_id))
        self._snap.invalidate()
        if gone is None:
            return
        still = {p.sha256 for v in self.catalog().vibs.values() for p in v.payloads}
        for vib in gone.content.vibs:
            for p in vib.payloads:
                if p.sha256 not in still:
                    self.payloads.remove(p.sha256)


EMBEDDED = "vlcmsim://embedded/"  # the location of content that came with vlcmsim itself
VERSION = "depots_version"  # bumped by every write of the depots


def _depot(r: Any) -> Depot:
    push = r.source_type == "PUSH"  # its `location` column keeps the upload's file id
    return Depot(
        r.id,
        r.description,
        r.source_type,
        None if push else r.location or EMBEDDED + r.file_name,  # data dirs of 0.1 stored no location for it
        r.file_name,
        r.owner,
        aware(r.create_time),
        content_from_json(r.content),
        r.bundle_sha256,
        r.location if push else None,
        r.enabled,
        r.ownerdata,
    )
