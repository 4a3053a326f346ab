"""One apply of a cluster's system VM solutions: every deployment unit that
lacks its VM, or whose VM is of an older spec, gets one — placed, deployed into
vim25's inventory, taken through the spec's lifecycle hooks, powered on — in
parallel or in turn; units no longer asked for lose theirs."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from vlcmsim.backend import Backend
from vlcmsim.depot.fetch import FetchError
from vlcmsim.ids import LIFECYCLE
from vlcmsim.inventory.model import Host
from vlcmsim.lifecycle.notifications import notification, notifications
from vlcmsim.lifecycle.vm_solutions import CLUSTER_SET, EVERY_HOST, Deployment, Solution
from vlcmsim.tasks.manager import TaskContext, TaskFailed
from vlcmsim.vapi.codec import format_datetime, now
from vlcmsim.vapi.errors import error

DEFAULT_HOOK_TIMEOUT = 600  # seconds a hook waits when its configuration gives none
POLL = 0.05


def units(backend: Backend, s: Solution) -> list[str]:
    """The deployment units the spec asks for: the cluster's hosts, or slots 1..vm_count."""
    if s.kind == EVERY_HOST:
        return [h.id for h in backend.inventory.hosts(s.cluster)]
    return [str(n) for n in range(1, int(s.spec["cluster_solution_spec"]["vm_count"]) + 1)]


def _issue(kind: str, text: str) -> dict[str, str]:
    """An issue of a deployment unit, as kept (its IssueInfo is made when read)."""
    return {"type": kind, "text": text}


def issue_info(issue: dict[str, str]) -> dict[str, Any]:
    note = notification("ERROR", f"{LIFECYCLE}.vms.{issue['type']}", issue["text"])
    return {"type": issue["type"], "notifications": notifications(errors=[note])}


