"""An in-memory `HostAgent` for tests of the runs, as httpx has MockTransport:
no files, no HTTP, every behaviour scripted per host.

    hosts = FakeHosts()
    hosts["host-2"].failure = StageFailure("id", "Host esx-a2 is disconnected.")
    hosts["host-3"].hang = True                  # never finishes: the run's timeout ends it
    hosts["host-4"].retry_gate = asyncio.Event() # waits RETRY_PENDING until the test sets it
    await StageRun(..., agent=hosts, ...)(ctx)
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field

from vlcmsim.hosts.agent import HostProgress, StageFailure, StagePlan


@dataclass
class FakeHost:
    staged: set[str] = field(default_factory=set)
    installed_plans: list[StagePlan] = field(default_factory=list)
    failure: Exception | None = None  # raised by stage(): a StageFailure, or what a broken host raises
    install_failure: StageFailure | None = None  # raised by install()
    hang: bool = False
    retry_gate: asyncio.Event | None = None  # RETRY_PENDING until set
    install_failures: int = 0  # the next N installs fail (retriable)
    in_maintenance_mode: bool = False


class FakeHosts:
    def __init__(self) -> None:
        self.hosts: defaultdict[str, FakeHost] = defaultdict(FakeHost)
        self.downloads: list[tuple[str, str]] = []  # (host, sha-256), in order
        self.events: list[tuple[str, str]] = []  # (host, what happened), in order
        self.most_in_maintenance = 0  # how many hosts were in maintenance mode at once, at most

    def __getitem__(self, host: str) -> FakeHost:
        return self.hosts[host]

    def staged(self, host: str) -> set[str]:
        return set(self.hosts[host].staged)

    async def stage(self, plan: StagePlan, progress: HostProgress) -> None:
        h = self.hosts[plan.host]
        if h.failure is not None:
            raise h.failure
        if h.hang:
            await asyncio.Event().wait()
        if h.retry_gate is not None:
            progress.status = "RETRY_PENDING"
            await h.retry_gate.wait()
            progress.status = "RUNNING"
        wanted = {p.sha256 for p in plan.wanted}
        h.staged &= wanted  # newer payloads replace older staged ones
        for payload in plan.missing:
            await asyncio.sleep(0)
            self.downloads.append((plan.host, payload.sha256))
            h.staged.add(payload.sha256)
            progress.add(payload.size)

    async def install(self, plan: StagePlan) -> None:
        h = self.hosts[plan.host]
        if h.install_failure is not None:
            raise h.install_failure
        if h.install_failures > 0:
            h.install_failures -= 1
            self.events.append((plan.host, "install failed"))
            raise StageFailure("x.InstallFailed", f"Host {plan.host_name} could not install.", retriable=True)
        h.installed_plans.append(plan)
        h.staged.clear()
        self.events.append((plan.host, "installed"))

    async def enter_maintenance_mode(self, plan: StagePlan, power_off_vms: bool) -> None:
        await asyncio.sleep(0.01)
        self.hosts[plan.host].in_maintenance_mode = True
        self.events.append((plan.host, "entered maintenance mode"))
        now_in = sum(1 for h in self.hosts.values() if h.in_maintenance_mode)
        self.most_in_maintenance = max(self.most_in_maintenance, now_in)

    async def reboot(self, plan: StagePlan, quick_boot: bool) -> None:
        await asyncio.sleep(0.01)
        self.events.append((plan.host, "quick boot" if quick_boot else "rebooted"))

    async def exit_maintenance_mode(self, plan: StagePlan) -> None:
        self.hosts[plan.host].in_maintenance_mode = False
        self.events.append((plan.host, "exited maintenance mode"))
