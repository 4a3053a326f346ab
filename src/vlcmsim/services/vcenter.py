"""com.vmware.vcenter.datacenter, .cluster and .host."""

from __future__ import annotations

from typing import Any

from vlcmsim.backend import Call
from vlcmsim.inventory.model import Host
from vlcmsim.services.errors import cluster_not_found, datacenter_not_found, host_not_found
from vlcmsim.services.filters import allows, as_sets
from vlcmsim.vapi.operations import OperationSet, Privilege

ops = OperationSet()

DATACENTER = "com.vmware.vcenter.datacenter"
CLUSTER = "com.vmware.vcenter.cluster"
HOST = "com.vmware.vcenter.host"


@ops.operation(DATACENTER, "list")
async def list_datacenters(call: Call, filter: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    f = as_sets(filter)
    return [
        {"datacenter": dc.id, "name": dc.name}
        for dc in call.backend.inventory.datacenters()
        if allows(f.get("datacenters"), dc.id)
        and allows(f.get("names"), dc.name)
        and allows(f.get("folders"), "group-d1")
    ]


@ops.operation(DATACENTER, "get")
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


@ops.operation(CLUSTER, "list")
async def list_clusters(call: Call, filter: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    f = as_sets(filter)
    return [
        {"cluster": c.id, "name": c.name, "ha_enabled": c.ha_enabled, "drs_enabled": c.drs_enabled}
        for c in call.backend.inventory.clusters()
        if allows(f.get("clusters"), c.id)
        and allows(f.get("names"), c.name)
        and allows(f.get("datacenters"), c.datacenter)
        and allows(f.get("folders"), _host_folder(c.datacenter))
    ]


@ops.operation(CLUSTER, "get")
async def get_cluster(call: Call, cluster: str) -> dict[str, Any]:
    c = call.backend.inventory.cluster(cluster)
    if c is None:
        raise cluster_not_found(cluster)
    return {"name": c.name, "resource_pool": "resgroup-" + c.id.removeprefix("domain-c")}


def _host_folder(datacenter: str) -> str:
    return "group-h" + datacenter.rsplit("-", 1)[-1]


def host_summary(h: Host) -> dict[str, Any]:
    # power_state is written only for a connected host: the union rule of Host.Summary
    return {"host": h.id, "name": h.name, "connection_state": h.connection_state, "power_state": h.power_state}


@ops.operation(HOST, "list")
async def list_hosts(call: Call, filter: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    f = as_sets(filter)
    standalone = f.get("standalone")
    return [
        host_summary(h)
        for h in call.backend.inventory.hosts()
        if allows(f.get("hosts"), h.id)
        and allows(f.get("names"), h.name)
        and allows(f.get("datacenters"), h.datacenter)
        and allows(f.get("clusters"), h.cluster)
        and allows(f.get("connection_states"), h.connection_state)
        and allows(f.get("folders"), _host_folder(h.datacenter))
        and (standalone is None or standalone == (h.cluster is None))
        and not f.get("host_uuids")
    ]


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
    if h.cluster:
        call.backend.scanner.scan(h.cluster)  # the cluster's compliance sees the host as it now is
