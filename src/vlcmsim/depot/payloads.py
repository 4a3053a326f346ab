"""The payload store: every VIB payload once, named by its sha-256, in the data
dir. Writes go to a temporary name and are renamed into place, so a reader
never sees half a payload."""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from pathlib import Path

_SHA = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


class PayloadStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)
        for leftover in self.tmp.iterdir():  # a previous run stopped mid-write
            leftover.unlink(missing_ok=True)

    def path(self, sha256: str) -> Path:
        if not _SHA.match(sha256):
            raise ValueError(f"not a sha-256: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def writer(self) -> PayloadWriter:
        return PayloadWriter(self)

    def remove(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

    def remove_orphans(self, known: set[str]) -> int:
        """Remove the payload files no depot names (an import killed before its
        depot was recorded leaves them); returns how many."""
        removed = 0
        for folder in self.root.iterdir():
            if folder == self.tmp or not folder.is_dir():
                continue
            for path in folder.iterdir():
                if path.name not in known:
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed


class PayloadWriter:
    """Hashes bytes as they are written; `commit(expected)` checks them and
    moves them into the store, `abort()` drops them."""

    def __init__(self, store: PayloadStore) -> None:
        self.store = store
        self.tmp_path = store.tmp / f"{uuid.uuid4().hex}.part"
        self._file = open(self.tmp_path, "wb")
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self._file.write(data)
        self._hash.update(data)
        self.size += len(data)

    def commit(self, expected_sha256: str, expected_size: int | None = None) -> bool:
        """Returns False (and drops the bytes) when they do not match."""
        self._file.close()
        digest = self._hash.hexdigest()
        if digest != expected_sha256 or (expected_size is not None and expected_size != self.size):
            self.tmp_path.unlink(missing_ok=True)
            return False
        final = self.store.path(digest)
        final.parent.mkdir(exist_ok=True)
        os.replace(self.tmp_path, final)
        return True

    def abort(self) -> None:
        self._file.close()
        self.tmp_path.unlink(missing_ok=True)
