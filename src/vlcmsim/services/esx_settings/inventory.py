"""esx.settings.inventory (vSphere 9.0): scan, check, stage and apply over a set
of clusters and standalone hosts at once — each entity's own operation, run
side by side in one task, its outcome reported per cluster, host, datacenter
and folder."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from vlcmsim.backend import Call
from vlcmsim.ids import LIFECYCLE
from vlcmsim.inventory.model import is_host
from vlcmsim.lifecycle import errors
from vlcmsim.lifecycle.apply import ApplyRun
from vlcmsim.lifecycle.checks import check_result, host_check_result
from vlcmsim.lifecycle.notifications import notification, notifications
from vlcmsim.lifecycle.runs import StageRun
from vlcmsim.services.common import start_task
from vlcmsim.services.esx_settings.common import Owner, require_desired, require_idle, require_image_managed
from vlcmsim.services.esx_settings.remediation import make_run
from vlcmsim.services.esx_settings.reports import world
from vlcmsim.services.vcenter import ROOT_FOLDER, folders
from vlcmsim.tasks.manager import PartContext, TaskContext, TaskFailed
from vlcmsim.vapi.errors import VapiError, not_found
from vlcmsim.vapi.operations import OperationSet, Privilege

ops = OperationSet()

INVENTORY = "com.vmware.esx.settings.inventory"
RESULT_MAPS = ("cluster_results", "host_results", "datacenter_results", "folder_results")


@dataclass
class Selection:
    """The image owners an entity spec names, and the entities to report on."""

    owners: list[Owner] = field(default_factory=list)
    refused: dict[str, VapiError] = field(default_factory=dict)  # owner id -> why it cannot take part
    groups: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (map, dc or folder) -> owner ids


def _select(call: Call, entities: dict[str, Any]) -> Selection:
    """Resolve the EntitySpec: named clusters and hosts must exist (NotFound);
    one that is not image-managed or has no desired document is reported FAILED;
    a datacenter or folder covers the image-managed clusters and standalone
    hosts under it."""
    inventory = call.backend.inventory
    kind = entities["type"]
    sel = Selection()
    named: list[str] = []
    if kind == "CLUSTER":
        named = sorted(entities.get("clusters") or ())
        for c in named:
            if inventory.cluster(c) is None:
                raise errors.cluster_not_found(c)
    elif kind == "HOST":
        named = sorted(entities.get("hosts") or ())
        for h in named:
            if inventory.host(h) is None:
                raise errors.host_not_found(h)
    else:
        known = {f.id: f for f in folders(call)}
        groups = sorted(entities.get("datacenters" if kind == "DATACENTER" else "folders") or ())
        for g in groups:
            if kind == "DATACENTER":
                dcs = [g] if inventory.datacenter(g) is not None else []
            elif g in known and known[g].type in ("HOST", "DATACENTER"):
                folder = known[g]
                dcs = [d.id for d in inventory.datacenters()] if folder.id == ROOT_FOLDER else [folder.datacenter or ""]
            else:
                dcs = []
            if not dcs:
                raise not_found(f"{LIFECYCLE}.EntityNotFound", f"{kind.capitalize()} {g} not found.", g)
            under = [c.id for c in inventory.clusters() if c.datacenter in dcs and c.image_managed]
            under += [h.id for h in inventory.standalone_hosts() if h.datacenter in dcs and h.image_managed]
            key = "datacenter_results" if kind == "DATACENTER" else "folder_results"
            sel.groups[(key, g)] = under
            named.extend(o for o in under if o not in named)
    for owner in named:
        try:
            require_desired(call, owner)
            image_owner = require_image_managed(call, owner)
            require_idle(call, owner)
            sel.owners.append(image_owner)
        except VapiError as why:
            sel.refused[owner] = why
    return sel


Part = Callable[[Owner, PartContext], Awaitable[tuple[bool, dict[str, Any]]]]


def _entity_task(call: Call, entities: dict[str, Any], part: Part, description: str) -> str:
    """One task running `part` for every selected owner at once; its result maps
    each cluster, host, datacenter and folder to IN_PROGRESS, COMPLETED or FAILED."""
    sel = _select(call, entities)

    async def work(ctx: TaskContext) -> dict[str, Any]:
        outcome: dict[str, dict[str, Any]] = {
            o: {"status": "FAILED", "notifications": notifications(errors=[_refused(why)])}
            for o, why in sel.refused.items()
        }
        parts: dict[str, PartContext] = {}

        def show() -> dict[str, Any]:
            result: dict[str, Any] = {m: {} for m in RESULT_MAPS}
            for owner in [*(o.id for o in sel.owners), *sel.refused]:
                entry = outcome.get(owner, {"status": "IN_PROGRESS"})
                result["host_results" if is_host(owner) else "cluster_results"][owner] = entry
            for (key, group), members in sel.groups.items():
                statuses = [outcome.get(m, {"status": "IN_PROGRESS"})["status"] for m in members]
                status = (
                    "IN_PROGRESS" if "IN_PROGRESS" in statuses else "FAILED" if "FAILED" in statuses else "COMPLETED"
                )
                result[key][group] = {"status": status}
            return result

        def changed() -> None:
            total = sum(p.total for p in parts.values())
            ctx.progress(sum(p.completed for p in parts.values()), max(total, 1), description)
            ctx.set_result(show())

        async def run(owner: Owner) -> None:
            sub = parts[owner.id] = PartContext(ctx, changed)
            ok, notes = await part(owner, sub)
            outcome[owner.id] = {"status": "COMPLETED" if ok else "FAILED", "notifications": notes}
            changed()

        ctx.set_result(show())
        await asyncio.gather(*(run(o) for o in sel.owners))
        result = show()
        failed = [o for o, r in outcome.items() if r["status"] == "FAILED"]
        if failed:
            raise TaskFailed(errors.entities_failed(description, failed), result)
        return result

    return start_task(call, work, None, description, cancelable=True, locks=[o.target for o in sel.owners])


def _refused(why: VapiError) -> dict[str, Any]:
    m = why.messages[0]
    return notification("ERROR", m.id, m.default_message, *m.args, retriable=False)


def _run_part(call: Call, cls: type[StageRun]) -> Part:
    async def part(owner: Owner, ctx: PartContext) -> tuple[bool, dict[str, Any]]:
        hosts = call.backend.inventory.members(owner.id)
        run = make_run(call, cls, owner, hosts)
        try:
            result = await run(ctx)
        except TaskFailed as failed:
            result = failed.result if isinstance(failed.result, dict) else {}
            return False, result.get("notifications") or notifications(errors=[_refused(failed.error)])
        return True, result.get("notifications") or {}

    return part


@ops.operation(INVENTORY, "stage$task", Privilege.WRITE)
async def stage(call: Call, spec: dict[str, Any]) -> str:
    return _entity_task(call, spec["entities"], _run_part(call, StageRun), "Stage software on the inventory")


@ops.operation(INVENTORY, "apply$task", Privilege.WRITE)
async def apply(call: Call, spec: dict[str, Any]) -> str:
    if not spec.get("accept_eula"):
        raise errors.eula_not_accepted()
    return _entity_task(call, spec["entities"], _run_part(call, ApplyRun), "Remediate the inventory")


def _no_repository(spec: dict[str, Any]) -> None:
    if spec.get("software_spec"):
        name = spec["software_spec"]
        raise not_found(f"{LIFECYCLE}.SoftwareSpecNotFound", f"Software specification {name} not found.", name)


@ops.operation(INVENTORY, "scan$task", Privilege.WRITE)
async def scan(call: Call, spec: dict[str, Any]) -> str:
    _no_repository(spec)
    scanner = call.backend.scanner

    async def part(owner: Owner, ctx: PartContext) -> tuple[bool, dict[str, Any]]:
        result = scanner.scan(owner.id)
        if result is None:
            return False, notifications(errors=[_refused(errors.no_desired_state(owner.id))])
        text = f"{owner.kind.capitalize()} {owner.name} is {result['status'].replace('_', ' ').lower()}."
        return True, notifications(info=[notification("INFO", f"{LIFECYCLE}.ScanCompleted", text)])

    return _entity_task(call, spec["entities"], part, "Check compliance of the inventory")


@ops.operation(INVENTORY, "check$task", Privilege.WRITE)
async def check(call: Call, spec: dict[str, Any]) -> str:
    _no_repository(spec)
    backend = call.backend

    async def part(owner: Owner, ctx: PartContext) -> tuple[bool, dict[str, Any]]:
        commit = backend.desired.latest_commit(owner.id)
        members = backend.inventory.members(owner.id)
        if commit is None or not members:
            return False, notifications(errors=[_refused(errors.no_desired_state(owner.id))])
        w = world(backend, owner.id)
        result = (
            host_check_result(members[0], commit, w)
            if owner.is_host
            else check_result(owner.id, members, members, commit, w)
        )
        backend.reports.put(owner.id, "check", result)
        statuses = (
            result["entity_result"]["check_statuses"]
            if owner.is_host
            else [s for e in result["entity_results"] for s in e["check_statuses"]]
        )
        issues = [
            notification(
                "ERROR" if s["status"] == "ERROR" else "WARNING",
                s["check"]["check"],
                (i.get("description") or i)["default_message"],
                retriable=False if s["status"] == "ERROR" else None,
            )
            for s in statuses
            if s["status"] != "OK"
            for i in (s.get("check_issues") or s.get("issues") or [])
        ]
        errs = [n for n in issues if n["type"] == "ERROR"]
        return not errs, notifications(warnings=[n for n in issues if n["type"] != "ERROR"], errors=errs)

    return _entity_task(call, spec["entities"], part, "Check the inventory before remediation")
