"""Inventory objects as the domain sees them."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

CLUSTER_TYPE = "ClusterComputeResource"  # the managed object types tasks name as targets
HOST_TYPE = "HostSystem"
CONNECTION_STATES = ("CONNECTED", "DISCONNECTED", "NOT_RESPONDING")
POWER_STATES = ("POWERED_ON", "POWERED_OFF", "STANDBY")


@dataclass(frozen=True)
class Datacenter:
    id: str
    name: str


@dataclass(frozen=True)
class Cluster:
    id: str
    name: str
    datacenter: str
    image_managed: bool
    ha_enabled: bool
    drs_enabled: bool


@dataclass(frozen=True)
class Host:
    id: str
    name: str
    cluster: str | None
    datacenter: str
    connection_state: str
    power_state: str
    in_maintenance_mode: bool
    image_managed: bool = False  # a standalone host with an image of its own
    boot_time: datetime | None = None  # when it last came up (None: with the server's first start)
    vendor: str = "Dell Inc."  # its hardware's vendor and model (summary.hardware on vim25)
    model: str = "PowerEdge R760"
    uuid: str = ""  # its hardware UUID (HOST_UUID image selection, vim25's hardware.systemInfo.uuid)

    @property
    def standalone(self) -> bool:
        return self.cluster is None


def is_host(moref: str) -> bool:
    """Whether an image owner's id names a standalone host (host-…) rather than a cluster (domain-c…)."""
    return moref.startswith("host-")


def owner_text(owner: str, capital: bool = False) -> str:
    """An image owner as messages name it: "cluster domain-c8", "host host-12"."""
    kind = "host" if is_host(owner) else "cluster"
    return f"{kind.capitalize() if capital else kind} {owner}"


def object_uuid(instance_uuid: str, kind: str, value: str) -> str:
    """A stable UUID for an object (a host's hardware, a VM's BIOS), from the
    store's own identity: the same on every worker and after every restart."""
    digest = hashlib.sha256(f"{instance_uuid}/{kind}/{value}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16]))
