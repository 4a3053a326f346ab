"""Solutions vLCM takes over (esx.settings.clusters.vms.transition): an EAM
agency's solution (the cluster's VMs named with the solution's prefix, adopted
untouched), several agencies' as one VM set, or a VM set moved from another cluster."""

from __future__ import annotations

from typing import Any

from vlcmsim.backend import Backend, Call
from vlcmsim.ids import LIFECYCLE
from vlcmsim.lifecycle.vm_solutions import CLUSTER_SET, EVERY_HOST, Deployment
from vlcmsim.services.common import start_task
from vlcmsim.services.esx_settings.common import require_cluster
from vlcmsim.services.esx_settings.vm_solutions import TRANSITION, W, bad_spec, checked_spec, require_solution
from vlcmsim.tasks.manager import TaskContext
from vlcmsim.vapi.errors import not_allowed
from vlcmsim.vapi.operations import OperationSet

ops = OperationSet()


def _adopted(backend: Backend, cluster: str, prefix: str, limit: int | None = None) -> dict[str, Deployment]:
    """The cluster's workload VMs named with the prefix, as deployment units of a solution taken over."""
    vms = backend.vms
    if vms is None:
        return {}
    hosts = {h.id for h in backend.inventory.hosts(cluster)}
    found = [v for v in vms.all() if v.host in hosts and v.solution is None and v.name.startswith(prefix)]
    return {str(n): Deployment(v.id, v.host, 1, "COMPLIANT") for n, v in enumerate(found[:limit], start=1)}


def _applied(adopted: dict[str, Deployment], spec: dict[str, Any]) -> dict[str, Deployment]:
    for d in adopted.values():
        d.applied = spec
    return adopted


def _take_over(
    backend: Backend, cluster: str, solution: str, spec: dict[str, Any], adopted: dict[str, Deployment]
) -> None:
    if spec["deployment_type"] == EVERY_HOST:  # units are hosts
        adopted = {d.host or unit: d for unit, d in adopted.items()}
    backend.vm_solutions.put(cluster, solution, spec, _applied(adopted, spec))
    if backend.vms is not None and adopted:
        backend.vms.adopt([d.vm for d in adopted.values() if d.vm], f"{cluster}/{solution}")


def _enable(call: Call, cluster: str, solution: str, spec: dict[str, Any], kind: str, limit: bool) -> str:
    require_cluster(call, cluster)
    solution_spec = checked_spec(call, cluster, spec["solution"], kind)
    if call.backend.vm_solutions.get(cluster, solution) is not None:
        raise not_allowed(f"{LIFECYCLE}.vms.AlreadyManaged", f"vLCM manages {solution} on {cluster} already.", solution)
    backend = call.backend

    async def work(ctx: TaskContext) -> None:
        count = solution_spec["cluster_solution_spec"]["vm_count"] if limit else None
        adopted = _adopted(backend, cluster, solution_spec["vm_name_template"]["prefix"], count)
        _take_over(backend, cluster, solution, solution_spec, adopted)

    return start_task(call, work, ("ClusterComputeResource", cluster), f"Enable solution {solution} in vLCM")


@ops.operation(TRANSITION, "enable$task", W)
async def enable(call: Call, cluster: str, solution: str, spec: dict[str, Any]) -> str:
    return _enable(call, cluster, solution, spec, EVERY_HOST, limit=False)


@ops.operation(TRANSITION, "multi_source_enable$task", W)
async def multi_source_enable(call: Call, cluster: str, solution: str, spec: dict[str, Any]) -> str:
    if not spec["eam_agency_ids"]:
        raise bad_spec("Name the EAM agencies whose solutions become one.", "eam_agency_ids")
    return _enable(call, cluster, solution, spec, CLUSTER_SET, limit=True)


@ops.operation(TRANSITION, "transition$task", W)
async def transition(call: Call, cluster: str, solution: str, spec: dict[str, Any]) -> str:
    """The solution's desired state moves from the source cluster to this one; its VMs stay as they are."""
    require_cluster(call, cluster)
    source = require_solution(call, spec["source_cluster"], solution)
    solution_spec = checked_spec(call, cluster, spec["solution"], CLUSTER_SET)
    if source.kind != CLUSTER_SET:
        raise bad_spec(f"Solution {solution} is of deployment type {source.kind}: only CLUSTER_VM_SET ones move.")
    if cluster == source.cluster:
        raise bad_spec("The source cluster is the target.", "source_cluster")
    backend = call.backend

    async def work(ctx: TaskContext) -> None:
        kept = {u: d for u, d in source.deployments.items() if d.vm}
        backend.vm_solutions.delete(source.cluster, solution)
        _take_over(backend, cluster, solution, solution_spec, kept)

    return start_task(call, work, ("ClusterComputeResource", cluster), f"Move solution {solution}", exclusive=True)
