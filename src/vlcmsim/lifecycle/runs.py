"""The runs of a cluster's hosts: the Stage Clusters Software task (copy the
payloads of the cluster's latest desired image to its hosts, in parallel,
before remediation) and, with three hooks changed, remediation (`ApplyRun`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vlcmsim.depot.catalog import Catalog
from vlcmsim.depot.model import Payload
from vlcmsim.depot.repository import PayloadPins
from vlcmsim.hosts.agent import HostAgent, HostProgress, StageFailure, StagePlan
from vlcmsim.ids import LIFECYCLE, PROGRESS_ID
from vlcmsim.inventory.model import Host
from vlcmsim.lifecycle.desired import Commit, DesiredStates
from vlcmsim.lifecycle.errors import host_failed, host_interrupted, run_failed
from vlcmsim.lifecycle.notifications import message, notification, notifications
from vlcmsim.lifecycle.spec import SoftwareSpec, effective_components, image_of, payloads_of
from vlcmsim.tasks.manager import TaskContext, TaskFailed
from vlcmsim.vapi.codec import Frozen, encode, format_datetime, now

log = logging.getLogger(__name__)


class DepotOverrideUnreadable(Exception):
    """A depot override could not be read; the message says which and why."""


TICK = 0.25  # seconds between progress updates


@dataclass
class HostRun:
    host: Host
    start_time: datetime
    end_time: datetime | None = None
    status: str = "RUNNING"  # RUNNING | RETRY_PENDING | OK | SKIPPED | ERROR | TIMED_OUT
    progress: HostProgress | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    info: list[dict[str, Any]] = field(default_factory=list)
    _final: Frozen | None = field(default=None, repr=False)

    def status_value(self) -> dict[str, Any]:
        """The host's StageStatus (progress is written only where the union allows it);
        once the host has ended, the same value (encoded once) every time."""
        if self._final is not None:
            return self._final
        value = self._status_value()
        if self.status != "RUNNING" and self.end_time is not None:
            self._final = Frozen(value)
            return self._final
        return value

    def _status_value(self) -> dict[str, Any]:
        status = self.progress.status if self.status == "RUNNING" and self.progress else self.status
        value: dict[str, Any] = {
            "status": status,
            "start_time": self.start_time,
            "end_time": self.end_time or now(),
            "notifications": notifications(info=self.info, errors=self.errors),
        }
        if self.progress is not None:
            text = {"OK": "Staged", "ERROR": "Failed", "RETRY_PENDING": "Waiting to retry"}.get(
                status, self.progress.phase or "Staging"
            )
            if status == "OK" and self.progress.phase:
                text = self.progress.phase
            value["progress"] = {
                "total": self.progress.total,
                "completed": min(self.progress.completed, self.progress.total),
                "message": message(PROGRESS_ID, text),
            }
        return value


def needs_nothing(installed: SoftwareSpec, desired: SoftwareSpec, catalog: Catalog) -> bool:
    """Compliant: the installed image already is the desired one."""
    return (
        installed.base_image == desired.base_image
        and installed.add_on == desired.add_on
        and effective_components(installed, catalog) == effective_components(desired, catalog)
        and installed.hardware_support == desired.hardware_support
        and installed.solutions == desired.solutions
    )


def missing_payloads(
    installed: SoftwareSpec, desired: SoftwareSpec, staged: set[str], catalog: Catalog
) -> tuple[list[Payload], list[Payload], list[Payload]]:
    """(every payload of the desired image, those not installed (what an install
    needs staged), those the host lacks: neither installed nor already staged)."""
    wanted = payloads_of(desired, catalog)
    present = {p.sha256 for p in payloads_of(installed, catalog)}
    needed = [p for p in wanted if p.sha256 not in present]
    return wanted, needed, [p for p in needed if p.sha256 not in staged]


class StageRun:
    """Stage: hosts end with the payloads of the desired image in their staging area."""

    VERB = "Stage"  # in message ids and texts
    DONE = "staged"

    def __init__(
        self,
        *,
        cluster: str,
        hosts: list[Host],
        desired: DesiredStates,
        catalog: Catalog,
        agent: HostAgent,
        depot_url: str,
        host_timeout: float,
        pins: PayloadPins | None = None,
    ) -> None:
        self.cluster = cluster
        self.hosts = hosts
        self.desired = desired
        self.catalog = catalog
        self.agent = agent
        self.depot_url = depot_url
        self.host_timeout = host_timeout
        self.pins = pins or PayloadPins()
        self.ended: list[Callable[[dict[str, Any]], object]] = []  # called with the final result (as viewed)
        # before hosts download: fetch what the depots name but do not hold yet (download on demand)
        self.prepare: Callable[[set[str]], Awaitable[None]] | None = None
        # the owner's depot overrides: the payloads they offer (hosts can take no other), or None: vCenter's
        self.offered: Callable[[], Awaitable[set[str]]] | None = None
        # the result as the task shows it: a cluster's, or one host's (`host_view`)
        self.view: Callable[[dict[str, Any]], dict[str, Any]] = lambda result: result
        self.runs: dict[str, HostRun] = {}
        self.all_hosts: list[Host] = []  # every host of the cluster (apply marks the commit APPLIED)
        self.commit: Commit | None = None
        self.start_time = now()

    def result(self, final: bool) -> dict[str, Any]:
        runs = self.runs.values()
        result: dict[str, Any] = {
            "commit": str(self.commit.id if self.commit else ""),
            "host_info": {r.host.id: {"name": r.host.name} for r in runs},
            "host_status": {r.host.id: r.status_value() for r in runs},
            "successful_hosts": [r.host.id for r in runs if r.status == "OK"],
            "failed_hosts": [r.host.id for r in runs if r.status in ("ERROR", "TIMED_OUT")],
            "skipped_hosts": [r.host.id for r in runs if r.status == "SKIPPED"],
        }
        if final:
            failed = result["failed_hosts"]
            errors = [e for r in runs for e in r.errors]
            info = []
            if not failed:
                done = len(result["successful_hosts"])
                info.append(
                    notification(
                        "INFO",
                        f"{LIFECYCLE}.{self.VERB}Succeeded",
                        f"{self.VERB} completed: {done} host(s) {self.DONE}, {len(result['skipped_hosts'])} skipped.",
                    )
                )
            notes = notifications(info=info, errors=errors)
            result["status"] = {
                "status": "ERROR" if failed else "OK",
                "start_time": self.start_time,
                "end_time": now(),
                "notifications": notes,
            }
            if notes:
                result["notifications"] = notes
        return result

    def progress(self) -> tuple[int, int]:
        total = sum(r.progress.total for r in self.runs.values() if r.progress)
        done = sum(min(r.progress.completed, r.progress.total) for r in self.runs.values() if r.progress)
        return done, total

    async def __call__(self, ctx: TaskContext) -> dict[str, Any]:
        # the minimum commit rule: whatever is latest when the task starts
        self.commit = self.desired.latest_commit(self.cluster)
        assert self.commit is not None
        plans: list[StagePlan] = []
        images = self.desired.installed_many([h.id for h in self.hosts])
        offered, unreadable = await self._offered()
        for h in self.hosts:
            run = self.runs[h.id] = HostRun(h, now())
            installed = images[h.id]
            staged = self.agent.staged(h.id)
            wanted, needed, missing = missing_payloads(installed, self.target(h), staged, self.catalog)
            why = self.skip_reason(h, installed, missing)
            if why is not None:
                run.status, run.end_time = "SKIPPED", now()
                run.info.append(notification("INFO", f"{LIFECYCLE}.{self.VERB}Skipped", f"Host {h.name} is {why}."))
                continue
            lacking = [p for p in missing if offered is not None and p.sha256 not in offered]
            if unreadable or lacking:
                text = unreadable or (
                    f"Host {h.name} needs {len(lacking)} payload(s) that no depot override offers "
                    f"(first: {lacking[0].name}, {lacking[0].sha256[:12]})."
                )
                run.status, run.end_time = "ERROR", now()
                run.errors.append(notification("ERROR", f"{LIFECYCLE}.DepotOverrideLacks", text))
                continue
            run.progress = self.new_progress(missing)
            plans.append(StagePlan(h.id, h.name, wanted, missing, self.depot_url, needed))
        moving = {p.sha256 for plan in plans for p in plan.missing}
        ctx.set_live(lambda: self.view(self.result(final=False)))
        if self.prepare is not None and moving:
            ctx.progress(0, 1, "Fetching payloads from the online depots")
            await self.prepare(moving)
        ticker = asyncio.get_running_loop().create_task(self._tick(ctx))
        try:
            with self.pins.holding(moving):  # their depots stay until the hosts have them
                await asyncio.gather(*(self._stage_host(p) for p in plans))
        except asyncio.CancelledError:
            # every host's work has stopped (each waits for its own): their statuses end too
            self.interrupt(ctx.stop_reason())
            ctx.set_result(self.view(self.result(final=True)))
            raise
        finally:
            ticker.cancel()
        self.finish()
        result = self.result(final=True)
        shown = self.view(result)
        for hook in self.ended:
            hook(shown)
        done, total = self.progress()
        if total:
            ctx.progress(done, total, "Done")
        else:  # every host skipped: nothing to move, all done
            ctx.progress(1, 1, "Done")
        if result["failed_hosts"]:
            failed = [(h, self.runs[h].host.name) for h in result["failed_hosts"]]
            raise TaskFailed(run_failed(self.VERB, failed), shown)
        return shown

    async def _offered(self) -> tuple[set[str] | None, str | None]:
        """(the payloads the owner's depot overrides offer, None: it has none; why they cannot be read)."""
        if self.offered is None:
            return None, None
        try:
            return await self.offered(), None
        except DepotOverrideUnreadable as exc:
            return set(), str(exc)

    def new_progress(self, missing: list[Payload]) -> HostProgress:
        """A host's progress: the bytes it downloads, for a stage."""
        return HostProgress(total=sum(p.size for p in missing))

    def done_text(self, plan: StagePlan, progress: HostProgress) -> str:
        return f"Host {plan.host_name}: {len(plan.missing)} payload(s) downloaded ({progress.completed} bytes), staged."

    def skip_reason(self, host: Host, installed: SoftwareSpec, missing: list[Payload]) -> str | None:
        """Why the host has nothing to do, or None."""
        if host.connection_state != "CONNECTED":
            return None  # it fails, saying why
        if needs_nothing(installed, self.target(host), self.catalog):
            return "already compliant"
        return None if missing else "already staged"

    def target(self, host: Host) -> SoftwareSpec:
        """The image of the commit the host is to run (its alternative image, if one selects it)."""
        assert self.commit is not None
        return image_of(self.commit.spec, host)

    def finish(self) -> None:
        """When every host is done, before the result is final."""

    def activity(self) -> str:
        """The task's progress message: what the run does now."""
        return "Staging"

    def moved_bytes(self) -> int:
        """Payload bytes the hosts downloaded and kept in this run."""
        total = 0
        for run in self.runs.values():
            if run.status == "OK" and run.progress is not None:
                total += getattr(run.progress, "received", run.progress.completed)
        return total

    async def _tick(self, ctx: TaskContext) -> None:
        """The task's progress; its live result is built when read (`set_live`)."""
        while True:
            done, total = self.progress()
            ctx.progress(done, max(total, 1), self.activity())
            await asyncio.sleep(TICK)

    async def _stage_host(self, plan: StagePlan) -> None:
        run = self.runs[plan.host]
        assert run.progress is not None
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.host_timeout) as deadline:
                # the host's timeout counts from its turn to download, not from the task's start
                run.progress.on_turn = lambda: deadline.reschedule(loop.time() + self.host_timeout)
                await self._work(plan, run.progress)
            run.status = "OK"
            run.info.append(
                notification("INFO", f"{LIFECYCLE}.Host{self.DONE.capitalize()}", self.done_text(plan, run.progress))
            )
        except TimeoutError:
            run.status = "TIMED_OUT"
            run.errors.append(
                notification(
                    "ERROR",
                    f"{LIFECYCLE}.{self.VERB}TimedOut",
                    f"Host {plan.host_name} did not finish ({self.VERB.lower()}) within {self.host_timeout:g} seconds.",
                    resolution="Check the host's link to the depot, then stage again.",
                    retriable=True,
                )
            )
        except StageFailure as failure:
            run.status = "ERROR"
            run.errors.append(
                notification(
                    "ERROR", failure.msg_id, failure.message, resolution=failure.resolution, retriable=failure.retriable
                )
            )
        except Exception as exc:  # the host's own unexpected failure (a full disk, a folder in the way)
            log.warning("host %s failed to %s: %r", plan.host, self.VERB.lower(), exc)
            run.status = "ERROR"
            run.errors.append(host_failed(plan.host_name, self.VERB.lower(), exc))
        if run.status != "RUNNING":
            run.end_time = now()

    def interrupt(self, reason: str) -> None:
        """Hosts whose work was stopped before it ended are ERROR, saying why."""
        for run in self.runs.values():
            if run.status == "RUNNING":
                run.status, run.end_time = "ERROR", now()
                run.errors.append(host_interrupted(run.host.name, self.VERB.lower(), reason))

    async def _work(self, plan: StagePlan, progress: HostProgress) -> None:
        await self.agent.stage(plan, progress)


