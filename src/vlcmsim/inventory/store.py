"""The vCenter inventory: datacenters, clusters, hosts, kept in the store.

Reads come from a snapshot in memory. Every write bumps the inventory's version
in the store, in the same transaction; a reader checks that version (one small
query) at most once a `ttl` and reloads only when another process changed
something. A write of this process updates the snapshot in place: a host
entering maintenance mode does not make 10,000 hosts be read again."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, func, select, update

from vlcmsim.config import DatacenterConfig, HostConfig
from vlcmsim.inventory.model import Cluster, Datacenter, Host, is_host, object_uuid
from vlcmsim.store import schema
from vlcmsim.store.changes import changes
from vlcmsim.store.db import Store
from vlcmsim.vapi.codec import aware, now

# a host's state before and after a write of this process (None: it was added, or removed)
# (the writing transaction, the host before, after): what a listener writes goes with the change
HostChanged = Callable[[Connection, Host | None, Host | None], None]


@dataclass
class _Snapshot:
    version: int
    datacenters: list[Datacenter]
    clusters: list[Cluster]
    cluster_by_id: dict[str, Cluster]
    host_by_id: dict[str, Host]  # in id order
    hosts_by_cluster: dict[str | None, dict[str, Host]]  # None: the standalone hosts


VERSION = "inventory_version"  # the counter every inventory write bumps


class Inventory:
    def __init__(self, store: Store, ttl: float = 1.0) -> None:
        self.store = store
        self.ttl = ttl
        self._snap: _Snapshot | None = None
        self._instance: str | None = None
        self._checked = 0.0
        self.on_host_changed: list[HostChanged] = []  # vim25's events follow every change of a host

    def instance_uuid(self) -> str:
        """This store's identity as vCenter's instance UUID: what derived UUIDs are made from."""
        if self._instance is None:
            self._instance = str(uuid.UUID(bytes=self.store.secret()[:16]))
        return self._instance

    def _snapshot(self, max_age: float = 0.0) -> _Snapshot:
        snap = self._snap
        if snap is None:
            snap = self._snap = self._load()
            self._checked = time.monotonic()
        elif time.monotonic() - self._checked >= max(self.ttl, max_age):
            self._checked = time.monotonic()
            if self.store.version(VERSION) != snap.version:
                snap = self._snap = self._load()
        return snap

    def _load(self) -> _Snapshot:
        with self.store.engine.connect() as conn:
            version = _version(conn)
            dcs = [Datacenter(r.id, r.name) for r in conn.execute(select(schema.datacenters)).all()]
            cls = [_cluster(r) for r in conn.execute(select(schema.clusters)).all()]
            instance = self.instance_uuid()
            hs = [_host(r, instance) for r in conn.execute(select(schema.hosts)).all()]
        dcs.sort(key=lambda d: moref_order(d.id))
        cls.sort(key=lambda c: moref_order(c.id))
        hs.sort(key=lambda h: moref_order(h.id))
        by_cluster: dict[str | None, dict[str, Host]] = {}
        for h in hs:
            by_cluster.setdefault(h.cluster, {})[h.id] = h
        return _Snapshot(version, dcs, cls, {c.id: c for c in cls}, {h.id: h for h in hs}, by_cluster)

    def _invalidate(self) -> None:
        self._snap = None

    def _bump(self, conn: Connection) -> int:
        """The next inventory version, written in the caller's transaction (one statement)."""
        return Store.bump(conn, VERSION)

    def seed(self, datacenters: list[DatacenterConfig]) -> list[tuple[str, HostConfig]]:
        """Create the configured inventory on first start (in one transaction);
        the hosts it created."""
        created: list[tuple[str, HostConfig]] = []
        with self.store.engine.connect() as conn:
            if conn.execute(select(func.count()).select_from(schema.datacenters)).scalar_one():
                return created
        clusters = [(dc, cl) for dc in datacenters for cl in dc.clusters]
        hosts = [h for _, cl in clusters for h in cl.hosts] + [h for dc in datacenters for h in dc.hosts]
        dc_ids = iter(self.store.next_ids("datacenter", len(datacenters)))
        cl_ids = iter(self.store.next_ids("cluster", len(clusters)))
        host_ids = iter(self.store.next_ids("host", len(hosts)))
        dc_rows, cl_rows, host_rows = [], [], []
        for dc in datacenters:
            dc_id = dc.id or f"datacenter-{next(dc_ids)}"
            dc_rows.append({"id": dc_id, "name": dc.name})
            for cl in dc.clusters:
                cl_id = cl.id or f"domain-c{next(cl_ids)}"
                cl_rows.append(
                    {
                        "id": cl_id,
                        "name": cl.name,
                        "datacenter": dc_id,
                        "image_managed": cl.image_managed,
                        "ha_enabled": cl.ha_enabled,
                        "drs_enabled": cl.drs_enabled,
                    }
                )
                for h in cl.hosts:
                    host_id = h.id or f"host-{next(host_ids)}"
                    host_rows.append(_host_row(host_id, h, cl_id, dc_id))
                    created.append((host_id, h))
            for h in dc.hosts:
                host_id = h.id or f"host-{next(host_ids)}"
                host_rows.append(_host_row(host_id, h, None, dc_id))
                created.append((host_id, h))
        # ids given (an estate's) stay ahead of the counters: later objects never take them
        for counter, rows in (("datacenter", dc_rows), ("cluster", cl_rows), ("host", host_rows)):
            numbers = [int(n) for r in rows if (n := str(r["id"]).rsplit("-", 1)[-1].lstrip("c")).isdigit()]
            if numbers:
                self.store.advance(counter, max(numbers))
        with self.store.engine.begin() as conn:
            for table, rows in ((schema.datacenters, dc_rows), (schema.clusters, cl_rows), (schema.hosts, host_rows)):
                if rows:
                    conn.execute(table.insert(), rows)
            self._bump(conn)
        self._invalidate()
        return created

    # -- reads ---------------------------------------------------------------

    def datacenters(self) -> list[Datacenter]:
        return list(self._snapshot().datacenters)

    def datacenter(self, dc_id: str) -> Datacenter | None:
        return next((d for d in self._snapshot().datacenters if d.id == dc_id), None)

    def clusters(self) -> list[Cluster]:
        return list(self._snapshot().clusters)

    def cluster(self, cluster_id: str) -> Cluster | None:
        return self._snapshot().cluster_by_id.get(cluster_id)

    def hosts(self, cluster_id: str | None = None, max_age: float = 0.0) -> list[Host]:
        snap = self._snapshot(max_age)
        if cluster_id is None:
            return list(snap.host_by_id.values())
        return list(snap.hosts_by_cluster.get(cluster_id, {}).values())

    def standalone_hosts(self) -> list[Host]:
        return list(self._snapshot().hosts_by_cluster.get(None, {}).values())

    def host(self, host_id: str, max_age: float = 0.0) -> Host | None:
        """The host as the store has it; `max_age`: or as it was at most that many
        seconds ago (the hot loops of a stage, not the reads of a request)."""
        return self._snapshot(max_age).host_by_id.get(host_id)

    def host_named(self, name: str) -> Host | None:
        return next((h for h in self._snapshot().host_by_id.values() if h.name.lower() == name.lower()), None)

    def members(self, owner: str) -> list[Host]:
        """The hosts an image owner's desired document applies to: a cluster's
        hosts, or a standalone host itself."""
        if is_host(owner):
            h = self.host(owner)
            return [h] if h is not None and h.standalone else []
        return self.hosts(owner)

    # -- writes --------------------------------------------------------------

    def update_host(self, host_id: str, **values: Any) -> Host | None:
        snap = self._snapshot()
        old = snap.host_by_id.get(host_id)
        # what it becomes, known before the write unless it moves: its events are written with it
        becomes = replace(old, **values) if old is not None and "cluster" not in values else None
        with self.store.engine.begin() as conn:
            conn.execute(update(schema.hosts).where(schema.hosts.c.id == host_id).values(**values))
            version = self._bump(conn)
            if becomes is not None:
                self._announce(conn, old, becomes)
        if becomes is None or version != snap.version + 1:
            self._invalidate()  # moved, or another process wrote meanwhile: read it all again
            found = self.host(host_id)
        else:
            found = becomes  # in place: the other hosts are as they were
            snap.host_by_id[host_id] = found
            snap.hosts_by_cluster[found.cluster][host_id] = found
            snap.version = version
        if becomes is None:
            self._changed(old, found)
        else:
            changes.notify()
        return found

    def _announce(self, conn: Connection, old: Host | None, new: Host | None) -> None:
        for listener in self.on_host_changed:
            listener(conn, old, new)

    def _changed(self, old: Host | None, new: Host | None) -> None:
        """A change already committed: the listeners write in a transaction of their own."""
        if self.on_host_changed:
            with self.store.engine.begin() as conn:
                self._announce(conn, old, new)
        changes.notify()

    def add_host(self, name: str, datacenter: str, cluster: str | None, config: HostConfig) -> Host:
        """A host joins the inventory (connected, out of maintenance mode)."""
        host_id = f"host-{self.store.next_id('host')}"
        with self.store.engine.begin() as conn:
            conn.execute(schema.hosts.insert().values(**_host_row(host_id, config, cluster, datacenter, name)))
            self._bump(conn)
        self._invalidate()
        h = self.host(host_id)
        assert h is not None
        self._changed(None, h)
        return h

    def remove_host(self, host_id: str) -> None:
        old = self.host(host_id)
        with self.store.engine.begin() as conn:
            conn.execute(delete(schema.hosts).where(schema.hosts.c.id == host_id))
            self._bump(conn)
        self._invalidate()
        self._changed(old, None)

    def set_image_managed(self, cluster_id: str) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(update(schema.clusters).where(schema.clusters.c.id == cluster_id).values(image_managed=True))
            self._bump(conn)
        self._invalidate()


