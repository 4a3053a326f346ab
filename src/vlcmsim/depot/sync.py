"""Syncing online depots (and UMDS) into this server: their metadata into the
depot's content, their payloads into the payload store — and fetching on
demand the payloads a stage needs that no sync has brought yet."""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
from collections.abc import Callable
from pathlib import Path

from vlcmsim.depot.model import DepotContent, Vib
from vlcmsim.depot.online import DepotFaults, close_tree, fetch_vibs, open_tree, read_depot, vibs_lacking
from vlcmsim.depot.payloads import PayloadStore
from vlcmsim.depot.reader import BundleError, DepotTree
from vlcmsim.depot.repository import Depot, Depots

log = logging.getLogger(__name__)


class Abort:
    """The trees a sync has open, closed from the loop when its task is canceled: a download
    blocked in a thread ends at once (its connection closed), not when the remote end gives up."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._trees: list[DepotTree] = []
        self.aborted = False

    def opened(self, tree: DepotTree) -> None:
        with self._lock:
            if not self.aborted:
                self._trees.append(tree)
                return
        close_tree(tree)
        raise BundleError("the sync was canceled")

    def abort(self) -> None:
        with self._lock:
            self.aborted = True
            trees, self._trees = self._trees, []
        for tree in trees:
            try:
                close_tree(tree)
            except Exception:  # closing what another thread reads may fail there: it stops either way
                log.debug("closing a canceled sync's depot", exc_info=True)


class Syncer:
    def __init__(
        self,
        depots: Depots,
        payloads: PayloadStore,
        allowed_dirs: list[Path],
        verify: Callable[[], ssl.SSLContext | bool] = lambda: True,
        faults: Callable[[str], DepotFaults] = lambda depot: DepotFaults(),
    ) -> None:
        self.depots = depots
        self.payloads = payloads
        self.allowed_dirs = allowed_dirs
        self.verify = verify
        self.faults = faults
        self._on_demand = asyncio.Lock()  # one on-demand fetch at a time: no VIB fetched twice at once

    def online(self) -> list[Depot]:
        """The enabled online depots and UMDS: what a sync reads."""
        return [d for d in self.depots.list() if d.online and d.enabled]

    def read_metadata(self, depot: Depot, abort: Abort | None = None) -> DepotContent:
        """Read the depot's metadata and keep it as its content (blocking: run it in a thread)."""
        assert depot.location is not None
        tree = open_tree(depot.location, self.allowed_dirs, self.verify, self.faults(depot.id))
        if abort is not None:
            abort.opened(tree)
        try:
            content = read_depot(tree)
        finally:
            close_tree(tree)
        self.depots.set_content(depot.id, content)
        return content

    def fetch(
        self, depot: Depot, vibs: list[Vib], moved: Callable[[int], None], abort: Abort | None = None
    ) -> list[str]:
        """Fetch the VIBs from the depot; the payloads added (blocking)."""
        assert depot.location is not None
        tree = open_tree(depot.location, self.allowed_dirs, self.verify, self.faults(depot.id), moved)
        if abort is not None:
            abort.opened(tree)
        try:
            return fetch_vibs(tree, vibs, self.payloads)
        finally:
            close_tree(tree)

    def lacking(self, depot: Depot, shas: set[str] | None = None) -> list[Vib]:
        return vibs_lacking(depot.content, self.payloads, shas)

    def can_fetch(self, sha256: str) -> bool:
        """Whether an online depot's metadata names the payload (synced or not)."""
        return any(p.sha256 == sha256 for d in self.online() for v in d.content.vibs for p in v.payloads)

    async def ensure(self, shas: set[str]) -> None:
        """Fetch the payloads of `shas` the store lacks from the online depots that
        name them ("download on demand"); one that cannot be fetched stays missing
        (the host that needs it fails, saying so)."""
        if all(self.payloads.has(s) for s in shas):
            return
        async with self._on_demand:
            for depot in self.online():
                vibs = self.lacking(depot, shas)
                if not vibs:
                    continue
                try:
                    await asyncio.to_thread(self.fetch, depot, vibs, lambda n: None)
                except BundleError as exc:
                    log.warning("on-demand fetch from %s failed: %s", depot.id, exc)
