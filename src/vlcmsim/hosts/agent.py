"""What the stage logic asks of a host, behind an interface: today the hosts
are simulated in this process; the same calls could go over the network to
hosts that run as processes of their own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from vlcmsim.depot.model import Payload


@dataclass
class StagePlan:
    host: str
    host_name: str
    wanted: list[Payload]  # every payload of the desired image
    missing: list[Payload]  # what the host must download
    depot_url: str  # payloads are at <depot_url><sha256>
    needed: list[Payload] = field(default_factory=list)  # what an install needs staged: wanted, not installed


@dataclass
class HostProgress:
    """Written by the host as it goes; read by the task for its live result."""

    total: int
    completed: int = 0
    status: str = "RUNNING"  # RUNNING | RETRY_PENDING
    phase: str | None = None  # what the host does now, for the progress message (apply's phases)
    # called when the host's turn to download comes (its timeout counts from then)
    on_turn: Callable[[], object] | None = field(default=None, repr=False)

    def add(self, n: int) -> None:
        self.completed += n

    def turn(self) -> None:
        if self.on_turn is not None:
            self.on_turn()


@dataclass
class PhasedProgress(HostProgress):
    """A remediation's progress in percent, the download of its payloads
    filling the part from `stage_from` to `stage_to`."""

    stage_bytes: int = 0
    stage_from: int = 10
    stage_to: int = 60
    received: int = 0  # bytes downloaded

    def add(self, n: int) -> None:
        self.received += n
        share = self.received / self.stage_bytes if self.stage_bytes else 1.0
        self.completed = self.stage_from + int((self.stage_to - self.stage_from) * min(share, 1.0))

    def at(self, percent: int, phase: str) -> None:
        self.completed, self.phase = percent, phase


class StageFailure(Exception):
    """The host could not stage; the message says why, for its notification."""

    def __init__(self, msg_id: str, message: str, resolution: str | None = None, retriable: bool = False) -> None:
        super().__init__(message)
        self.msg_id = msg_id
        self.message = message
        self.resolution = resolution
        self.retriable = retriable


class HostAgent(Protocol):
    """What the stage and apply runs ask of hosts (`SimulatedHosts` in this
    process; `FakeHosts` in unit tests):

        progress = HostProgress(total=sum(p.size for p in plan.missing))
        await agent.stage(plan, progress)   # progress.completed grows as bytes arrive
        await agent.install(plan)           # remediation, once staged (between maintenance mode and reboot)
    """

    def staged(self, host: str) -> set[str]:
        """sha-256 of the payloads complete in the host's staging area."""
        ...

    async def stage(self, plan: StagePlan, progress: HostProgress) -> None:
        """Download what the plan says into the staging area, or raise StageFailure."""
        ...

    async def install(self, plan: StagePlan) -> None:
        """Install the staged image (remediation) and clear the staging area, or raise StageFailure."""
        ...

    async def enter_maintenance_mode(self, plan: StagePlan, power_off_vms: bool) -> None:
        """Move the host's VMs away (or power them off) and enter maintenance mode, or raise StageFailure."""
        ...

    async def reboot(self, plan: StagePlan, quick_boot: bool) -> None:
        """Reboot into the installed image (not responding meanwhile), or raise StageFailure."""
        ...

    async def exit_maintenance_mode(self, plan: StagePlan) -> None:
        """Leave maintenance mode (VMs may come back)."""
        ...
