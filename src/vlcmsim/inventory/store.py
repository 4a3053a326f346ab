"""The vCenter inventory: datacenters, clusters, hosts, kept in the store."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, func, select, update

from vlcmsim.config import DatacenterConfig
from vlcmsim.inventory.model import Cluster, Datacenter, Host
from vlcmsim.store import schema
from vlcmsim.store.db import Store


class Inventory:
    def __init__(self, store: Store) -> None:
        self.store = store

    def seed(self, datacenters: list[DatacenterConfig]) -> bool:
        """Create the configured inventory on first start. Returns whether it did."""
        with self.store.engine.connect() as conn:
            if conn.execute(select(func.count()).select_from(schema.datacenters)).scalar_one():
                return False
        for dc in datacenters:
            dc_id = f"datacenter-{self.store.next_id('datacenter')}"
            with self.store.engine.begin() as conn:
                conn.execute(schema.datacenters.insert().values(id=dc_id, name=dc.name))
            for cl in dc.clusters:
                cl_id = f"domain-c{self.store.next_id('cluster')}"
                with self.store.engine.begin() as conn:
                    conn.execute(
                        schema.clusters.insert().values(
                            id=cl_id,
                            name=cl.name,
                            datacenter=dc_id,
                            image_managed=cl.image_managed,
                            ha_enabled=cl.ha_enabled,
                            drs_enabled=cl.drs_enabled,
                        )
                    )
                for h in cl.hosts:
                    host_id = f"host-{self.store.next_id('host')}"
                    with self.store.engine.begin() as conn:
                        conn.execute(
                            schema.hosts.insert().values(
                                id=host_id,
                                name=h.name,
                                cluster=cl_id,
                                datacenter=dc_id,
                                connection_state=h.connection_state,
                                power_state=h.power_state,
                                in_maintenance_mode=False,
                                bandwidth_bytes_per_s=h.bandwidth_bytes_per_s,
                                staging_capacity_bytes=h.staging_capacity_bytes,
                                corrupt_downloads=0,
                            )
                        )
        return True

    # -- reads ---------------------------------------------------------------

    def datacenters(self) -> list[Datacenter]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(schema.datacenters).order_by(schema.datacenters.c.id)).all()
        return [Datacenter(r.id, r.name) for r in rows]

    def datacenter(self, dc_id: str) -> Datacenter | None:
        return next((d for d in self.datacenters() if d.id == dc_id), None)

    def clusters(self) -> list[Cluster]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(schema.clusters)).all()
        return sorted((_cluster(r) for r in rows), key=lambda c: _id_key(c.id))

    def cluster(self, cluster_id: str) -> Cluster | None:
        with self.store.engine.connect() as conn:
            row = conn.execute(select(schema.clusters).where(schema.clusters.c.id == cluster_id)).first()
        return _cluster(row) if row else None

    def hosts(self, cluster_id: str | None = None) -> list[Host]:
        query = select(schema.hosts)
        if cluster_id is not None:
            query = query.where(schema.hosts.c.cluster == cluster_id)
        with self.store.engine.connect() as conn:
            rows = conn.execute(query).all()
        return sorted((_host(r) for r in rows), key=lambda h: _id_key(h.id))

    def host(self, host_id: str) -> Host | None:
        with self.store.engine.connect() as conn:
            row = conn.execute(select(schema.hosts).where(schema.hosts.c.id == host_id)).first()
        return _host(row) if row else None

    # -- writes --------------------------------------------------------------

    def update_host(self, host_id: str, **values: Any) -> Host | None:
        with self.store.engine.begin() as conn:
            conn.execute(update(schema.hosts).where(schema.hosts.c.id == host_id).values(**values))
        return self.host(host_id)

    def set_image_managed(self, cluster_id: str) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(
                update(schema.clusters).where(schema.clusters.c.id == cluster_id).values(image_managed=True)
            )


def _id_key(moref: str) -> tuple[str, int]:
    stem, _, num = moref.rpartition("-")
    digits = "".join(ch for ch in num if ch.isdigit())
    return (stem, int(digits) if digits else 0)


def _cluster(r: Row[Any]) -> Cluster:
    return Cluster(r.id, r.name, r.datacenter, r.image_managed, r.ha_enabled, r.drs_enabled)


def _host(r: Row[Any]) -> Host:
    return Host(
        r.id,
        r.name,
        r.cluster,
        r.datacenter,
        r.connection_state,
        r.power_state,
        r.in_maintenance_mode,
        r.bandwidth_bytes_per_s,
        r.staging_capacity_bytes,
        r.corrupt_downloads,
    )