def host_view(host: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A standalone host's run as hosts.software answers it (its StageResult or
    ApplyResult): the host's own status and info instead of the per-host maps."""

    def view(result: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"commit": result["commit"], "host_info": result["host_info"].get(host, {"name": host})}
        status = result["host_status"].get(host)
        if status is not None:
            out["status"] = dict(status)  # a copy: a Frozen value keeps the encoding of the cluster's type
        if "notifications" in result:
            out["notifications"] = result["notifications"]
        return out

    return view


def interrupted_result(result: dict[str, Any], reason: str) -> dict[str, Any]:
    """A stored (clean JSON) stage or apply result of a task that a crash ended:
    hosts still running are ERROR, saying why."""
    if "host_status" not in result:  # a standalone host's: its own status
        status = result.get("status")
        if isinstance(status, dict) and status.get("status") in ("RUNNING", "RETRY_PENDING"):
            name = result.get("host_info", {}).get("name", "")
            status["status"] = "ERROR"
            status["end_time"] = format_datetime(now())
            note = encode(NOTIFICATION, host_interrupted(name, "finish", reason))
            status.setdefault("notifications", {}).setdefault("errors", []).append(note)
        return result
    stopped = []
    for host, status in result.get("host_status", {}).items():
        if status.get("status") in ("RUNNING", "RETRY_PENDING"):
            name = result.get("host_info", {}).get(host, {}).get("name", host)
            note = encode(NOTIFICATION, host_interrupted(name, "finish", reason))
            status["status"] = "ERROR"
            status["end_time"] = format_datetime(now())
            status.setdefault("notifications", {}).setdefault("errors", []).append(note)
            stopped.append(host)
    result["failed_hosts"] = [*result.get("failed_hosts", []), *stopped]
    return result


NOTIFICATION = {"kind": "struct", "id": "com.vmware.esx.settings.notification"}
