"""Online depots: the tree of an offline bundle (index.xml → vendor-index.xml →
metadata.zip → VIBs at their relative paths), read over http(s) or from a
folder instead of a zip. `depot.reader` reads both through a `DepotTree`.

A sync reads the metadata, then fetches only the VIBs that carry a payload the
payload store lacks: the store is content-addressed, so nothing is fetched
twice, and a payload appears there only complete and checked (a sync killed
midway leaves at most a temporary file, removed at the next start; the next
sync fetches what is still missing)."""

from __future__ import annotations

import http.client
import os
import posixpath
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import unquote, urljoin, urlparse

from vlcmsim.depot.ar import Readable
from vlcmsim.depot.download import DownloadError, Downloads, Verify, said
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
    """A file-like view of a file being fetched: counts what passes, paces it to a bandwidth,
    flips a byte when asked to (a corrupted transfer: the middle one of its first megabyte), and
    says in a BundleError what failed reading it — a transfer cut short included."""

    def __init__(
        self,
        src: Readable,
        what: str,
        size: int | None,
        moved: Callable[[int], None],
        faults: DepotFaults,
        corrupt: bool,
    ) -> None:
        self.src = src
        self.what = what  # "metadata.zip from http://..."
        self.size = size  # announced, when it was
        self.moved = moved
        self.faults = faults
        self.started = time.monotonic()
        self.total = 0
        self._head = b""  # read ahead to be corrupted
        if corrupt:
            head = bytearray(self._read(CHUNK))
            if head:
                head[len(head) // 2] ^= 0xFF
            self._head = bytes(head)

    def read(self, n: int = -1) -> bytes:
        if not self._head:
            return self._read(n)
        if n < 0:
            data, self._head = self._head + self._read(-1), b""
            return data
        data, self._head = self._head[:n], self._head[n:]
        return data + self._read(n - len(data)) if len(data) < n else data

    def _read(self, n: int) -> bytes:
        try:
            data = self.src.read() if n < 0 else self.src.read(n)
        except http.client.IncompleteRead as exc:
            got = self.total + len(exc.partial)
            raise self._cut(got, self.size or got + (exc.expected or 0)) from None
        except (OSError, http.client.HTTPException) as exc:
            raise BundleError(f"cannot read {self.what}: {said(exc)}") from None
        if not data and n and self.size is not None and self.total < self.size:
            raise self._cut(self.total, self.size)
        self.total += len(data)
        self.moved(len(data))
        self._pace()
        return data

    def _cut(self, got: int, size: int) -> BundleError:
        return BundleError(f"cannot read {self.what}: the transfer ended after {got} of {size} bytes")

    def _pace(self) -> None:
        rate = self.faults.bandwidth_bytes_per_s
        if rate:
            ahead = self.total / rate - (time.monotonic() - self.started)
            if ahead > 0:
                time.sleep(ahead)


class _StreamedTree:
    """What both online trees share: a file is streamed, counted, paced and corrupted as the
    depot's faults say; a small file is read whole."""

    faults: DepotFaults
    moved: Callable[[int], None]

    def _counted(self, name: str, src: Readable, what: str, size: int | None) -> _Counted:
        return _Counted(src, what, size, self.moved, self.faults, _corrupted(name, self.faults))

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
        verify: Verify = True,
        faults: DepotFaults = DepotFaults(),
        moved: Callable[[int], None] = lambda n: None,
        timeout: float = 60.0,
    ) -> None:
        self.base = base if base.endswith("/") else base + "/"
        self.downloads = Downloads(verify, timeout)
        self.faults = faults
        self.moved = moved

    def close(self) -> None:
        """Close the depot's connections — from another thread too: a read blocked on the one in
        use ends at once."""
        self.downloads.close()

    def _url(self, name: str) -> str:
        check_entry_name(name)
        return urljoin(self.base, name)

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        if self.faults.unreachable:
            raise BundleError(f"cannot reach {self.base}: connection refused (simulated)")
        try:
            download = self.downloads.get(self._url(name))
        except DownloadError as exc:
            raise BundleError(f"cannot read {name} from {self.base}: {exc}") from None
        try:
            response = download.response
            if response.status != 200:
                raise BundleError(f"{name}: HTTP {response.status} from {self.base}")
            encoding = response.getheader("content-encoding", "identity").lower()
            if encoding != "identity":
                raise BundleError(f"{name}: {self.base} sent it encoded ({encoding}), which was not asked for")
            yield self._counted(name, response, f"{name} from {self.base}", response.length)  # type: ignore[misc]
        finally:
            self.downloads.release(download)


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
        with open(path, "rb") as f:
            yield self._counted(name, f, name, os.fstat(f.fileno()).st_size)  # type: ignore[misc]


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
    verify: Verify = True,
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
