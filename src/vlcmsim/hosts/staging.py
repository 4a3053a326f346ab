"""Each simulated host's staging area: its own folder under the data dir, one
file per staged payload, named by sha-256. Files only ever appear there
complete (written under a temporary name, then renamed)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from vlcmsim.depot.repository import Depots
from vlcmsim.lifecycle.desired import Commit, DesiredStates
from vlcmsim.lifecycle.spec import SoftwareSpec, payloads_of

_SHA = re.compile(r"^[0-9a-f]{64}$")
TMP_SUFFIX = ".part"


class StagingAreas:
    def __init__(self, root: Path, depots: Depots, desired: DesiredStates) -> None:
        self.root = root
        self.depots = depots
        self.desired = desired
        root.mkdir(parents=True, exist_ok=True)

    def folder(self, host: str) -> Path:
        return self.root / host / "staging"

    def staged(self, host: str) -> set[str]:
        """The sha-256 of every complete payload in the host's staging area."""
        folder = self.folder(host)
        if not folder.is_dir():
            return set()
        return {p.name for p in folder.iterdir() if _SHA.match(p.name)}

    def used_bytes(self, host: str) -> int:
        folder = self.folder(host)
        return sum(p.stat().st_size for p in folder.iterdir()) if folder.is_dir() else 0

    def discard_partial(self) -> int:
        """Temporary files left by a stop in the middle of a download."""
        n = 0
        for part in self.root.glob(f"*/staging/*{TMP_SUFFIX}"):
            part.unlink(missing_ok=True)
            n += 1
        return n

    def staged_check(self, host: str, commit: Commit) -> Callable[[], bool]:
        def check() -> bool:
            """Staged: every payload of the image that is not installed already is staged."""
            catalog = self.depots.catalog()
            installed = self.desired.installed(host) or SoftwareSpec()
            needed = {p.sha256 for p in payloads_of(commit.spec, catalog)}
            needed -= {p.sha256 for p in payloads_of(installed, catalog)}
            return needed <= self.staged(host)

        return check
