"""The solutions of a cluster or standalone host (esx.settings.{clusters,hosts}.software.solutions):
what a vCenter solution adds to the image. Setting, removing or updating them
makes a new commit of the desired state, as vLCM does."""

from __future__ import annotations

from typing import Any

from vlcmsim.backend import Call
from vlcmsim.lifecycle import errors
from vlcmsim.lifecycle.solutions import solution_problems
from vlcmsim.lifecycle.spec import SoftwareSpec
from vlcmsim.lifecycle.values import solution_infos
from vlcmsim.services.common import start_task
from vlcmsim.services.esx_settings.common import for_owners, require_desired, require_idle, require_image_managed
from vlcmsim.tasks.manager import TaskContext
from vlcmsim.vapi.operations import OperationSet, Privilege

ops = OperationSet()

SOLUTIONS = "software.solutions"


@for_owners(ops, SOLUTIONS, "list")
async def list_solutions(call: Call, cluster: str) -> dict[str, Any]:
    return solution_infos(require_desired(call, cluster).spec, call.backend.depots.catalog())


@for_owners(ops, SOLUTIONS, "get")
async def get_solution(call: Call, cluster: str, solution: str) -> dict[str, Any]:
    infos = solution_infos(require_desired(call, cluster).spec, call.backend.depots.catalog())
    if solution not in infos:
        raise errors.solution_not_set(cluster, solution)
    info: dict[str, Any] = infos[solution]
    return info


def _changed(call: Call, cluster: str, change: dict[str, dict[str, Any] | None], description: str) -> str:
    """Check the change, then commit the latest document with it as a task."""
    latest = require_desired(call, cluster)
    spec = latest.spec.copy()
    for name, wanted in change.items():
        if wanted is None:
            if name not in spec.solutions:
                raise errors.solution_not_set(cluster, name)
            del spec.solutions[name]
        else:
            spec.solutions[name] = (wanted["version"], [c["component"] for c in wanted["components"]])
    found = solution_problems(spec.solutions)
    if found:
        raise errors.desired_state_invalid(found)
    require_idle(call, cluster)
    backend, author = call.backend, call.user_name

    async def work(ctx: TaskContext) -> str:
        fresh = backend.desired.latest_commit(cluster)
        base: SoftwareSpec = fresh.spec if fresh else spec
        base.solutions = spec.solutions
        commit = str(backend.desired.add_commit(cluster, author, description, base, draft=None))
        backend.repository.unassign(cluster)  # its image is its own now, not the repository's
        backend.scanner.scan(cluster)
        return commit

    return start_task(call, work, require_image_managed(call, cluster).target, description, exclusive=True)


@for_owners(ops, SOLUTIONS, "set$task", Privilege.WRITE)
async def set_solution(call: Call, cluster: str, solution: str, spec: dict[str, Any]) -> str:
    return _changed(call, cluster, {solution: spec}, f"Set solution {solution}")


@for_owners(ops, SOLUTIONS, "delete$task", Privilege.WRITE)
async def delete_solution(call: Call, cluster: str, solution: str) -> str:
    return _changed(call, cluster, {solution: None}, f"Remove solution {solution}")


@ops.operation(f"com.vmware.esx.settings.clusters.{SOLUTIONS}", "update$task", Privilege.WRITE)
async def update_solutions(call: Call, cluster: str, spec: dict[str, Any]) -> str:
    return _changed(call, cluster, dict(spec["solutions"]), "Update solutions")
