"""Online depots: the tree of an offline bundle (index.xml → vendor-index.xml →
metadata.zip → VIBs at their relative paths), read over http(s) or from a
folder instead of a zip. `depot.reader` reads both through a `DepotTree`.

A sync reads the metadata, then fetches only the VIBs that carry a payload the
payload store lacks: the store is content-addressed, so nothing is fetched
twice, and a payload appears there only complete and checked (a sync killed
midway leaves at most a temporary file, removed at the next start; the next
sync fetches what is still missing)."""

from __future__ import annotations

import os
import posixpath
import queue
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import unquote, urljoin, urlparse

import httpx

from vlcmsim.depot.model import DepotContent, Vib
from vlcmsim.depot.payloads import CHUNK, PayloadStore
from vlcmsim.depot.reader import BundleError, DepotTree, Limits, check_entry_name, import_vib, merged, read_metadata

INDEX = "index.xml"


@dataclass(frozen=True)
class DepotFaults:
    """What the simulation makes an online depot do (`/sim/depots/{depot}`)."""

    unreachable: bool = False
    bandwidth_bytes_per_s: int = 0  # 0 = unlimited
    corrupt_metadata: bool = False  # metadata.zip arrives with a flipped byte
    corrupt_payloads: bool = False  # every VIB arrives with a flipped byte


def _corrupted(name: str, faults: DepotFaults) -> bool:
    """Whether the file arrives corrupted: a VIB, or the metadata archive."""
    return faults.corrupt_payloads if name.endswith(".vib") else faults.corrupt_metadata and name.endswith(".zip")


class _Counted:
    """A file-like view of a byte stream: counts what passes, paces it to a
    bandwidth, and flips a byte when asked to (a corrupted transfer). The
    stream is read ahead on a thread of its own (a few chunks at most), so
    receiving overlaps the reader's hashing and writing."""

    AHEAD = 8  # chunks read ahead

    def __init__(self, chunks: Iterator[bytes], moved: Callable[[int], None], faults: DepotFaults, corrupt: bool):
        self.moved = moved
        self.faults = faults
        self.corrupt = corrupt
        self.started = time.monotonic()
        self.total = 0
        self.pending: deque[memoryview] = deque()
        self.queue: queue.Queue[bytes | BaseException | None] = queue.Queue(self.AHEAD)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._pump, args=(chunks,), daemon=True)
        self.thread.start()
        self.ended = False

    def _pump(self, chunks: Iterator[bytes]) -> None:
        try:
            for chunk in chunks:
                if self.stop.is_set():
                    return
                self.queue.put(chunk)
            self.queue.put(None)
        except BaseException as exc:  # handed to the reader, raised there
            self.queue.put(exc)

    def _next(self) -> bool:
        if self.ended:
            return False
        item = self.queue.get()
        if item is None:
            self.ended = True
            return False
        if isinstance(item, BaseException):
            self.ended = True
            raise item
        chunk = item
        if self.corrupt and self.total == 0:  # one byte in the middle of the first chunk flipped
            at = len(chunk) // 2
            chunk = chunk[:at] + bytes([chunk[at] ^ 0xFF]) + chunk[at + 1 :]
        self.total += len(chunk)
        self.moved(len(chunk))
        self._pace()
        self.pending.append(memoryview(chunk))
        return True

    def read(self, n: int = -1) -> bytes:
        if n < 0:
            while self._next():
                pass
            out = b"".join(self.pending)
            self.pending.clear()
            return out
        while sum(len(p) for p in self.pending) < n and self._next():
            pass
        if len(self.pending) == 1 and len(self.pending[0]) <= n:
            return bytes(self.pending.popleft())
        parts: list[memoryview] = []
        want = n
        while want and self.pending:
            head = self.pending[0]
            if len(head) <= want:
                parts.append(self.pending.popleft())
                want -= len(head)
            else:
                parts.append(head[:want])
                self.pending[0] = head[want:]
                want = 0
        return b"".join(parts)

    def close(self) -> None:
        """Stop reading ahead (the reader is done or failed)."""
        self.stop.set()
        while self.thread.is_alive():
            try:
                self.queue.get(timeout=0.05)
            except queue.Empty:
                pass

    def _pace(self) -> None:
        rate = self.faults.bandwidth_bytes_per_s
        if rate:
            ahead = self.total / rate - (time.monotonic() - self.started)
            if ahead > 0:
                time.sleep(ahead)


class _StreamedTree:
    """What both online trees share: a file is a stream of chunks, counted,
    paced and corrupted as the depot's faults say; a small file is read whole."""

    faults: DepotFaults
    moved: Callable[[int], None]

    @contextmanager
    def _counted(self, name: str, chunks: Iterator[bytes]) -> Iterator[IO[bytes]]:
        counted = _Counted(chunks, self.moved, self.faults, _corrupted(name, self.faults))
        try:
            yield counted  # type: ignore[misc]
        finally:
            counted.close()

    def open(self, name: str) -> AbstractContextManager[IO[bytes]]:
        raise NotImplementedError

    def read_small(self, name: str, limit: int) -> bytes:
        with self.open(name) as f:
            data = f.read(limit + 1)
        if len(data) > limit:
            raise BundleError(f"{name} is larger than {limit} bytes")
        return data


