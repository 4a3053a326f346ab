"""The simulated ESXi host: a staging area of limited capacity, a link of
limited bandwidth, a connection state, and scriptable corruption — the
connection state from the inventory, the rest from the simulation's knobs,
all changeable at run time through /sim/hosts."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

from vlcmsim.config import Settings
from vlcmsim.hosts.agent import HostProgress, StageFailure, StagePlan
from vlcmsim.hosts.download import Link
from vlcmsim.hosts.stager import Stager, install_failed
from vlcmsim.hosts.staging import StagingAreas
from vlcmsim.ids import LIFECYCLE
from vlcmsim.inventory.model import Host
from vlcmsim.inventory.store import Inventory
from vlcmsim.inventory.vms import MoveRefused, VirtualMachines
from vlcmsim.sim.knobs import RUN_MAX_AGE, SimKnobs
from vlcmsim.vapi.codec import now


class SimulatedHosts:
    """The HostAgent of every simulated host."""

    def __init__(
        self, settings: Settings, inventory: Inventory, knobs: SimKnobs, staging: StagingAreas, cert: Path | None
    ) -> None:
        self.settings = settings
        self.inventory = inventory
        self.knobs = knobs
        self.staging = staging
        self.vms: VirtualMachines | None = None  # set by the composition root: maintenance mode moves them
        ssl_context = ssl.create_default_context(cafile=str(cert)) if cert else None
        self.stager = Stager(
            staging,
            settings.max_concurrent_downloads,
            ssl_context,
            settings.stage_tries,
            settings.stage_retry_delay_seconds,
        )

    def staged(self, host: str) -> set[str]:
        return self.staging.staged(host)

    def _state(self, host: str) -> tuple[str, str]:
        h = self.inventory.host(host, RUN_MAX_AGE)  # per payload: a change is seen within half a second
        return (h.connection_state, h.name) if h else ("DISCONNECTED", host)

    def _check_connected(self, host: str) -> None:
        state, name = self._state(host)
        if state != "CONNECTED":
            words = state.lower().replace("_", " ")
            raise StageFailure(
                f"{LIFECYCLE}.HostNotConnected",
                f"Host {name} is {words}: its software cannot be staged.",
                "Reconnect the host and stage again.",
                retriable=True,
            )

    async def stage(self, plan: StagePlan, progress: HostProgress) -> None:
        self._check_connected(plan.host)

        def before_try() -> Link:
            self._check_connected(plan.host)
            return self._link(plan.host)

        capacity = self.knobs.get(plan.host, RUN_MAX_AGE).staging_capacity_bytes
        await self.stager.stage(plan, progress, capacity, before_try)

    # -- remediation's other phases --------------------------------------------

    async def _take(self, seconds: float) -> None:
        await asyncio.sleep(seconds * self.settings.sim_time_scale)

    async def enter_maintenance_mode(self, plan: StagePlan, power_off_vms: bool) -> None:
        self._check_connected(plan.host)
        knobs = self.knobs.get(plan.host)
        vms = knobs.vm_count
        host = self.inventory.host(plan.host)
        if host is not None and host.standalone and vms and not power_off_vms:
            raise StageFailure(
                f"{LIFECYCLE}.StandaloneMaintenanceModeFailed",
                f"Host {plan.host_name} could not enter maintenance mode: it is standalone and its {vms} VM(s) "
                "have no other host to move to.",
                "Set the host's apply policy (pre_remediation_power_action) to power off or suspend its VMs, "
                "or power them off, then remediate again.",
                retriable=False,
            )
        await self._take(
            self.settings.maintenance_mode_seconds
            + (0 if power_off_vms else vms) * self.settings.maintenance_mode_seconds_per_vm
        )
        if self.knobs.take(plan.host, "fail_maintenance_mode"):
            raise StageFailure(
                f"{LIFECYCLE}.MaintenanceModeFailed",
                f"Host {plan.host_name} could not enter maintenance mode: {vms} VM(s) could not be moved.",
                "Make room on the other hosts of the cluster, or power the VMs off, then remediate again.",
                retriable=True,
            )
        if self.vms is not None and host is not None:
            try:
                self.vms.evacuate(plan.host, self.evacuation_targets(host), "poweredOff" if power_off_vms else None)
            except MoveRefused as refused:
                raise StageFailure(
                    f"{LIFECYCLE}.MaintenanceModeFailed",
                    f"Host {plan.host_name} could not enter maintenance mode: {refused}.",
                    "Reconnect or take out of maintenance mode another host of the cluster, or power the VMs off, "
                    "then remediate again.",
                    retriable=True,
                ) from None
        self.inventory.update_host(plan.host, in_maintenance_mode=True)

    def evacuation_targets(self, host: Host) -> list[str]:
        """Where DRS may move a host's VMs: the other connected hosts of its cluster, out of maintenance mode."""
        if host.cluster is None:
            return []
        return [
            h.id
            for h in self.inventory.hosts(host.cluster)
            if h.id != host.id and h.connection_state == "CONNECTED" and not h.in_maintenance_mode
        ]

    async def install(self, plan: StagePlan) -> None:
        self._check_connected(plan.host)
        if self.knobs.take(plan.host, "fail_installs"):
            raise install_failed(plan.host_name)
        self.stager.install(plan)

    async def reboot(self, plan: StagePlan, quick_boot: bool) -> None:
        seconds = self.settings.quick_boot_seconds if quick_boot else self.settings.reboot_seconds
        self.knobs.set(plan.host, rebooting=1)  # first: the host's events say it shut down to reboot
        self.inventory.update_host(plan.host, connection_state="NOT_RESPONDING")
        await self._take(seconds)
        if self.knobs.take(plan.host, "hang_on_reboot"):
            await self._take(seconds * 2)  # as long as vCenter waits for it
            self.knobs.set(plan.host, rebooting=0)
            raise StageFailure(
                f"{LIFECYCLE}.RebootTimedOut",
                f"Host {plan.host_name} did not come back from its reboot.",
                "Check the host's console; reconnect it once it is up, then remediate again.",
                retriable=False,
            )
        self.inventory.update_host(plan.host, connection_state="CONNECTED", boot_time=now())
        self.knobs.set(plan.host, rebooting=0)

    def finish_interrupted_reboots(self) -> int:
        """At start: hosts whose reboot a stop interrupted came up meanwhile (the
        remediation that rebooted them would have taken them out of maintenance mode)."""
        rebooting = self.knobs.rebooting()
        for host in rebooting:
            self.inventory.update_host(host, connection_state="CONNECTED", in_maintenance_mode=False)
            self.knobs.set(host, rebooting=0)
        return len(rebooting)

    async def exit_maintenance_mode(self, plan: StagePlan) -> None:
        await self._take(self.settings.exit_maintenance_mode_seconds)
        self.inventory.update_host(plan.host, in_maintenance_mode=False)

    def _link(self, host: str) -> Link:
        corrupt = self.knobs.take_corrupt_download(host)
        return Link(
            bandwidth_bytes_per_s=self.knobs.get(host, RUN_MAX_AGE).bandwidth_bytes_per_s,
            corrupt=corrupt,
            connected=lambda: self._state(host)[0] == "CONNECTED",
        )
