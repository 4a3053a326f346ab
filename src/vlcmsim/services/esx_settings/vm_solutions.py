"""System VM solutions (esx.settings.clusters.vms.*, vSphere 9): a solution's
agent VMs — one pinned to every host, or a set of VMs for the cluster — are
deployed by an apply into vim25's inventory (pyVmomi and govc see them),
powered on, and redeployed when the spec changes. Where the spec configures
lifecycle hooks, each VM waits in them (post-provisioning, post-power-on) until
the solution marks the hook processed, or it times out; compliance says where
each deployment unit stands. EAM agencies taken over (`transition.enable`) are
the cluster's VMs named with the solution's prefix: they are adopted untouched."""

from __future__ import annotations

from typing import Any

from vlcmsim.backend import Backend, Call
from vlcmsim.ids import LIFECYCLE
from vlcmsim.lifecycle.notifications import notification, notifications
from vlcmsim.lifecycle.vm_solutions import CLUSTER_SET, EVERY_HOST, Deployment, Solution
from vlcmsim.services.common import start_task
from vlcmsim.services.esx_settings.common import require_cluster
from vlcmsim.services.esx_settings.vm_solution_run import SolutionRun, issue_info, units
from vlcmsim.tasks.manager import TaskContext
from vlcmsim.vapi.codec import parse_datetime
from vlcmsim.vapi.errors import VapiError, invalid_argument, not_allowed, not_found
from vlcmsim.vapi.operations import OperationSet, Privilege

ops = OperationSet()
W = Privilege.WRITE
VMS = "com.vmware.esx.settings.clusters.vms"
SOLUTIONS = f"{VMS}.solutions"
HOOKS = f"{VMS}.lifecycle_hooks"
TRANSITION = f"{VMS}.transition"


def bad_spec(text: str, *args: str) -> VapiError:
    return invalid_argument(f"{LIFECYCLE}.vms.InvalidSpec", text, *args)


def _no_solution(cluster: str, solution: str) -> VapiError:
    return not_found(f"{LIFECYCLE}.vms.SolutionNotFound", f"Cluster {cluster} has no solution {solution}.", solution)


def require_solution(call: Call, cluster: str, solution: str) -> Solution:
    require_cluster(call, cluster)
    found = call.backend.vm_solutions.get(cluster, solution)
    if found is None:
        raise _no_solution(cluster, solution)
    return found


def checked_spec(call: Call, cluster: str, spec: dict[str, Any], kind: str | None = None) -> dict[str, Any]:
    """The SolutionSpec, refused (InvalidArgument) where it could deploy nothing sensible."""
    if kind is not None and spec["deployment_type"] != kind:
        raise bad_spec(f"This operation takes solutions of deployment type {kind} only.", "deployment_type")
    if not spec["display_name"].strip():
        raise bad_spec("The solution needs a display name.", "display_name")
    if not spec["vm_name_template"]["prefix"].strip():
        raise bad_spec("The VM name template needs a prefix.", "vm_name_template")
    ovf = spec["ovf_resource"]
    if ovf["location_type"] == "REMOTE_FILE" and not ovf.get("url"):
        raise bad_spec("A REMOTE_FILE OVF resource needs its url.", "ovf_resource")
    for state, config in (spec.get("hook_configurations") or {}).items():
        if (config.get("timeout") or 0) < 0:
            raise bad_spec(f"The {state} hook's timeout cannot be negative.", "hook_configurations")
    if spec["deployment_type"] == CLUSTER_SET:
        cluster_spec = spec.get("cluster_solution_spec")
        if not cluster_spec or cluster_spec["vm_count"] < 1:
            raise bad_spec("A CLUSTER_VM_SET solution needs cluster_solution_spec with a vm_count of 1 or more.")
        hosts = call.backend.inventory.hosts(cluster)
        apart = "VM_VM_ANTI_AFFINITY" in (cluster_spec.get("vm_placement_policies") or ())
        if apart and cluster_spec["vm_count"] > len(hosts):
            count = cluster_spec["vm_count"]
            raise bad_spec(f"{count} VMs apart from each other need as many hosts: {len(hosts)} here.")
    return spec


