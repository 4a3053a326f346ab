"""com.vmware.vcenter.datacenter, .folder, .cluster and .host."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from vlcmsim.backend import Call
from vlcmsim.config import HostConfig
from vlcmsim.inventory.model import Host
from vlcmsim.inventory.store import moref_order
from vlcmsim.lifecycle.seed import added_host_image
from vlcmsim.services import errors
from vlcmsim.services.common import CLUSTER_TYPE, HOST_TYPE
from vlcmsim.services.errors import cluster_not_found, datacenter_not_found, host_not_found
from vlcmsim.services.filters import allows, as_sets
from vlcmsim.sim.knobs import HostKnobs
from vlcmsim.vapi.codec import Frozen
from vlcmsim.vapi.operations import OperationSet, Privilege

ops = OperationSet()

DATACENTER = "com.vmware.vcenter.datacenter"
CLUSTER = "com.vmware.vcenter.cluster"
HOST = "com.vmware.vcenter.host"
FOLDER = "com.vmware.vcenter.folder"
# vCenter's bounds on one list: more matches answer UnableToAllocateResource (narrow the filter)
MAX_HOSTS_LISTED = 2500
MAX_CLUSTERS_LISTED = 1000
ROOT_FOLDER = "group-d1"  # the root folder of datacenters
# the folders of each datacenter: (prefix of its id, name, type)
DATACENTER_FOLDERS = (
    ("group-h", "host", "HOST"),
    ("group-v", "vm", "VIRTUAL_MACHINE"),
    ("group-s", "datastore", "DATASTORE"),
    ("group-n", "network", "NETWORK"),
)


@ops.operation(DATACENTER, "list", stored=True)
async def list_datacenters(call: Call, filter: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    f = as_sets(filter)
    return [
        {"datacenter": dc.id, "name": dc.name}
        for dc in call.backend.inventory.datacenters()
        if allows(f.get("datacenters"), dc.id)
        and allows(f.get("names"), dc.name)
        and allows(f.get("folders"), "group-d1")
    ]


@ops.operation(DATACENTER, "get", stored=True)
async def get_datacenter(call: Call, datacenter: str) -> dict[str, Any]:
    dc = call.backend.inventory.datacenter(datacenter)
    if dc is None:
        raise datacenter_not_found(datacenter)
    n = dc.id.rsplit("-", 1)[-1]
    return {
        "name": dc.name,
        "datastore_folder": f"group-s{n}",
        "host_folder": f"group-h{n}",
        "network_folder": f"group-n{n}",
        "vm_folder": f"group-v{n}",
    }


@dataclass(frozen=True)
class Folder:
    id: str
    name: str
    type: str
    datacenter: str | None  # None: the root folder
    parent: str | None  # the folder it is in (a datacenter's own folders are in the datacenter)


def folders(call: Call) -> list[Folder]:
    out = [Folder(ROOT_FOLDER, "Datacenters", "DATACENTER", None, None)]
    for dc in call.backend.inventory.datacenters():
        n = dc.id.rsplit("-", 1)[-1]
        out.extend(Folder(f"{prefix}{n}", name, kind, dc.id, None) for prefix, name, kind in DATACENTER_FOLDERS)
    return out


@ops.operation(FOLDER, "list", stored=True)
async def list_folders(call: Call, filter: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    f = as_sets(filter)
    kind = (filter or {}).get("type")
    return [
        {"folder": x.id, "name": x.name, "type": x.type}
        for x in folders(call)
        if allows(f.get("folders"), x.id)
        and allows(f.get("names"), x.name)
        and (kind is None or kind == x.type)
        and allows(f.get("parent_folders"), x.parent)
        and allows(f.get("datacenters"), x.datacenter)
    ]


@ops.operation(CLUSTER, "list", stored=True)
async def list_clusters(call: Call, filter: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    f = as_sets(filter)
    found = [
        {"cluster": c.id, "name": c.name, "ha_enabled": c.ha_enabled, "drs_enabled": c.drs_enabled}
        for c in call.backend.inventory.clusters()
        if allows(f.get("clusters"), c.id)
        and allows(f.get("names"), c.name)
        and allows(f.get("datacenters"), c.datacenter)
        and allows(f.get("folders"), _host_folder(c.datacenter))
    ]
    if len(found) > MAX_CLUSTERS_LISTED:
        raise errors.too_many_matches(len(found), MAX_CLUSTERS_LISTED, "clusters")
    return found


@ops.operation(CLUSTER, "get", stored=True)
async def get_cluster(call: Call, cluster: str) -> dict[str, Any]:
    c = call.backend.inventory.cluster(cluster)
    if c is None:
        raise cluster_not_found(cluster)
    return {"name": c.name, "resource_pool": "resgroup-" + c.id.removeprefix("domain-c")}


def _host_folder(datacenter: str) -> str:
    return "group-h" + datacenter.rsplit("-", 1)[-1]


@lru_cache(maxsize=65536)
def host_summary(h: Host) -> Frozen:
    """A host's Host.Summary, made (and encoded) once per state of the host: a
    list of 10,000 hosts is then a list of cached encodings.
    power_state is written only for a connected host: the union rule of Host.Summary."""
    return Frozen({"host": h.id, "name": h.name, "connection_state": h.connection_state, "power_state": h.power_state})


@ops.operation(HOST, "list", stored=True)
async def list_hosts(call: Call, filter: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    f = as_sets(filter)
    standalone = f.get("standalone")
    inventory = call.backend.inventory
    # the hosts the filter can match at all, found by id or by cluster rather than among all of them
    if f.get("hosts") is not None:
        candidates = [h for i in f["hosts"] if (h := inventory.host(i)) is not None]
    elif f.get("clusters") is not None:
        candidates = [h for c in f["clusters"] for h in inventory.hosts(c)]
    else:
        candidates = inventory.hosts()
    if f.get("hosts") is not None or f.get("clusters") is not None:
        candidates.sort(key=lambda h: moref_order(h.id))
    found: list[dict[str, Any]] = [
        host_summary(h)
        for h in candidates
        if allows(f.get("hosts"), h.id)
        and allows(f.get("names"), h.name)
        and allows(f.get("datacenters"), h.datacenter)
        and allows(f.get("clusters"), h.cluster)
        and allows(f.get("connection_states"), h.connection_state)
        and allows(f.get("folders"), _host_folder(h.datacenter))
        and (standalone is None or standalone == (h.cluster is None))
        and not f.get("host_uuids")
    ]
    if len(found) > MAX_HOSTS_LISTED:
        raise errors.too_many_matches(len(found), MAX_HOSTS_LISTED, "hosts")
    return found


def _require_host(call: Call, host: str) -> Host:
    h = call.backend.inventory.host(host)
    if h is None:
        raise host_not_found(host)
    return h


@ops.operation(HOST, "connect", Privilege.WRITE)
async def connect_host(call: Call, host: str) -> None:
    _set_connection(call, host, "CONNECTED")


@ops.operation(HOST, "disconnect", Privilege.WRITE)
async def disconnect_host(call: Call, host: str) -> None:
    _set_connection(call, host, "DISCONNECTED")


def _set_connection(call: Call, host: str, state: str) -> None:
    h = _require_host(call, host)
    call.backend.inventory.update_host(host, connection_state=state)
    call.backend.scanner.scan(h.cluster or h.id)  # compliance sees the host as it now is


@ops.operation(HOST, "create", Privilege.WRITE)
async def create_host(call: Call, spec: dict[str, Any]) -> str:
    """Add a standalone host to a datacenter's host folder. The simulated host
    comes up connected, running the image configured for added hosts."""
    backend = call.backend
    folder_id = spec.get("folder")
    if not folder_id:
        raise errors.folder_required()
    folder = next((x for x in folders(call) if x.id == folder_id), None)
    if folder is None:
        raise errors.folder_not_found(folder_id)
    if folder.type != "HOST" or folder.datacenter is None:
        raise errors.not_a_host_folder(folder_id, folder.type)
    hostname = spec["hostname"].strip()
    if not hostname or len(hostname) > 255 or any(c.isspace() or c in "/\\" for c in hostname):
        raise errors.bad_hostname(spec["hostname"][:255])
    if backend.inventory.host_named(hostname) is not None:
        raise errors.host_exists(hostname)
    if not spec["user_name"] or not spec["password"]:
        raise errors.host_login_failed(hostname, spec["user_name"])
    if spec["thumbprint_verification"] == "THUMBPRINT" and not _THUMBPRINT.match(spec.get("thumbprint") or ""):
        raise errors.bad_thumbprint(hostname)
    h = backend.inventory.add_host(hostname, folder.datacenter, None, HostConfig(hostname))
    backend.knobs.seed({h.id: HostKnobs()})
    backend.desired.set_installed(h.id, added_host_image(backend.settings.added_host_base_image))
    return h.id


@ops.operation(HOST, "delete", Privilege.WRITE)
async def delete_host(call: Call, host: str) -> None:
    """Remove a host from the inventory: a cluster's host must be in maintenance
    mode or disconnected first; no lifecycle operation may be running on it."""
    backend = call.backend
    h = _require_host(call, host)
    busy = backend.tasks.running_on((HOST_TYPE, host)) or (
        backend.tasks.running_on((CLUSTER_TYPE, h.cluster)) if h.cluster else None
    )
    if busy is not None:
        raise errors.host_busy(host, busy.id)
    if h.cluster and h.connection_state == "CONNECTED" and not h.in_maintenance_mode:
        raise errors.host_in_service(host, h.cluster)
    backend.remove_host(host)
    if h.cluster:
        backend.scanner.scan(h.cluster)


# SHA-1 or SHA-256 thumbprint: hex byte pairs separated by colons
_THUMBPRINT = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){19}$|^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){31}$")
