"""Software.stage and Software.apply of a cluster or of a standalone host:
validation in vLCM's order before a task exists, then the StageRun or
ApplyRun task."""

from __future__ import annotations

from typing import Any

from vlcmsim.backend import Call
from vlcmsim.inventory.model import Host
from vlcmsim.lifecycle import errors
from vlcmsim.lifecycle.apply import ApplyRun
from vlcmsim.lifecycle.desired import commit_number
from vlcmsim.lifecycle.runs import StageRun, host_view, needs_nothing
from vlcmsim.lifecycle.spec import image_of
from vlcmsim.services.common import start_task
from vlcmsim.services.esx_settings.common import Owner, for_owners, require_desired, require_idle, require_image_managed
from vlcmsim.services.esx_settings.depot_overrides import offered_by_overrides
from vlcmsim.vapi.operations import OperationSet, Privilege

ops = OperationSet()

SOFTWARE = "software"


def selected_hosts(call: Call, owner: str, spec: dict[str, Any]) -> list[Host]:
    """Checks 3 to 7 of BEHAVIOR's order; the hosts the operation works on (a
    standalone host works on itself)."""
    backend = call.backend
    require_desired(call, owner)  # NotFound owner, not image-managed, NotFound no document
    commit = spec.get("commit")
    if commit is not None:
        number = commit_number(commit)
        if number is None or backend.desired.commit(owner, number) is None:
            raise errors.invalid_commit(owner, commit)
    members = {h.id: h for h in backend.inventory.members(owner)}
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
            raise errors.invalid_host(host, owner, why)
    return [members[h] for h in selected] if selected else list(members.values())


def make_run(call: Call, cls: type[StageRun], owner: Owner, hosts: list[Host]) -> StageRun:
    backend = call.backend
    members = backend.inventory.members(owner.id)
    extra: dict[str, Any] = {}
    if cls is ApplyRun:
        extra = {
            "policy": backend.policies.effective(owner.id, len(members)),
            "time_scale": backend.settings.sim_time_scale,
        }
    run = cls(
        **extra,
        cluster=owner.id,
        hosts=hosts,
        desired=backend.desired,
        catalog=backend.depots.catalog(),
        agent=backend.hosts,
        depot_url=backend.depot_url,
        host_timeout=backend.settings.host_stage_timeout_seconds,
        pins=backend.depots.pins,
    )
    run.all_hosts = members
    run.prepare = backend.syncer.ensure
    run.offered = offered_by_overrides(backend, owner.id)
    if owner.is_host:
        run.view = host_view(owner.id)
    run.ended.append(lambda _: backend.scanner.scan(owner.id))  # compliance after the run is a fresh scan
    run.ended.append(lambda _: backend.on_staged(run.moved_bytes()))
    if cls is ApplyRun:
        run.ended.append(lambda result: backend.reports.put(owner.id, "apply", result))
    return run


@for_owners(ops, SOFTWARE, "stage$task", Privilege.WRITE)
async def stage(call: Call, cluster: str, spec: dict[str, Any]) -> str:
    hosts = selected_hosts(call, cluster, spec)
    owner = require_image_managed(call, cluster)
    require_idle(call, cluster)
    run = make_run(call, StageRun, owner, hosts)
    return start_task(call, run, owner.target, "Stage software", cancelable=True, exclusive=True)


@for_owners(ops, SOFTWARE, "apply$task", Privilege.WRITE)
async def apply(call: Call, cluster: str, spec: dict[str, Any]) -> str:
    """Remediate: hosts end up running the latest commit; what was staged is used
    and the staging areas are emptied."""
    hosts = selected_hosts(call, cluster, spec)
    if not spec.get("accept_eula"):
        raise errors.eula_not_accepted()
    backend = call.backend
    owner = require_image_managed(call, cluster)
    latest = require_desired(call, cluster)
    catalog = backend.depots.catalog()
    images = backend.desired.installed_many([h.id for h in hosts])
    if latest.apply_status == "APPLIED" and all(
        needs_nothing(images[h.id], image_of(latest.spec, h), catalog) for h in hosts
    ):
        raise errors.already_in_desired_state(cluster, latest.id)
    require_idle(call, cluster)
    run = make_run(call, ApplyRun, owner, hosts)
    return start_task(call, run, owner.target, f"Remediate {owner.kind}", cancelable=True, exclusive=True)
