"""Software.stage and Software.apply of a cluster (and the host-level stage):
validation in vLCM's order before a task exists, then the StageRun or
ApplyRun task."""

from __future__ import annotations

from typing import Any

from vlcmsim.backend import Call
from vlcmsim.inventory.model import Host
from vlcmsim.lifecycle import errors
from vlcmsim.lifecycle.apply import ApplyRun
from vlcmsim.lifecycle.desired import commit_number
from vlcmsim.lifecycle.runs import StageRun, needs_nothing
from vlcmsim.services.common import CLUSTER_TYPE, start_task
from vlcmsim.services.esx_settings.common import require_desired, require_host, require_idle
from vlcmsim.vapi.operations import OperationSet, Privilege

ops = OperationSet()

SOFTWARE = "com.vmware.esx.settings.clusters.software"


def selected_hosts(call: Call, cluster: str, spec: dict[str, Any]) -> list[Host]:
    """Checks 3 to 7 of BEHAVIOR's order; the hosts the operation works on."""
    backend = call.backend
    require_desired(call, cluster)  # NotFound cluster, InvalidArgument not image-managed, NotFound no document
    commit = spec.get("commit")
    if commit is not None:
        number = commit_number(commit)
        if number is None or backend.desired.commit(cluster, number) is None:
            raise errors.invalid_commit(cluster, commit)
    members = {h.id: h for h in backend.inventory.hosts(cluster)}
    selected = spec.get("hosts") or []
    for host in selected:
        if host not in members:
            other = backend.inventory.host(host)
            if other is None:
                why = "no such host"
            elif other.cluster is None:
                why = "it is a standalone host"
            else:
                why = f"it is in cluster {other.cluster}"
            raise errors.invalid_host(host, cluster, why)
    return [members[h] for h in selected] if selected else list(members.values())


def _run(call: Call, cls: type[StageRun], cluster: str, hosts: list[Host]) -> StageRun:
    backend = call.backend
    extra: dict[str, Any] = {}
    if cls is ApplyRun:
        members = len(backend.inventory.hosts(cluster))
        extra = {"policy": backend.policies.effective(cluster, members), "time_scale": backend.settings.sim_time_scale}
    run = cls(
        **extra,
        cluster=cluster,
        hosts=hosts,
        desired=backend.desired,
        catalog=backend.depots.catalog(),
        agent=backend.hosts,
        depot_url=backend.depot_url,
        host_timeout=backend.settings.host_stage_timeout_seconds,
        pins=backend.depots.pins,
    )
    run.all_hosts = [h.id for h in backend.inventory.hosts(cluster)]
    run.ended.append(lambda _: backend.scanner.scan(cluster))  # compliance after the run is a fresh scan
    if cls is ApplyRun:
        run.ended.append(lambda result: backend.reports.put(cluster, "apply", result))
    return run


@ops.operation(SOFTWARE, "stage$task", Privilege.WRITE)
async def stage(call: Call, cluster: str, spec: dict[str, Any]) -> str:
    hosts = selected_hosts(call, cluster, spec)
    require_idle(call, cluster)
    run = _run(call, StageRun, cluster, hosts)
    return start_task(call, run, (CLUSTER_TYPE, cluster), "Stage software", cancelable=True)


@ops.operation(SOFTWARE, "apply$task", Privilege.WRITE)
async def apply(call: Call, cluster: str, spec: dict[str, Any]) -> str:
    """Remediate: hosts end up running the latest commit; what was staged is used
    and the staging areas are emptied."""
    hosts = selected_hosts(call, cluster, spec)
    if not spec.get("accept_eula"):
        raise errors.eula_not_accepted()
    backend = call.backend
    latest = require_desired(call, cluster)
    catalog = backend.depots.catalog()
    images = backend.desired.installed_many([h.id for h in hosts])
    if latest.apply_status == "APPLIED" and all(needs_nothing(images[h.id], latest.spec, catalog) for h in hosts):
        raise errors.already_in_desired_state(cluster, latest.id)
    require_idle(call, cluster)
    run = _run(call, ApplyRun, cluster, hosts)
    return start_task(call, run, (CLUSTER_TYPE, cluster), "Remediate cluster", cancelable=True)


@ops.operation("com.vmware.esx.settings.hosts.software", "stage$task", Privilege.WRITE)
async def stage_host(call: Call, host: str, spec: dict[str, Any]) -> str:
    """Host-level documents are for vLCM managed standalone hosts, which the
    inventory does not have yet: Unsupported, as the bindings say for any other host."""
    h = require_host(call, host)
    raise errors.not_standalone_image_host(host, h.cluster)
