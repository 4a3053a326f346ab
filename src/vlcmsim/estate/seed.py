"""Serve an estate (`vlcmsim serve --estate FILE`): its inventory becomes the
server's (names, hardware, connection and maintenance states), and at the first
start of a data dir its depot content is written as one bundle (deterministic
payloads of a configurable size per VIB, so a stage moves real bytes), each
host runs its image and VMs, each image-managed cluster and standalone host
gets its desired image (as many commits as its history had) and apply policy,
and the online depots are known (not synced until asked)."""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from vlcmsim.config import ClusterConfig, DatacenterConfig, HostConfig
from vlcmsim.depot.model import AddOn, BaseImage, DepotContent
from vlcmsim.depot.payloads import PayloadStore
from vlcmsim.depot.reader import import_bundle
from vlcmsim.depot.repository import Depots
from vlcmsim.depot.writer import BundleSpec, ComponentSpec, write_bundle
from vlcmsim.estate.model import hosts_of
from vlcmsim.inventory.store import Inventory
from vlcmsim.inventory.vms import VirtualMachines
from vlcmsim.lifecycle.desired import DesiredStates
from vlcmsim.lifecycle.policies import ApplyPolicies
from vlcmsim.lifecycle.spec import AlternativeImage, Selection, SoftwareSpec
from vlcmsim.sim.knobs import SimKnobs
from vlcmsim.store import schema
from vlcmsim.store.db import Store

ESTATE = "estate:"  # the location of the depot an estate's content is served from


def inventory_of(estate: dict[str, Any]) -> list[DatacenterConfig]:
    """The inventory the server starts with: the estate's."""
    return [
        DatacenterConfig(
            dc["name"],
            [
                ClusterConfig(
                    c["name"],
                    image_managed=bool(c.get("image_managed")),
                    ha_enabled=bool(c.get("ha_enabled", True)),
                    drs_enabled=bool(c.get("drs_enabled", True)),
                    hosts=[_host(h) for h in c.get("hosts") or ()],
                    id=_id(c, "domain-c"),
                )
                for c in dc.get("clusters") or ()
            ],
            [_host(h) for h in dc.get("hosts") or ()],
            id=_id(dc, "datacenter-"),
        )
        for dc in estate.get("datacenters") or ()
    ]


def _host(h: dict[str, Any]) -> HostConfig:
    return HostConfig(
        h["name"],
        connection_state=h.get("connection_state") or "CONNECTED",
        image_managed=bool(h.get("image_managed")),
        vendor=h.get("vendor") or "Dell Inc.",
        model=h.get("model") or "PowerEdge R760",
        uuid=h.get("uuid") or None,
        in_maintenance_mode=bool(h.get("in_maintenance_mode")),
        id=_id(h, "host-"),
    )


def _id(entity: dict[str, Any], prefix: str) -> str | None:
    """The source's id where vlcmsim can take it (vCenter's own form: host-12, domain-c8)."""
    value = entity.get("id")
    if isinstance(value, str) and value.startswith(prefix) and value[len(prefix) :].isdigit():
        return value
    return None


def _date(text: str | None) -> datetime:
    try:
        found = datetime.fromisoformat((text or "").replace("Z", "+00:00"))
    except ValueError:
        return datetime(2024, 1, 1, tzinfo=UTC)
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def bundle_spec(content: dict[str, Any], payload_bytes: int) -> BundleSpec:
    """The bundle that holds the estate's content, one payload of `payload_bytes` per VIB."""
    spec = BundleSpec()
    for c in content.get("components") or ():
        spec.components.append(
            ComponentSpec(
                name=c["name"],
                version=c["version"],
                display_name=c.get("display_name") or c["name"],
                display_version=c.get("display_version") or c["version"],
                vendor=c.get("vendor") or "VMware, Inc.",
                vib_vendor="".join(ch for ch in (c.get("vendor") or "VMW") if ch.isalnum())[:3].upper() or "VMW",
                release_date=_date(c.get("release_date")).date().isoformat(),
                payload_size=payload_bytes,
            )
        )
    for b in content.get("base_images") or ():
        spec.base_images.append(
            BaseImage(
                b["version"],
                b.get("display_name") or "ESXi",
                b.get("display_version") or b["version"],
                _date(b.get("release_date")),
                dict(b.get("components") or {}),
                summary=f"ESXi {b.get('display_version') or b['version']}",
            )
        )
    for a in content.get("add_ons") or ():
        spec.add_ons.append(
            AddOn(
                a["name"],
                a["version"],
                a.get("display_name") or a["name"],
                a.get("display_version") or a["version"],
                a.get("vendor") or "",
                _date(a.get("release_date")),
                dict(a.get("components") or {}),
            )
        )
    return spec


