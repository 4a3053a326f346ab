"""Software.stage of a cluster (and the host-level twin): validation in
vLCM's order before a task exists, then the StageRun task."""

from __future__ import annotations

from typing import Any

from vlcmsim.lifecycle.stage import StageRun
from vlcmsim.services.esx_settings.common import (
    CLUSTER_TYPE,
    LIFECYCLE,
    require_desired,
    require_host,
    require_idle,
)
from vlcmsim.vapi.errors import Message, invalid_argument, not_found
from vlcmsim.vapi.operations import Call, OperationSet, Privilege

ops = OperationSet()

SOFTWARE = "com.vmware.esx.settings.clusters.software"
STAGE_RESULT = {"kind": "struct", "id": "com.vmware.esx.settings.clusters.software.stage_result"}


@ops.operation(SOFTWARE, "stage$task", Privilege.WRITE)
async def stage(call: Call, cluster: str, spec: dict[str, Any]) -> str:
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
    require_idle(call, cluster)
    hosts = [members[h] for h in selected] if selected else list(members.values())
    run = StageRun(
        cluster=cluster,
        hosts=hosts,
        desired=app.desired,
        catalog=app.depots.catalog(),
        agent=app.hosts,
        depot_url=app.depot_url,
        host_timeout=app.settings.host_stage_timeout_seconds,
    )
    return app.tasks.start(
        service=SOFTWARE,
        operation="stage",
        description=Message(f"{SOFTWARE}.stage", "Stage software"),
        work=run,
        target=(CLUSTER_TYPE, cluster),
        user=call.task_user,
        result_td=STAGE_RESULT,
    )


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
