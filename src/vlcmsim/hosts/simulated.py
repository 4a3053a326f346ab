"""The simulated ESXi host: a staging area of limited capacity, a link of
limited bandwidth, a connection state, and scriptable corruption — the
connection state from the inventory, the rest from the simulation's knobs,
all changeable at run time through /sim/hosts."""

from __future__ import annotations

import asyncio
import ssl
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from vlcmsim.config import Settings
from vlcmsim.depot.model import Payload
from vlcmsim.hosts.agent import HostProgress, StageFailure, StagePlan
from vlcmsim.hosts.download import (
    SMALL,
    AsyncDepotConnection,
    Cancelled,
    DepotConnection,
    DownloadError,
    Link,
    download,
    download_small,
)
from vlcmsim.hosts.staging import StagingAreas
from vlcmsim.ids import LIFECYCLE
from vlcmsim.inventory.store import Inventory
from vlcmsim.sim.knobs import SimKnobs


class SimulatedHosts:
    """The HostAgent of every simulated host."""

    def __init__(
        self, settings: Settings, inventory: Inventory, knobs: SimKnobs, staging: StagingAreas, cert: Path | None
    ) -> None:
        self.settings = settings
        self.inventory = inventory
        self.knobs = knobs
        self.staging = staging
        self.downloads = asyncio.Semaphore(settings.max_concurrent_downloads)
        # one thread per allowed download: the cap, not the default executor's size, bounds them
        self._threads = ThreadPoolExecutor(settings.max_concurrent_downloads, thread_name_prefix="host-download")
        self.ssl_context = ssl.create_default_context(cafile=str(cert)) if cert else None
        self.retry_delay = settings.stage_retry_delay_seconds

    def staged(self, host: str) -> set[str]:
        return self.staging.staged(host)

    def _state(self, host: str) -> tuple[str, str]:
        h = self.inventory.host(host)
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
        folder = self.staging.folder(plan.host)
        folder.mkdir(parents=True, exist_ok=True)
        wanted = {p.sha256 for p in plan.wanted}
        for old in self.staged(plan.host) - wanted:  # newer payloads replace older staged ones
            (folder / old).unlink(missing_ok=True)
        capacity = self.knobs.get(plan.host).staging_capacity_bytes
        needed = sum(p.size for p in plan.missing)
        free = capacity - self.staging.used_bytes(plan.host)
        if needed > free:
            raise StageFailure(
                f"{LIFECYCLE}.StagingSpaceInsufficient",
                f"The staging area of host {plan.host_name} is too small: staging needs {needed} bytes, "
                f"{max(free, 0)} bytes are free of {capacity}.",
                "Free space in the host's staging area or give it a larger one.",
            )
        cancel = threading.Event()
        # one turn per host: it fetches its payloads back to back, so hosts end in
        # waves instead of all advancing together (and timing out together)
        connection = DepotConnection(self.ssl_context)
        small = AsyncDepotConnection(self.ssl_context)
        async with self.downloads:
            progress.turn()
            try:
                for payload in plan.missing:
                    await self._fetch(plan, payload, progress, folder, cancel, connection, small)
                    self.staging.remember(plan.host, payload.sha256)
            finally:
                connection.close()
                small.close()

    async def _fetch(
        self,
        plan: StagePlan,
        payload: Payload,
        progress: HostProgress,
        folder: Path,
        cancel: threading.Event,
        connection: DepotConnection,
        small: AsyncDepotConnection,
    ) -> None:
        tries = self.settings.stage_tries
        for attempt in range(1, tries + 1):
            self._check_connected(plan.host)
            link = self._link(plan.host)
            before = progress.completed
            try:
                progress.status = "RUNNING"
                if payload.size <= SMALL:
                    url = plan.depot_url + payload.sha256
                    await download_small(url, payload.sha256, payload.size, folder, link, progress.add, small)
                    return
                done = asyncio.get_running_loop().run_in_executor(
                    self._threads,
                    download,
                    plan.depot_url + payload.sha256,
                    payload.sha256,
                    payload.size,
                    folder,
                    link,
                    self.ssl_context,
                    cancel,
                    progress.add,
                    connection,
                )
                try:
                    await asyncio.shield(done)
                except asyncio.CancelledError:
                    # stopped (canceled, timed out, server stopping): the thread ends at its next
                    # chunk and removes its partial file; the host's work is over only then
                    cancel.set()
                    await asyncio.wait([done])
                    if not done.cancelled():
                        done.exception()  # how it ended is expected here: retrieved, not logged
                    raise
                return
            except Cancelled:
                raise asyncio.CancelledError() from None
            except DownloadError as exc:
                progress.completed = before  # the bytes of a failed try do not count
                if not exc.retriable or attempt == tries:
                    raise StageFailure(
                        f"{LIFECYCLE}.PayloadDownloadFailed",
                        f"Host {plan.host_name} could not stage payload {payload.name} ({payload.sha256[:12]}): "
                        f"{exc} (try {attempt} of {tries}).",
                        "Check the depot and the host's network, then stage again.",
                        retriable=exc.retriable,
                    ) from None
                progress.status = "RETRY_PENDING"
                await asyncio.sleep(self.retry_delay * 2 ** (attempt - 1))

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
        self.inventory.update_host(plan.host, in_maintenance_mode=True)

    async def install(self, plan: StagePlan) -> None:
        """A simulated host installs at once: what remains is to check, byte by
        byte, every payload it needs, then empty the staging area."""
        self._check_connected(plan.host)
        if self.knobs.take(plan.host, "fail_installs"):
            raise StageFailure(
                f"{LIFECYCLE}.InstallFailed",
                f"Host {plan.host_name} could not install the image: the installer reported an error.",
                "Remediate again.",
                retriable=True,
            )
        lacking = [p for p in plan.needed if not self.staging.verify(plan.host, p.sha256)]
        if lacking:
            raise StageFailure(
                f"{LIFECYCLE}.PayloadsMissing",
                f"Host {plan.host_name} lacks {len(lacking)} sound staged payload(s) to install "
                f"({', '.join(p.name for p in lacking)}): missing or corrupted, removed.",
                "Stage the cluster again.",
                retriable=True,
            )
        folder = self.staging.folder(plan.host)
        for sha in self.staged(plan.host):
            (folder / sha).unlink(missing_ok=True)

    async def reboot(self, plan: StagePlan, quick_boot: bool) -> None:
        seconds = self.settings.quick_boot_seconds if quick_boot else self.settings.reboot_seconds
        self.inventory.update_host(plan.host, connection_state="NOT_RESPONDING")
        self.knobs.set(plan.host, rebooting=1)
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
        self.inventory.update_host(plan.host, connection_state="CONNECTED")
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
        return Link(bandwidth_bytes_per_s=self.knobs.get(host).bandwidth_bytes_per_s, corrupt=corrupt)