def solution_info(spec: dict[str, Any]) -> dict[str, Any]:
    """The SolutionInfo of a spec, its defaults filled in."""
    info: dict[str, Any] = {
        "deployment_type": spec["deployment_type"],
        "display_name": spec["display_name"],
        "display_version": spec["display_version"],
        "vm_name_template": spec["vm_name_template"],
        "hook_configurations": spec.get("hook_configurations") or {},
        "ovf_resource": spec["ovf_resource"],
        "ovf_descriptor_properties": spec.get("ovf_descriptor_properties") or {},
        "vm_clone_config": spec.get("vm_clone_config") or "NO_CLONES",
        "vm_storage_policy": spec["vm_storage_policy"],
        "vm_disk_type": spec.get("vm_disk_type") or "DEFAULT",
    }
    for key in ("vm_storage_profiles", "vm_resource_pool", "vm_folder", "vm_resource_spec", "redeployment_policy"):
        if spec.get(key) is not None:
            info[key] = spec[key]
    if spec["deployment_type"] == EVERY_HOST:
        host_spec = spec.get("host_solution_spec") or {}
        info["host_solution_info"] = {
            "prefer_host_configuration": bool(host_spec.get("prefer_host_configuration")),
            "vm_networks": list(host_spec.get("vm_networks") or ()),
            "vm_datastores": list(host_spec.get("vm_datastores") or ()),
        }
    else:
        c = spec["cluster_solution_spec"]
        info["cluster_solution_info"] = {
            "vm_count": c["vm_count"],
            "vm_placement_policies": sorted(c.get("vm_placement_policies") or ()),
            "vm_networks": c.get("vm_networks") or {},
            "vm_datastores": list(c.get("vm_datastores") or ()),
            **{k: c[k] for k in ("devices", "remediation_policy", "alternative_vm_specs") if c.get(k) is not None},
        }
    return info


# -- the desired state ----------------------------------------------------------------


@ops.operation(SOLUTIONS, "list")
async def list_solutions(call: Call, cluster: str, filter_spec: dict[str, Any] | None = None) -> dict[str, Any]:
    require_cluster(call, cluster)
    wanted = set((filter_spec or {}).get("solutions") or ())
    found = call.backend.vm_solutions.of(cluster)
    return {"solutions": {k: solution_info(s.spec) for k, s in found.items() if not wanted or k in wanted}}


@ops.operation(SOLUTIONS, "get")
async def get_solution(call: Call, cluster: str, solution: str) -> dict[str, Any]:
    return solution_info(require_solution(call, cluster, solution).spec)


@ops.operation(SOLUTIONS, "set$task", W)
async def set_solution(call: Call, cluster: str, solution: str, spec: dict[str, Any]) -> str:
    """The solution's desired spec (applied by the next apply)."""
    require_cluster(call, cluster)
    checked_spec(call, cluster, spec)
    current = call.backend.vm_solutions.get(cluster, solution)
    if current is not None and current.kind != spec["deployment_type"]:
        raise bad_spec("A solution's deployment type cannot change: delete it first.", "deployment_type")
    solutions = call.backend.vm_solutions

    async def work(ctx: TaskContext) -> None:
        solutions.put(cluster, solution, spec)

    return start_task(call, work, ("ClusterComputeResource", cluster), f"Set solution {solution}")


@ops.operation(SOLUTIONS, "delete$task", W)
async def delete_solution(call: Call, cluster: str, solution: str) -> str:
    """The solution is gone, and its system VMs with it."""
    found = require_solution(call, cluster, solution)
    backend = call.backend

    async def work(ctx: TaskContext) -> None:
        vms = backend.vms
        if vms is not None:
            vms.destroy([v.id for v in vms.all() if v.solution == found.tag])
        backend.vm_solutions.delete(cluster, solution)

    return start_task(call, work, ("ClusterComputeResource", cluster), f"Delete solution {solution}", exclusive=True)


# -- deployment units and compliance ------------------------------------------------------


def _hook_info(d: Deployment) -> dict[str, Any] | None:
    if d.hook is None or d.vm is None:
        return None
    info: dict[str, Any] = {
        "vm": d.vm,
        "lifecycle_state": d.hook["state"],
        "configuration": {"timeout": d.hook["timeout"]},
        "hook_activated": parse_datetime(d.hook["activated"]),
    }
    if d.hook.get("dynamic_update_processed") is not None:
        info["dynamic_update_processed"] = d.hook["dynamic_update_processed"]
    return info


def _deployment_compliance(backend: Backend, s: Solution, unit: str) -> dict[str, Any]:
    d = s.deployments.get(unit) or Deployment()
    exists = d.vm is not None and backend.vms is not None and backend.vms.get(d.vm) is not None
    if not exists:
        status = "ISSUE" if d.status == "ISSUE" else "NOT_APPLIED"
    elif d.status in ("IN_LIFECYCLE_HOOK", "IN_PROGRESS", "ISSUE"):
        status = d.status
    else:
        status = "COMPLIANT" if d.revision == s.revision else "OBSOLETE_SPEC"
    deployment: dict[str, Any] = {"status": status, "issues": [issue_info(i) for i in d.issues]}
    if status != "NOT_APPLIED":  # what the unit runs (or is being brought to)
        deployment["solution_info"] = solution_info(d.applied if status in ("COMPLIANT", "OBSOLETE_SPEC") and d.applied
                                                    else s.spec)  # fmt: skip
    if exists:
        deployment["vm"] = d.vm
    hook = _hook_info(d)
    if hook is not None:
        deployment["lifecycle_hook"] = hook
    notes = [notification("INFO", f"{LIFECYCLE}.vms.{status}", f"Deployment unit {unit} of {s.id}: {status.lower()}.")]
    return {
        "status": "COMPLIANT" if status == "COMPLIANT" else "NON_COMPLIANT",
        "notifications": notifications(info=notes),
        "deployment": deployment,
    }


