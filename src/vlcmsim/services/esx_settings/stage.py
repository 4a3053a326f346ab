"""Software.stage and Software.apply of a cluster (and the host-level stage):
validation in vLCM's order before a task exists, then the StageRun or
ApplyRun task."""

from __future__ import annotations

from typing import Any

from vlcmsim.inventory.model import Host
from vlcmsim.lifecycle.apply import ApplyRun
from vlcmsim.lifecycle.spec import SoftwareSpec
from vlcmsim.lifecycle.stage import StageRun, needs_nothing
from vlcmsim.services.esx_settings.common import (
    CLUSTER_TYPE,
    LIFECYCLE,
    require_desired,
    require_host,
    require_idle,
)
from vlcmsim.vapi.errors import Message, VapiError, invalid_argument, not_found
from vlcmsim.vapi.operations import Call, OperationSet, Privilege

ops = OperationSet()

SOFTWARE = "com.vmware.esx.settings.clusters.software"
STAGE_RESULT = {"kind": "struct", "id": "com.vmware.esx.settings.clusters.software.stage_result"}
APPLY_RESULT = {"kind": "struct", "id": "com.vmware.esx.settings.clusters.software.apply_result"}


def _selected_hosts(call: Call, cluster: str, spec: dict[str, Any]) -> list[Host]:
    """Checks 3 to 7 of BEHAVIOR's order; the hosts the operation works on."""
    app = call.app
    require_desired(call, cluster)  # NotFound cluster, InvalidArgument not image-managed, NotFound no document
    commit = spec.get("commit")
    if commit and (not commit.isdigit() or app.desired.commit(cluster, int(commit)) is None):
        raise invalid_argument(
            f"{LIFECYCLE}.InvalidCommit", f"Commit {commit} is not a commit of cluster {cluster}.", commit
        )
    members = {h.id: h for h in app.inventory.hosts(cluster)}
    selected = spec.get("hosts") or []
    for host in selected:
        if host not in members:
            other = app.inventory.host(host)
            where = f"it is in cluster {other.cluster}" if other and other.cluster else "no such host"
            if other and other.cluster is None:
                where = "it is a standalone host"
            raise invalid_argument(
                f"{LIFECYCLE}.InvalidHost", f"Host {host} is not part of cluster {cluster}: {where}.", host
            )
    return [members[h] for h in selected] if selected else list(members.values())


def _start(call: Call, cluster: str, run: StageRun, operation: str, description: str, result_td: dict[str, str]) -> str:
    return call.app.tasks.start(
        service=SOFTWARE,
        operation=operation,
        description=Message(f"{SOFTWARE}.{operation}", description),
        work=run,
        target=(CLUSTER_TYPE, cluster),
        user=call.task_user,
        result_td=result_td,
    )


def _run(call: Call, cls: type[StageRun], cluster: str, hosts: list[Host]) -> StageRun:
    app = call.app
    run = cls(
        cluster=cluster,
        hosts=hosts,
        desired=app.desired,
        catalog=app.depots.catalog(),
        agent=app.hosts,
        depot_url=app.depot_url,
        host_timeout=app.settings.host_stage_timeout_seconds,
    )
    run.all_hosts = [h.id for h in app.inventory.hosts(cluster)]
    return run


@ops.operation(SOFTWARE, "stage$task", Privilege.WRITE)
async def stage(call: Call, cluster: str, spec: dict[str, Any]) -> str:
    hosts = _selected_hosts(call, cluster, spec)
    require_idle(call, cluster)
    return _start(call, cluster, _run(call, StageRun, cluster, hosts), "stage", "Stage software", STAGE_RESULT)


@ops.operation(SOFTWARE, "apply$task", Privilege.WRITE)
async def apply(call: Call, cluster: str, spec: dict[str, Any]) -> str:
    """Remediate: hosts end up running the latest commit; what was staged is used
    and the staging areas are emptied."""
    hosts = _selected_hosts(call, cluster, spec)
    if not spec.get("accept_eula"):
        raise VapiError(
            "error",
            [Message(f"{LIFECYCLE}.EulaNotAccepted", "The EULA has not been accepted: set accept_eula to true.")],
        )
    latest = call.app.desired.latest_commit(cluster)
    assert latest is not None
    catalog = call.app.depots.catalog()
    if latest.apply_status == "APPLIED" and all(
        needs_nothing(call.app.desired.installed(h.id) or SoftwareSpec(), latest.spec, catalog) for h in hosts
    ):
        raise VapiError(
            "already_in_desired_state",
            [
                Message(
                    f"{LIFECYCLE}.AlreadyInDesiredState",
                    f"Cluster {cluster} already runs commit {latest.id}.",
                    (cluster, str(latest.id)),
                )
            ],
        )
    require_idle(call, cluster)
    return _start(call, cluster, _run(call, ApplyRun, cluster, hosts), "apply", "Remediate cluster", APPLY_RESULT)


@ops.operation("com.vmware.esx.settings.hosts.software", "stage$task", Privilege.WRITE)
async def stage_host(call: Call, host: str, spec: dict[str, Any]) -> str:
    """Host-level desired documents are for hosts outside an image-managed
    cluster; vlcmsim keeps none, so there is nothing to stage (NotFound), and a
    host of an image-managed cluster is staged through its cluster."""
    h = require_host(call, host)
    cluster = call.app.inventory.cluster(h.cluster) if h.cluster else None
    if cluster is not None and cluster.image_managed:
        raise invalid_argument(
            f"{LIFECYCLE}.HostManagedByCluster",
            f"Host {host} is managed by the image of cluster {cluster.name} ({cluster.id}): stage the cluster.",
            host,
        )
    raise not_found(f"{LIFECYCLE}.DesiredStateNotFound", f"Host {host} has no desired software document.", host)
