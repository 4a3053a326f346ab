"""First start of a data dir: the embedded depot content and desired states."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from vlcmsim.depot import defaults as d
from vlcmsim.depot.payloads import PayloadStore
from vlcmsim.depot.reader import import_bundle
from vlcmsim.depot.repository import EMBEDDED, Depots
from vlcmsim.inventory.store import Inventory
from vlcmsim.lifecycle.desired import DesiredStates
from vlcmsim.lifecycle.spec import SoftwareSpec
from vlcmsim.store import schema
from vlcmsim.store.db import Store


def added_host_image(base_image: str | None) -> SoftwareSpec:
    """What a host added to the inventory runs: the configured base image, or
    by default 8.0 U2 with an older Intel driver."""
    if base_image:
        return SoftwareSpec(base_image)
    return SoftwareSpec(d.U2, None, {"Intel-i40en": d.I40EN_OLD})


def seed_defaults(
    store: Store,
    payloads: PayloadStore,
    depots: Depots,
    desired: DesiredStates,
    inventory: Inventory,
    payload_bytes: int,
) -> bool:
    """Returns whether it seeded (only once per data dir)."""
    with store.engine.connect() as conn:
        done = conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == "seeded")).first()
    if done:
        return False
    with tempfile.TemporaryDirectory(prefix="vlcmsim-default-") as folder:
        bundle = d.write_default_bundle(payload_bytes, Path(folder))
        content = import_bundle(bundle, payloads)
    depots.add(
        content,
        description="vlcmsim embedded content: ESXi 8.0 U1-U3, Dell add-on, drivers",
        location=EMBEDDED + bundle.name,
        file_name=bundle.name,
        owner="vlcmsim",
        create_time=datetime.now(UTC),
    )
    behind = SoftwareSpec(d.U3, d.DELL_ADDON, {"Intel-i40en": d.I40EN_NEW})
    installed_behind = added_host_image(None)
    compliant = SoftwareSpec(d.U2, None, {"bnxtnet": d.BNXTNET})
    legacy = SoftwareSpec(d.U1)
    # the first image-managed cluster is behind its desired image, the second
    # complies; any further one runs 8.0 U2 and has no desired document yet
    plans = [(behind, installed_behind), (compliant, compliant)]
    for cluster in inventory.clusters():
        hosts = inventory.hosts(cluster.id)
        if not cluster.image_managed:
            desired.set_installed_many([h.id for h in hosts], legacy)
            continue
        target, installed = plans.pop(0) if plans else (None, compliant)
        if target is not None:
            desired.add_commit(cluster.id, "vlcmsim", "Initial desired state", target, draft=None)
        desired.set_installed_many([h.id for h in hosts], installed)
    # standalone hosts run 8.0 U2; one managed with an image of its own is behind it
    for host in inventory.standalone_hosts():
        desired.set_installed(host.id, installed_behind)
        if host.image_managed:
            desired.add_commit(host.id, "vlcmsim", "Initial desired state", behind, draft=None)
    with store.engine.begin() as conn:
        conn.execute(schema.meta.insert().values(key="seeded", value="1"))
    return True
