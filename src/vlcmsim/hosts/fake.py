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


class FakeHosts:
    def __init__(self) -> None:
        self.hosts: defaultdict[str, FakeHost] = defaultdict(FakeHost)
        self.downloads: list[tuple[str, str]] = []  # (host, sha-256), in order

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
        h.installed_plans.append(plan)
        h.staged.clear()