class UrlTree(_StreamedTree):
    """An online depot over http(s): its files relative to `base` (the folder of its index)."""

    def __init__(
        self,
        base: str,
        verify: ssl.SSLContext | bool = True,
        faults: DepotFaults = DepotFaults(),
        moved: Callable[[int], None] = lambda n: None,
        timeout: float = 60.0,
    ) -> None:
        self.base = base if base.endswith("/") else base + "/"
        self.client = httpx.Client(verify=verify, timeout=timeout, follow_redirects=True, max_redirects=5)
        self.faults = faults
        self.moved = moved
        self._reading: socket.socket | None = None  # the connection a download reads now

    def close(self) -> None:
        """Close the depot's connections — from another thread too: a read blocked on the one in
        use ends at once (closing a socket alone does not wake a thread blocked on it)."""
        sock = self._reading
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.client.close()

    def _url(self, name: str) -> str:
        check_entry_name(name)
        return urljoin(self.base, name)

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        if self.faults.unreachable:
            raise BundleError(f"cannot reach {self.base}: connection refused (simulated)")
        try:
            with self.client.stream("GET", self._url(name)) as r:
                stream = r.extensions.get("network_stream")
                self._reading = stream.get_extra_info("socket") if stream is not None else None
                if r.status_code != 200:
                    raise BundleError(f"{name}: HTTP {r.status_code} from {self.base}")
                with self._counted(name, r.iter_bytes(CHUNK)) as counted:
                    yield counted
        except httpx.HTTPError as exc:
            raise BundleError(f"cannot read {name} from {self.base}: {exc or type(exc).__name__}") from None
        finally:
            self._reading = None


class DirTree(_StreamedTree):
    """An online depot in a folder of this machine (a file:// location, or a mirror)."""

    def __init__(self, root: Path, faults: DepotFaults = DepotFaults(), moved: Callable[[int], None] = lambda n: None):
        self.root = root
        self.faults = faults
        self.moved = moved

    def close(self) -> None:
        pass

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        check_entry_name(name)
        path = Path(os.path.realpath(self.root / name))
        if not path.is_relative_to(os.path.realpath(self.root)) or not path.is_file():
            raise BundleError(f"{name} is missing from the depot")
        with open(path, "rb") as f, self._counted(name, iter(lambda: f.read(CHUNK), b"")) as counted:
            yield counted


class _Indexed:
    """A tree whose index has another name (VMware's own: vmw-depot-index.xml)."""

    def __init__(self, tree: UrlTree | DirTree, index: str) -> None:
        self.tree = tree
        self.index = index

    def open(self, name: str) -> AbstractContextManager[IO[bytes]]:
        return self.tree.open(self.index if name == INDEX else name)

    def read_small(self, name: str, limit: int) -> bytes:
        return self.tree.read_small(self.index if name == INDEX else name, limit)


def split_location(location: str) -> tuple[str, str]:
    """(the depot's root, its index file) of an online depot's location: the URL
    of its index, or of the folder holding index.xml."""
    parsed = urlparse(location)
    path = parsed.path
    if path.endswith("/") or not posixpath.basename(path).endswith(".xml"):
        return location.rstrip("/") + "/", INDEX
    root = location[: len(location) - len(posixpath.basename(path))]
    return root, posixpath.basename(path)


def open_tree(
    location: str,
    allowed_dirs: list[Path],
    verify: ssl.SSLContext | bool = True,
    faults: DepotFaults = DepotFaults(),
    moved: Callable[[int], None] = lambda n: None,
) -> DepotTree:
    """The tree of the online depot at `location` (http(s)://, or file:// inside an allowed folder)."""
    root, index = split_location(location)
    scheme = urlparse(root).scheme.lower()
    tree: UrlTree | DirTree
    if scheme in ("http", "https"):
        tree = UrlTree(root, verify, faults, moved)
    elif scheme == "file":
        path = Path(os.path.realpath(unquote(urlparse(root).path)))
        if not any(path.is_relative_to(os.path.realpath(d)) for d in allowed_dirs):
            raise BundleError("file:// depots must be inside an allowed import directory (see docs/configuration.md)")
        tree = DirTree(path, faults, moved)
    else:
        raise BundleError(f"unsupported scheme {scheme or '(none)'}: use http, https or file")
    return tree if index == INDEX else _Indexed(tree, index)


def close_tree(tree: DepotTree) -> None:
    inner = tree.tree if isinstance(tree, _Indexed) else tree
    if isinstance(inner, UrlTree | DirTree):
        inner.close()


def read_depot(tree: DepotTree, limits: Limits = Limits()) -> DepotContent:
    """The metadata of every vendor of the depot, as one content."""
    return merged(read_metadata(tree, limits))


def vibs_lacking(content: DepotContent, store: PayloadStore, shas: set[str] | None = None) -> list[Vib]:
    """The VIBs carrying a payload the store lacks (of `shas` only, when given)."""
    return [
        v
        for v in content.vibs
        if any(not store.has(p.sha256) and (shas is None or p.sha256 in shas) for p in v.payloads)
    ]


def fetch_vibs(tree: DepotTree, vibs: list[Vib], store: PayloadStore) -> list[str]:
    """Fetch the VIBs and keep their payloads the store lacks; what was added.
    A VIB that fails stops the fetch (BundleError); what came before stays."""
    added: list[str] = []
    for vib in vibs:
        import_vib(tree, vib, store, added)
    return added