def _worst(statuses: list[str]) -> str:
    return "NON_COMPLIANT" if "NON_COMPLIANT" in statuses else "COMPLIANT"


def compliance(backend: Backend, cluster: str, filter_spec: dict[str, Any] | None) -> dict[str, Any]:
    f = filter_spec or {}
    wanted, hosts, slots = (set(f.get(k) or ()) for k in ("solutions", "hosts", "deployment_units"))
    per_host: dict[str, dict[str, Any]] = {}
    per_solution: dict[str, dict[str, Any]] = {}
    for sid, s in backend.vm_solutions.of(cluster).items():
        if wanted and sid not in wanted:
            continue
        for unit in units(backend, s):
            if s.kind == EVERY_HOST:
                if hosts and unit not in hosts:
                    continue
                per_host.setdefault(unit, {})[sid] = _deployment_compliance(backend, s, unit)
            elif not slots or unit in slots:
                per_solution.setdefault(sid, {})[unit] = _deployment_compliance(backend, s, unit)
    host_part: dict[str, dict[str, Any]] = {
        h: {"status": _worst([c["status"] for c in v.values()]), "compliances": v} for h, v in per_host.items()
    }
    cluster_part: dict[str, dict[str, Any]] = {
        sid: {"status": _worst([c["status"] for c in v.values()]), "compliances": v} for sid, v in per_solution.items()
    }
    host_status = _worst([v["status"] for v in host_part.values()])
    cluster_status = _worst([v["status"] for v in cluster_part.values()])
    return {
        "status": _worst([host_status, cluster_status]),
        "host_solutions_status": {"status": host_status, "compliances": host_part},
        "cluster_solutions_status": {"status": cluster_status, "compliances": cluster_part},
    }


@ops.operation(SOLUTIONS, "check_compliance$task", W)
async def check_compliance(call: Call, cluster: str, filter_spec: dict[str, Any]) -> str:
    require_cluster(call, cluster)
    backend = call.backend

    async def work(ctx: TaskContext) -> dict[str, Any]:
        return compliance(backend, cluster, filter_spec)

    return start_task(call, work, ("ClusterComputeResource", cluster), "Check the compliance of solutions")


# -- apply ------------------------------------------------------------------------------


@ops.operation(SOLUTIONS, "apply$task", W)
async def apply_solutions(call: Call, cluster: str, spec: dict[str, Any]) -> str:
    require_cluster(call, cluster)
    run = SolutionRun(call.backend, cluster, spec)
    return start_task(call, run, ("ClusterComputeResource", cluster), "Apply solutions", exclusive=True)


# -- lifecycle hooks -------------------------------------------------------------------------


@ops.operation(HOOKS, "list")
async def list_hooks(call: Call, cluster: str, solution: str) -> dict[str, Any]:
    s = require_solution(call, cluster, solution)
    hooks = [_hook_info(d) for d in s.deployments.values() if d.hook and d.hook.get("processed") is None]
    return {"hooks": [h for h in hooks if h is not None]}


def _waiting(call: Call, cluster: str, vm: str, state: str, solution: str | None = None) -> tuple[Solution, str]:
    """The solution and unit whose VM `vm` waits in the `state` hook."""
    require_cluster(call, cluster)
    for s in call.backend.vm_solutions.of(cluster).values():
        if solution is not None and s.id != solution:
            continue
        for unit, d in s.deployments.items():
            if d.vm == vm:
                if not d.hook or d.hook["state"] != state or d.hook.get("processed") is not None:
                    raise not_allowed(f"{LIFECYCLE}.vms.NoActiveHook", f"VM {vm} waits in no {state} hook.", vm)
                return s, unit
    raise not_found(f"{LIFECYCLE}.vms.VmNotFound", f"VM {vm} is no system VM of a solution of {cluster}.", vm)


@ops.operation(HOOKS, "mark_as_processed", W)
async def mark_as_processed(call: Call, cluster: str, spec: dict[str, Any]) -> None:
    s, unit = _waiting(call, cluster, spec["vm"], spec["lifecycle_state"])
    hook = s.deployments[unit].hook
    assert hook is not None
    hook.update(processed=True, successful=bool(spec["processed_successfully"]))
    call.backend.vm_solutions.save(s)


@ops.operation(HOOKS, "process_dynamic_update", W)
async def process_dynamic_update(call: Call, cluster: str, spec: dict[str, Any]) -> None:
    """The VM waiting in the hook takes the alternative VM spec given (kept on its unit)."""
    s, unit = _waiting(call, cluster, spec["vm"], spec["lifecycle_state"], spec["solution"])
    hook = s.deployments[unit].hook
    assert hook is not None
    hook.update(dynamic_update_processed=True, alternative=spec.get("alternative_vm_spec"))
    call.backend.vm_solutions.save(s)


# -- taking over solutions -------------------------------------------------------------------
