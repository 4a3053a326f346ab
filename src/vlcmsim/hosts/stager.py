"""What a host does to stage a plan, wherever the host runs (in the server,
`SimulatedHosts`; in a host agent process, `vlcmsim.hosts.agent_process`): make
room in its staging area, then take its turn to download and fetch its payloads
back to back, each verified, with retries; and, to install, check byte by byte
what it staged."""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from vlcmsim.depot.model import Payload
from vlcmsim.hosts.agent import HostProgress, StageFailure, StagePlan
from vlcmsim.hosts.disk import WRITERS, DiskWriter
from vlcmsim.hosts.download import (
    SMALL,
    AsyncDepotConnection,
    Cancelled,
    DepotConnection,
    Disconnected,
    DownloadError,
    Link,
    download,
    download_small,
)
from vlcmsim.hosts.staging import StagingAreas
from vlcmsim.ids import LIFECYCLE

# called before each try of a download: raises StageFailure when the host cannot
# download now (disconnected), else gives the link the try goes over
BeforeTry = Callable[[], Link]


class Stager:
    def __init__(
        self,
        staging: StagingAreas,
        max_downloads: int,
        ssl_context: ssl.SSLContext | None,
        tries: int,
        retry_delay: float,
        writers: int = WRITERS,
    ) -> None:
        self.staging = staging
        self.downloads = asyncio.Semaphore(max_downloads)
        # one thread per allowed download: the cap, not the default executor's size, bounds them
        self._threads = ThreadPoolExecutor(max_downloads, thread_name_prefix="host-download")
        self.ssl_context = ssl_context
        self.tries = tries
        self.retry_delay = retry_delay
        self.disk = DiskWriter(writers)

    async def close(self) -> None:
        await self.disk.stop()

    async def stage(self, plan: StagePlan, progress: HostProgress, capacity: int, before_try: BeforeTry) -> None:
        folder = self.staging.folder(plan.host)  # made by the host's first download, off the loop
        wanted = {p.sha256 for p in plan.wanted}
        for old in self.staging.staged(plan.host) - wanted:  # newer payloads replace older staged ones
            (folder / old).unlink(missing_ok=True)
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
                    await self._fetch(plan, payload, progress, folder, cancel, connection, small, before_try)
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
        before_try: BeforeTry,
    ) -> None:
        tries = self.tries
        for attempt in range(1, tries + 1):
            link = before_try()
            before = progress.completed
            try:
                progress.status = "RUNNING"
                if payload.size <= SMALL:
                    url = plan.depot_url + payload.sha256
                    await download_small(
                        url, payload.sha256, payload.size, folder, link, progress.add, small, self.disk
                    )
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
            except Disconnected:
                progress.completed = before
                raise StageFailure(
                    f"{LIFECYCLE}.HostNotConnected",
                    f"Host {plan.host_name} was disconnected while it downloaded payload {payload.name}: "
                    "its software could not be staged.",
                    "Reconnect the host and stage again.",
                    retriable=True,
                ) from None
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

    def install(self, plan: StagePlan) -> None:
        """Check, byte by byte, every payload the install needs, then empty the
        staging area (a simulated host installs at once)."""
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
        for sha in self.staging.staged(plan.host):
            (folder / sha).unlink(missing_ok=True)


def install_failed(host_name: str) -> StageFailure:
    """The `fail_installs` fault."""
    return StageFailure(
        f"{LIFECYCLE}.InstallFailed",
        f"Host {host_name} could not install the image: the installer reported an error.",
        "Remediate again.",
        retriable=True,
    )