class SolutionRun:
    """One apply of a cluster's solutions: every unit that lacks its VM, or whose VM
    is of an older spec, gets one (through the spec's hooks), in parallel or in turn."""

    def __init__(self, backend: Backend, cluster: str, spec: dict[str, Any]) -> None:
        self.backend = backend
        self.cluster = cluster
        self.spec = spec
        self.start = now()
        self.statuses: dict[tuple[str, str], dict[str, Any]] = {}  # (solution, unit) -> ApplyStatus

    def _persist(self, s: Solution) -> None:
        """Keep the run's state, with what hooks' callers wrote meanwhile (their processing)."""
        fresh = self.backend.vm_solutions.get(s.cluster, s.id)
        if fresh is None:
            return
        for unit, d in s.deployments.items():
            other = fresh.deployments.get(unit)
            if d.hook and other and other.hook and other.hook.get("activated") == d.hook.get("activated"):
                d.hook.update({k: v for k, v in other.hook.items() if k not in d.hook or d.hook[k] is None})
        self.backend.vm_solutions.save(s)

    def _selected(self, s: Solution) -> list[str]:
        every = units(self.backend, s)
        if not self.spec.get("host_solutions") and not self.spec.get("cluster_solutions"):
            return every  # no filter: every solution
        part = self.spec.get("host_solutions" if s.kind == EVERY_HOST else "cluster_solutions")
        if not part:
            return []  # a filter of the other kind of solutions only
        if part.get("solutions") and s.id not in part["solutions"]:
            return []
        chosen = set(part.get("hosts" if s.kind == EVERY_HOST else "deployment_units") or ())
        return [u for u in every if not chosen or u in chosen]

    async def __call__(self, ctx: TaskContext) -> dict[str, Any]:
        for s in self.backend.vm_solutions.of(self.cluster).values():
            selected = self._selected(s)
            if not selected:
                continue
            # units no longer asked for (a host that left, a smaller vm_count): their VMs go
            wanted = set(units(self.backend, s))
            for unit in [u for u in s.deployments if u not in wanted]:
                gone = s.deployments.pop(unit)
                if gone.vm and self.backend.vms is not None:
                    self.backend.vms.destroy([gone.vm])
            reachable = await self._ovf_reachable(s)
            work = [self._unit(s, unit, reachable) for unit in selected]
            policy = (s.spec.get("cluster_solution_spec") or {}).get("remediation_policy") or "PARALLEL"
            if policy == "SEQUENTIAL":
                for w in work:
                    await w
            else:
                await asyncio.gather(*work)
            self._persist(s)
        result = self.result()
        failed = sorted(f"{sid} ({unit})" for (sid, unit), st in self.statuses.items() if st["status"] == "ERROR")
        if failed:
            text = f"Solutions could not be applied to {len(failed)} deployment unit(s): {', '.join(failed)}."
            raise TaskFailed(error(f"{LIFECYCLE}.vms.ApplyFailed", text), result)
        return result

    async def _ovf_reachable(self, s: Solution) -> str | None:
        """Why the solution's OVF cannot be read (None: it can)."""
        ovf = s.spec["ovf_resource"]
        if ovf["location_type"] != "REMOTE_FILE":
            return None
        try:
            await self.backend.fetcher.to_bytes(ovf["url"], 16 * 1024 * 1024)
        except FetchError as exc:
            return str(exc)
        return None

    def _host_for(self, s: Solution, unit: str) -> tuple[Host | None, dict[str, Any] | None]:
        inventory = self.backend.inventory
        if s.kind == EVERY_HOST:
            h = inventory.host(unit)
            if h is None or h.connection_state != "CONNECTED":
                return None, _issue("HOST_NOT_REACHABLE", f"Host {unit} is not connected.")
            if h.in_maintenance_mode:
                return None, _issue("HOST_IN_MAINTENANCE_MODE", f"Host {h.name} is in maintenance mode.")
            return h, None
        apart = "VM_VM_ANTI_AFFINITY" in (s.spec["cluster_solution_spec"].get("vm_placement_policies") or ())
        taken = {d.host for u, d in s.deployments.items() if u != unit and d.vm}
        candidates = [
            h
            for h in inventory.hosts(s.cluster)
            if h.connection_state == "CONNECTED" and not h.in_maintenance_mode and not (apart and h.id in taken)
        ]
        if not candidates:
            return None, _issue("INSUFFICIENT_RESOURCES", f"No host can run unit {unit} of {s.id}.")
        load = {h.id: sum(1 for d in s.deployments.values() if d.host == h.id and d.vm) for h in candidates}
        return min(candidates, key=lambda h: (load[h.id], h.id)), None

    def _vm_name(self, s: Solution, unit: str, host: Host) -> str:
        template = s.spec["vm_name_template"]
        if template["suffix"] == "UUID":
            return f"{template['prefix']}{uuid.uuid4()}"
        index = unit if s.kind == CLUSTER_SET else host.name.split(".")[0]
        return f"{template['prefix']}{index}"

    async def _unit(self, s: Solution, unit: str, ovf_problem: str | None) -> None:
        d = s.deployments.setdefault(unit, Deployment())
        vms = self.backend.vms
        assert vms is not None
        started = now()
        if d.vm and vms.get(d.vm) is not None and d.revision == s.revision and d.status == "COMPLIANT":
            self.statuses[(s.id, unit)] = {"status": "SUCCESS", "start_time": started, "end_time": now()}
            return
        host, issue = self._host_for(s, unit)
        if issue is None and ovf_problem is not None:
            issue = _issue("OVF_CANNOT_ACCESS", f"The OVF of {s.id} cannot be read: {ovf_problem}")
        if host is None or issue is not None:
            d.status, d.issues = "ISSUE", [issue] if issue else []
            self.statuses[(s.id, unit)] = {"status": "ERROR", "start_time": started, "end_time": now()}
            self._persist(s)
            return
        old = d.vm if d.vm and vms.get(d.vm) is not None else None
        blue_green = s.spec.get("redeployment_policy") == "BLUE_GREEN"
        if old and not blue_green:
            vms.destroy([old])
        d.vm = vms.deploy(self._vm_name(s, unit, host), host.id, s.tag).id
        d.applied = s.spec
        d.host, d.status, d.issues = host.id, "IN_PROGRESS", []
        self._persist(s)
        ok = await self._hook(s, d, "POST_PROVISIONING")
        if ok:
            vms.set_power(d.vm, "poweredOn")
            ok = await self._hook(s, d, "POST_POWER_ON")
        if old and blue_green:
            vms.destroy([old])
        if ok:
            d.revision, d.status, d.hook = s.revision, "COMPLIANT", None
        self.statuses[(s.id, unit)] = {"status": "SUCCESS" if ok else "ERROR", "start_time": started, "end_time": now()}
        self._persist(s)

    async def _hook(self, s: Solution, d: Deployment, state: str) -> bool:
        """Wait in the spec's hook for `state`, if it has one, until the solution processes it."""
        config = (s.spec.get("hook_configurations") or {}).get(state)
        if config is None:
            return True
        timeout = config.get("timeout") or DEFAULT_HOOK_TIMEOUT
        d.hook = {"state": state, "activated": format_datetime(now()), "timeout": timeout, "processed": None}
        d.status = "IN_LIFECYCLE_HOOK"
        self._persist(s)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            await asyncio.sleep(POLL)
            fresh = self.backend.vm_solutions.get(s.cluster, s.id)
            mine = fresh.deployments.get(_unit_of(s, d)) if fresh else None
            if mine and mine.hook and mine.hook.get("activated") == d.hook["activated"] and mine.hook.get("processed"):
                d.hook.update(mine.hook)
                if mine.hook.get("successful"):
                    d.status = "IN_PROGRESS"
                    return True
                d.status = "ISSUE"
                d.issues = [_issue("VM_LIFECYCLE_HOOK_FAILED", f"The solution reported {state} of {d.vm} failed.")]
                return False
        d.status = "ISSUE"
        d.issues = [_issue("VM_LIFECYCLE_HOOK_TIMEOUT", f"{state} of {d.vm} was not processed in {timeout} s.")]
        return False

    def result(self) -> dict[str, Any]:
        host_statuses: dict[str, dict[str, Any]] = {}
        cluster_statuses: dict[str, dict[str, Any]] = {}
        solutions = self.backend.vm_solutions.of(self.cluster)
        for (sid, unit), status in self.statuses.items():
            s = solutions.get(sid)
            if s is not None and s.kind == EVERY_HOST:
                host_statuses.setdefault(unit, {})[sid] = status
            else:
                cluster_statuses.setdefault(sid, {})[unit] = status

        def overall(statuses: list[dict[str, Any]]) -> dict[str, Any]:
            bad = any(x["status"] == "ERROR" for x in statuses)
            return {"status": "ERROR" if bad else "SUCCESS", "start_time": self.start, "end_time": now()}

        every = list(self.statuses.values())
        return {
            "status": overall(every),
            "host_solutions_status": {
                "status": overall([x for v in host_statuses.values() for x in v.values()]),
                "host_statuses": {
                    h: {"status": overall(list(v.values())), "solution_statuses": v} for h, v in host_statuses.items()
                },
            },
            "cluster_solutions_status": {
                "status": overall([x for v in cluster_statuses.values() for x in v.values()]),
                "solution_statuses": {
                    sid: {"status": overall(list(v.values())), "deployment_unit_statuses": v}
                    for sid, v in cluster_statuses.items()
                },
            },
        }


def _unit_of(s: Solution, d: Deployment) -> str:
    return next(u for u, x in s.deployments.items() if x is d)
