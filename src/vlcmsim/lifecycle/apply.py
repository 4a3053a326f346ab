"""Remediation (apply), as a real cluster goes through it: per host, enter
maintenance mode → stage what is missing → install → reboot (or quick boot)
→ exit maintenance mode → verify, one host at a time or up to the policy's
`max_hosts` at once. The failure policy decides what follows a host's failure:
RETRY waits `retry_delay` and remediates the host again, up to `retry_count`
times; FAIL stops starting new hosts (they end SKIPPED, saying why).
Progress is in percent per host; payloads already staged are not downloaded again."""

from __future__ import annotations

import asyncio
from typing import Any

from vlcmsim.depot.model import Payload
from vlcmsim.hosts.agent import HostProgress, PhasedProgress, StageFailure, StagePlan
from vlcmsim.ids import LIFECYCLE
from vlcmsim.inventory.model import Host
from vlcmsim.lifecycle.notifications import notification
from vlcmsim.lifecycle.policies import Effective
from vlcmsim.lifecycle.runs import HostRun, StageRun, needs_nothing
from vlcmsim.lifecycle.spec import SoftwareSpec
from vlcmsim.vapi.codec import now

DEFAULT_POLICY = Effective(
    retry=False,
    retry_delay=0,
    retry_count=0,
    parallel_hosts=1,
    quick_boot=False,
    power_off_vms=False,
    evacuate_offline_vms=False,
)


class ApplyRun(StageRun):
    VERB = "Apply"
    DONE = "remediated"

    def __init__(self, *, policy: Effective = DEFAULT_POLICY, time_scale: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.policy = policy
        self.time_scale = time_scale
        self.slots = asyncio.Semaphore(max(1, policy.parallel_hosts))
        self.failed_first: str | None = None  # the host whose failure stopped the run (FAIL policy)

    def new_progress(self, missing: list[Payload]) -> HostProgress:
        return PhasedProgress(total=100, stage_bytes=sum(p.size for p in missing), phase="Waiting for its turn")

    def activity(self) -> str:
        """What the hosts being remediated do now: "Rebooting esx-a1.vlcmsim.local", or a count of each."""
        doing: dict[str, list[str]] = {}
        for run in self.runs.values():
            phase = getattr(run.progress, "phase", None)
            if run.status in ("RUNNING", "RETRY_PENDING") and phase and phase != "Waiting for its turn":
                doing.setdefault(str(phase), []).append(run.host.name)
        if not doing:
            return "Remediating"
        parts = [f"{phase} {names[0]}" if len(names) == 1 else f"{phase} {len(names)} hosts" for phase, names in
                 sorted(doing.items())]  # fmt: skip
        return "; ".join(parts)

    def done_text(self, plan: StagePlan, progress: HostProgress) -> str:
        received = progress.received if isinstance(progress, PhasedProgress) else 0
        return f"Host {plan.host_name} runs the desired image: remediated ({received} bytes downloaded)."

    def skip_reason(self, host: Host, installed: SoftwareSpec, missing: list[Payload]) -> str | None:
        if host.connection_state == "CONNECTED" and needs_nothing(installed, self.target(host), self.catalog):
            return "already compliant"
        return None  # a fully staged host still has to install

    async def _stage_host(self, plan: StagePlan) -> None:
        async with self.slots:  # waiting for a turn does not count against the host's timeout
            run = self.runs[plan.host]
            if self.failed_first is not None:
                run.status, run.end_time = "SKIPPED", now()
                run.progress = None
                run.info.append(
                    notification(
                        "INFO",
                        f"{LIFECYCLE}.ApplyStopped",
                        f"Host {plan.host_name} was not remediated: host {self.failed_first} failed and the "
                        "failure action is FAIL.",
                    )
                )
                return
            run.start_time = now()
            await super()._stage_host(plan)
            if run.status in ("ERROR", "TIMED_OUT") and not self.policy.retry:
                self.failed_first = plan.host_name

    async def _work(self, plan: StagePlan, progress: HostProgress) -> None:
        assert isinstance(progress, PhasedProgress)
        run = self.runs[plan.host]
        tries = 1 + (self.policy.retry_count if self.policy.retry else 0)
        for attempt in range(1, tries + 1):
            try:
                await self._remediate(plan, progress)
                return
            except StageFailure as failure:
                if attempt == tries or not failure.retriable:
                    raise
                self._note_retry(run, plan, failure, attempt, tries)
                progress.status = "RETRY_PENDING"
                await asyncio.sleep(self.policy.retry_delay * self.time_scale)
                progress.status = "RUNNING"

    def _note_retry(self, run: HostRun, plan: StagePlan, failure: StageFailure, attempt: int, tries: int) -> None:
        run.info.append(
            notification(
                "INFO",
                f"{LIFECYCLE}.ApplyRetry",
                f"Host {plan.host_name}: {failure.message} Retrying in {self.policy.retry_delay:g} seconds "
                f"(try {attempt + 1} of {tries}).",
            )
        )

    async def _remediate(self, plan: StagePlan, progress: PhasedProgress) -> None:
        image = self.target(self.runs[plan.host].host)
        progress.at(5, "Entering maintenance mode")
        await self.agent.enter_maintenance_mode(plan, self.policy.power_off_vms)
        rebooted = False
        try:
            progress.at(progress.stage_from, "Staging")
            await self.agent.stage(plan, progress)
            progress.at(65, "Installing")
            await self.agent.install(plan)
            self.desired.set_installed(plan.host, image.copy())
            plan.missing = []  # installed: a retry of this host has nothing more to download
            progress.at(75, "Quick boot" if self.policy.quick_boot else "Rebooting")
            await self.agent.reboot(plan, self.policy.quick_boot)
            rebooted = True
        finally:
            if rebooted or progress.phase != "Rebooting":  # a host that did not come back cannot leave it
                progress.at(90, "Exiting maintenance mode")
                await self.agent.exit_maintenance_mode(plan)
        progress.at(95, "Verifying")
        installed = self.desired.installed(plan.host) or SoftwareSpec()
        if not needs_nothing(installed, image, self.catalog):
            raise StageFailure(
                f"{LIFECYCLE}.VerifyFailed",
                f"Host {plan.host_name} does not run the desired image after remediation.",
                retriable=True,
            )
        progress.at(100, "Remediated")

    def finish(self) -> None:
        """The commit is APPLIED once every host of the cluster runs it."""
        assert self.commit is not None
        if any(r.status in ("ERROR", "TIMED_OUT") for r in self.runs.values()):
            return
        everyone = self.all_hosts or [r.host for r in self.runs.values()]
        for host in everyone:
            installed = self.desired.installed(host.id) or SoftwareSpec()
            if not needs_nothing(installed, self.target(host), self.catalog):
                return
        self.desired.mark_applied(self.cluster, self.commit.id)
