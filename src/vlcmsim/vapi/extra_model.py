"""Declarations for services that vCenter has but the shared contract does not
describe: datacenters and the cluster's software enablement. Same shapes as
model.json."""

from __future__ import annotations

from typing import Any

ID = {"kind": "id"}
STRING = {"kind": "string"}
BOOL = {"kind": "boolean"}


def optional(td: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "optional", "element": td}


def id_set() -> dict[str, Any]:
    return optional({"kind": "set", "element": ID})


def struct(tid: str) -> dict[str, Any]:
    return {"kind": "struct", "id": tid}


TYPES: dict[str, dict[str, Any]] = {
    "com.vmware.vcenter.datacenter.summary": {
        "kind": "struct",
        "fields": [["datacenter", ID], ["name", STRING]],
    },
    "com.vmware.vcenter.datacenter.info": {
        "kind": "struct",
        "fields": [
            ["name", STRING],
            ["datastore_folder", ID],
            ["host_folder", ID],
            ["network_folder", ID],
            ["vm_folder", ID],
        ],
    },
    "com.vmware.vcenter.datacenter.filter_spec": {
        "kind": "struct",
        "fields": [
            ["datacenters", id_set()],
            ["names", optional({"kind": "set", "element": STRING})],
            ["folders", id_set()],
        ],
    },
    "com.vmware.esx.settings.clusters.enablement.software.info": {
        "kind": "struct",
        "fields": [["enabled", BOOL]],
    },
    "com.vmware.esx.settings.clusters.enablement.software.enable_spec": {
        "kind": "struct",
        "fields": [["skip_software_check", BOOL]],  # required in the 9.1 bindings
    },
}


OPERATIONS: list[dict[str, Any]] = [
    {
        "service": "com.vmware.vcenter.datacenter",
        "operation": "list",
        "inputs": [["filter", optional(struct("com.vmware.vcenter.datacenter.filter_spec")), "query(implicit)"]],
        "output": {"kind": "list", "element": struct("com.vmware.vcenter.datacenter.summary")},
        "method": "GET",
        "path": "/api/vcenter/datacenter",
    },
    {
        "service": "com.vmware.vcenter.datacenter",
        "operation": "get",
        "inputs": [["datacenter", ID, "path"]],
        "output": struct("com.vmware.vcenter.datacenter.info"),
        "method": "GET",
        "path": "/api/vcenter/datacenter/{datacenter}",
    },
    {
        "service": "com.vmware.esx.settings.clusters.enablement.software",
        "operation": "get",
        "inputs": [["cluster", ID, "path"]],
        "output": struct("com.vmware.esx.settings.clusters.enablement.software.info"),
        "method": "GET",
        "path": "/api/esx/settings/clusters/{cluster}/enablement/software",
    },
    {
        "service": "com.vmware.esx.settings.clusters.enablement.software",
        "operation": "enable$task",
        "inputs": [
            ["cluster", ID, "path"],
            ["spec", optional(struct("com.vmware.esx.settings.clusters.enablement.software.enable_spec")), "body"],
        ],
        "output": ID,
        "method": "PUT",
        "path": "/api/esx/settings/clusters/{cluster}/enablement/software",
        "body": "single-param",
        "body_param": "spec",
        "success_status": 202,
    },
]


# Second REST forms of operations the model binds elsewhere: the 9.1 bindings
# list tasks with GET /api/cis/tasks and the filter in the query string, while
# vCenter's REST guide documents POST ?action=list with a body; both are served.
ALIASES: list[dict[str, Any]] = [
    {
        "service": "com.vmware.cis.tasks",
        "operation": "list",
        "method": "GET",
        "path": "/api/cis/tasks",
        "where": "query(implicit)",
    },
]
