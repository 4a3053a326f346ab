"""Each simulated host's staging area: its own folder under the data dir, one
file per staged payload, named by sha-256. Files only ever appear there
complete (written under a temporary name, then renamed)."""

from __future__ import annotations

import re
from pathlib import Path

_SHA = re.compile(r"^[0-9a-f]{64}$")
TMP_SUFFIX = ".part"


class StagingAreas:
    def __init__(self, root: Path) -> None:
        self.root = root

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