def _host_row(host_id: str, h: HostConfig, cluster: str | None, dc: str, name: str | None = None) -> dict[str, Any]:
    return {
        "id": host_id,
        "name": name or h.name,
        "cluster": cluster,
        "datacenter": dc,
        "connection_state": h.connection_state,
        "power_state": h.power_state,
        "in_maintenance_mode": h.in_maintenance_mode,
        "image_managed": h.image_managed and cluster is None,
        "boot_time": now(),
        "vendor": h.vendor,
        "model": h.model,
        "uuid": h.uuid,
    }


def moref_order(moref: str) -> tuple[str, int]:
    """The order vCenter lists managed objects in: by type, then by number (host-2 before host-10)."""
    stem, _, num = moref.rpartition("-")
    if num.isdigit():  # host-12: the common case, fast
        return (stem, int(num))
    digits = "".join(ch for ch in num if ch.isdigit())
    return (stem, int(digits) if digits else 0)


def _cluster(r: Row[Any]) -> Cluster:
    return Cluster(r.id, r.name, r.datacenter, r.image_managed, r.ha_enabled, r.drs_enabled)


def _host(r: Row[Any], instance_uuid: str) -> Host:
    return Host(
        r.id,
        r.name,
        r.cluster,
        r.datacenter,
        r.connection_state,
        r.power_state,
        r.in_maintenance_mode,
        r.image_managed,
        aware(r.boot_time) if r.boot_time is not None else None,
        r.vendor,
        r.model,
        r.uuid or object_uuid(instance_uuid, "host", r.id),
    )


def booted(host: Host, fallback: datetime) -> datetime:
    """When a host last came up (`fallback` for a host of a store older than boot times)."""
    return host.boot_time or fallback


def _version(conn: Connection) -> int:
    value = conn.execute(select(schema.counters.c.value).where(schema.counters.c.name == VERSION)).scalar()
    return int(value or 0)
