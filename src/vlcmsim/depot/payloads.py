"""The payload store: every VIB payload once, named by its sha-256, in the data
dir. Writes go to a temporary name and are renamed into place, so a reader
never sees half a payload."""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

_SHA = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


class BackgroundSha256:
    """sha-256 of the bytes given in order, the large pieces hashed on a helper thread: hashlib
    lets go of the GIL for them, so hashing overlaps the caller's reading and writing (a VIB is
    hashed twice — whole, and each payload — and a sync's reads and writes keep one core busy)."""

    LARGE = 1 << 16  # smaller pieces are hashed at once: a thread's hop costs more than they do
    IN_FLIGHT = 8  # pieces handed over and not hashed yet, at most (bounded memory)

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future[None]] = []

    def update(self, data: bytes) -> None:
        """`data` must not change afterwards (bytes, not a reused buffer)."""
        if len(data) < self.LARGE:
            self._wait()
            self._hash.update(data)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1)  # one worker: the pieces are hashed in order
        self._pending.append(self._pool.submit(self._hash.update, data))
        if len(self._pending) > self.IN_FLIGHT:
            self._pending.pop(0).result()

    def _wait(self) -> None:
        for f in self._pending:
            f.result()
        self._pending.clear()

    def hexdigest(self) -> str:
        self._wait()
        self.close()
        return self._hash.hexdigest()

    def close(self) -> None:
        """Let the helper thread go (what is still pending is hashed first)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


def payload_path(root: Path, sha256: str) -> Path:
    """Where the store under `root` keeps a payload (ValueError: not a sha-256)."""
    if not _SHA.match(sha256):
        raise ValueError(f"not a sha-256: {sha256!r}")
    return root / sha256[:2] / sha256


class PayloadStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)
        for leftover in self.tmp.iterdir():  # a previous run stopped mid-write
            leftover.unlink(missing_ok=True)

    def path(self, sha256: str) -> Path:
        return payload_path(self.root, sha256)

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
        self._hash = BackgroundSha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self._hash.update(data)
        self._file.write(data)
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
        self._hash.close()
        self._file.close()
        self.tmp_path.unlink(missing_ok=True)
