"""The cluster's desired software: com.vmware.esx.settings.clusters.software
and its commits, base-image, add-on, components and compliance; the host's
compliance; software enablement."""

from __future__ import annotations

from typing import Any

from vlcmsim.lifecycle.compliance import cluster_compliance, component_info, host_compliance
from vlcmsim.lifecycle.spec import SoftwareSpec
from vlcmsim.services.esx_settings.common import (
    LIFECYCLE,
    require_cluster,
    require_commit,
    require_desired,
    require_host,
    software_info,
)
from vlcmsim.vapi.errors import Message, invalid_argument, not_found
from vlcmsim.vapi.operations import Call, OperationSet, Privilege

ops = OperationSet()

SOFTWARE = "com.vmware.esx.settings.clusters.software"
EXPORT_PATH = "/vum/repository/software-specs"


@ops.operation(SOFTWARE, "get")
async def get_software(call: Call, cluster: str) -> dict[str, Any]:
    return software_info(require_desired(call, cluster).spec, call)


@ops.operation(SOFTWARE, "export")
async def export_software(call: Call, cluster: str, spec: dict[str, Any]) -> dict[str, str]:
    commit = require_desired(call, cluster)
    if spec.get("export_iso_image") or spec.get("export_offline_bundle"):
        raise invalid_argument(
            f"{LIFECYCLE}.ExportTypeUnsupported",
            "vlcmsim exports the software specification only (export_software_spec).",
        )
    if not spec.get("export_software_spec"):
        raise invalid_argument(f"{LIFECYCLE}.NothingToExport", "No export type was asked for.")
    return {"SOFTWARE_SPEC": f"{call.app.settings.url}{EXPORT_PATH}/{cluster}/{commit.id}.json"}


def software_spec_json(spec: SoftwareSpec) -> dict[str, Any]:
    """The SOFTWARE_SPEC document, as export writes it and import reads it."""
    doc: dict[str, Any] = {"base_image": {"version": spec.base_image}, "components": dict(spec.components)}
    if spec.add_on:
        doc["add_on"] = {"name": spec.add_on[0], "version": spec.add_on[1]}
    if spec.removed_components:
        doc["removed_components"] = list(spec.removed_components)
    return doc


@ops.operation("com.vmware.esx.settings.clusters.software.commits", "get")
async def get_commit(call: Call, cluster: str, commit: str) -> dict[str, Any]:
    require_desired(call, cluster)
    c = require_commit(call, cluster, commit)
    return {
        "author": c.author,
        "commit_time": c.commit_time,
        "description": c.description,
        "apply_status": c.apply_status,
    }


@ops.operation("com.vmware.esx.settings.clusters.software.base_image", "get")
async def get_base_image(call: Call, cluster: str) -> dict[str, Any]:
    base: dict[str, Any] = software_info(require_desired(call, cluster).spec, call)["base_image"]
    return base


@ops.operation("com.vmware.esx.settings.clusters.software.add_on", "get")
async def get_add_on(call: Call, cluster: str) -> dict[str, Any]:
    info = software_info(require_desired(call, cluster).spec, call)
    if "add_on" not in info:
        raise not_found(f"{LIFECYCLE}.AddOnNotFound", f"The desired state of cluster {cluster} has no add-on.")
    add_on: dict[str, Any] = info["add_on"]
    return add_on


@ops.operation("com.vmware.esx.settings.clusters.software.components", "list")
async def list_components(call: Call, cluster: str) -> dict[str, Any]:
    components: dict[str, Any] = software_info(require_desired(call, cluster).spec, call)["components"]
    return components


@ops.operation("com.vmware.esx.settings.clusters.software.components", "get")
async def get_component(call: Call, cluster: str, component: str) -> dict[str, Any] | None:
    spec = require_desired(call, cluster).spec
    if component not in spec.components:
        return None  # vLCM answers an unset optional for a component the document does not name
    return component_info(component, spec.components[component], call.app.depots.catalog())


def compliance_of_hosts(call: Call, cluster: str) -> tuple[int, dict[str, Any], list[Any]]:
    commit = require_desired(call, cluster)
    catalog = call.app.depots.catalog()
    hosts = call.app.inventory.hosts(cluster)
    per_host = {}
    for h in hosts:
        installed = call.app.desired.installed(h.id) or SoftwareSpec()
        per_host[h.id] = host_compliance(
            h, installed, commit.spec, commit.id, catalog, staged=call.app.staging.staged_check(h.id, commit)
        )
    return commit.id, per_host, hosts


@ops.operation("com.vmware.esx.settings.clusters.software.compliance", "get")
async def get_cluster_compliance(call: Call, cluster: str) -> dict[str, Any]:
    commit, per_host, hosts = compliance_of_hosts(call, cluster)
    return cluster_compliance(hosts, per_host, commit)


@ops.operation("com.vmware.esx.settings.hosts.software.compliance", "get")
async def get_host_compliance(call: Call, host: str) -> dict[str, Any]:
    h = require_host(call, host)
    if h.cluster is None:
        raise not_found(f"{LIFECYCLE}.DesiredStateNotFound", f"Host {host} has no desired software document.", host)
    commit = require_desired(call, h.cluster)
    installed = call.app.desired.installed(h.id) or SoftwareSpec()
    return host_compliance(
        h,
        installed,
        commit.spec,
        commit.id,
        call.app.depots.catalog(),
        staged=call.app.staging.staged_check(h.id, commit),
    )


ENABLEMENT = "com.vmware.esx.settings.clusters.enablement.software"


@ops.operation(ENABLEMENT, "get")
async def get_enablement(call: Call, cluster: str) -> dict[str, Any]:
    return {"enabled": require_cluster(call, cluster).image_managed}


@ops.operation(ENABLEMENT, "enable$task", Privilege.WRITE)
async def enable(call: Call, cluster: str, spec: dict[str, Any] | None = None) -> str:
    """Turn image management on for a baseline cluster that has a desired document
    (a draft committed while it was baseline-managed)."""
    c = require_cluster(call, cluster)
    if not c.image_managed and call.app.desired.latest_commit(cluster) is None:
        raise invalid_argument(
            f"{LIFECYCLE}.NoDesiredState",
            f"Cluster {c.name} ({cluster}) has no desired software document to manage it with.",
            cluster,
        )

    async def work(_: Any) -> None:
        call.app.inventory.set_image_managed(cluster)

    return call.app.tasks.start(
        service=ENABLEMENT,
        operation="enable",
        description=Message(f"{ENABLEMENT}.enable", "Manage the cluster with a single image"),
        work=work,
        target=("ClusterComputeResource", cluster),
        user=call.task_user,
    )