def _spec(value: dict[str, Any] | None) -> SoftwareSpec | None:
    if not value or not value.get("base_image"):
        return None
    add_on = value.get("add_on")
    spec = SoftwareSpec(
        value["base_image"],
        (add_on["name"], add_on["version"]) if add_on else None,
        dict(value.get("components") or {}),
        list(value.get("removed_components") or ()),
    )
    for image, alt in (value.get("alternative_images") or {}).items():
        found = _spec(alt)
        if found is not None:
            selection = Selection.from_json(alt.get("selection_criteria") or {})
            spec.alternative_images[image] = AlternativeImage(alt.get("display_name") or image, selection, found)
    return spec


def seed_estate(
    store: Store,
    estate: dict[str, Any],
    *,
    payloads: PayloadStore,
    depots: Depots,
    desired: DesiredStates,
    inventory: Inventory,
    policies: ApplyPolicies,
    knobs: SimKnobs,
    payload_bytes: int,
) -> bool:
    """The estate's state in a new data dir; False when the data dir was seeded before."""
    with store.engine.connect() as conn:
        if conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == "seeded")).first():
            return False
    folder = Path(tempfile.mkdtemp(prefix="vlcmsim-estate-"))
    try:
        bundle = folder / "estate-content.zip"
        write_bundle(bundle_spec(estate.get("content") or {}, payload_bytes), bundle)
        content = import_bundle(bundle, payloads)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    depots.add(
        content,
        description="the estate's depot content (payloads generated)",
        location=ESTATE + bundle.name,
        file_name=bundle.name,
        owner="vlcmsim",
        create_time=datetime.now(UTC),
    )
    for d in (estate.get("depots") or {}).get("online") or ():
        depots.add(
            DepotContent(),
            description=d.get("description") or "",
            location=d["location"],
            file_name="",
            owner="vlcmsim",
            create_time=datetime.now(UTC),
            source_type="ONLINE",
            enabled=bool(d.get("enabled", True)),
        )
    by_name = {h.name: h for h in inventory.hosts()}
    images: dict[str, tuple[SoftwareSpec, list[str]]] = {}  # hosts of one image are written at once
    vms: dict[str, list[tuple[str, str]]] = {}
    for h in hosts_of(estate):
        host = by_name.get(h["name"])
        if host is None:
            continue
        image = _spec(h.get("image"))
        if image is not None:
            images.setdefault(json.dumps(image.to_json(), sort_keys=True), (image, []))[1].append(host.id)
        vms[host.id] = [(v["name"], v.get("power_state") or "poweredOn") for v in h.get("vms") or ()]
    for image, hosts in images.values():
        desired.set_installed_many(hosts, image)
    knobs.set_vm_counts(VirtualMachines(store, knobs, 0.0).seed(vms))
    owners = {c.name: c.id for c in inventory.clusters()} | {h.name: h.id for h in inventory.standalone_hosts()}
    for dc in estate.get("datacenters") or ():
        for owner in [*(dc.get("clusters") or ()), *(dc.get("hosts") or ())]:
            spec = _spec(owner.get("desired"))
            owner_id = owners.get(owner["name"])
            if spec is None or owner_id is None:
                continue
            for n in range(1, max(1, int(owner.get("commits") or 1)) + 1):
                desired.add_commit(owner_id, "vlcmsim", f"From the estate (commit {n})", spec.copy(), draft=None)
            if owner.get("policy"):
                policies.set(owner_id, owner["policy"])
    with store.engine.begin() as conn:
        conn.execute(schema.meta.insert().values(key="seeded", value="estate"))
    return True
