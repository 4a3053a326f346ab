"""Each simulated host's staging area: its own folder under the data dir, one
file per staged payload, named by sha-256. Files only ever appear there
complete (written under a temporary name, then renamed).

A file counts as staged only while its bytes match its name: a file this
process wrote or hashed is trusted while its size, inode and modification time
stay the same; any other is hashed again, and a file that went bad is removed
(the next stage downloads it again)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

_SHA = re.compile(r"^[0-9a-f]{64}$")
TMP_SUFFIX = ".part"


FileKey = tuple[int, int, int]  # size, inode, mtime_ns


class StagingAreas:
    def __init__(self, root: Path) -> None:
        self.root = root
        # (host, sha-256) -> the file's key when it was last checked; not Path keys: at 50,000 hosts
        # of 6 payloads a Path each costs ~110 MB, a tuple of two shared strings a sixth of that
        self._verified: dict[tuple[str, str], FileKey] = {}

    def folder(self, host: str) -> Path:
        return self.root / host / "staging"

    def staged(self, host: str) -> set[str]:
        """The sha-256 of every payload in the host's staging area whose bytes match it."""
        folder = self.folder(host)
        if not folder.is_dir():
            return set()
        return {p.name for p in folder.iterdir() if _SHA.match(p.name) and self._sound(p)}

    def remember(self, host: str, sha256: str) -> None:
        """A payload this process has just written and checked."""
        self._verified[(host, sha256)] = _key((self.folder(host) / sha256).stat())

    def verify(self, host: str, sha256: str) -> bool:
        """Hash the staged payload now, whatever is known of it; a bad one is removed."""
        path = self.folder(host) / sha256
        self._verified.pop((host, sha256), None)
        return path.is_file() and self._sound(path)

    def _sound(self, path: Path) -> bool:
        try:
            st = path.stat()
        except FileNotFoundError:
            return False
        known = (path.parent.parent.name, path.name)  # <root>/<host>/staging/<sha-256>
        if self._verified.get(known) == _key(st):
            return True
        h = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
        if h.hexdigest() == path.name:
            self._verified[known] = _key(st)
            return True
        path.unlink(missing_ok=True)
        self._verified.pop(known, None)
        return False

    def remove(self, host: str) -> None:
        """The host's folder and all it holds (the host left the inventory)."""
        shutil.rmtree(self.root / host, ignore_errors=True)
        self._verified = {k: v for k, v in self._verified.items() if k[0] != host}

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


def _key(st: os.stat_result) -> FileKey:
    return (st.st_size, st.st_ino, st.st_mtime_ns)
