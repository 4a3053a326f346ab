"""Reads a depot into the payload store: an offline bundle (a depot zip) or
an online depot (the same tree of files over http(s) or in a folder: see
`vlcmsim.depot.online`) — one reader for both, through a `DepotTree`.

Every VIB is streamed once: its bytes are hashed against the metadata's
sha-256, its `ar` members are parsed on the fly and each payload is hashed
against its descriptor while it is written to the store. Anything wrong ends
the import with a `BundleError` that says what, and the payloads this import
added are removed again: a refused bundle leaves nothing behind."""

from __future__ import annotations

import io
import posixpath
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from vlcmsim.depot import metadata as md
from vlcmsim.depot.ar import ArError, ArReader
from vlcmsim.depot.model import Component, DepotContent, Vib
from vlcmsim.depot.payloads import CHUNK, BackgroundSha256, PayloadStore


class BundleError(ValueError):
    """The bundle is refused; the message says why."""


@dataclass(frozen=True)
class Limits:
    max_total_bytes: int = 64 * 1024**3  # what all entries may expand to
    max_ratio: int = 200  # expansion ratio of one compressed entry (zip bombs)
    max_metadata_bytes: int = 64 * 1024**2
    max_entries: int = 100_000
    max_elements: int = 2_000_000  # XML elements of all metadata documents together


def check_entry_name(name: str) -> None:
    """Refuse names that would land outside the bundle's folder."""
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or "\\" in name:
        raise BundleError(f"entry {name!r} has an absolute or Windows path")
    if ".." in posixpath.normpath(name).split("/") or ".." in name.split("/"):
        raise BundleError(f"entry {name!r} would be written outside the depot folder")


def _check_archive(zf: zipfile.ZipFile, what: str, limits: Limits) -> None:
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise BundleError(f"{what} has {len(infos)} entries, more than {limits.max_entries}")
    total = 0
    for info in infos:
        check_entry_name(info.filename)
        total += info.file_size
        if (
            info.compress_type != zipfile.ZIP_STORED
            and info.file_size > 1 << 16
            and info.file_size > limits.max_ratio * max(info.compress_size, 1)
        ):
            raise BundleError(
                f"{what}: entry {info.filename!r} would expand {info.file_size // max(info.compress_size, 1)} times "
                f"(more than {limits.max_ratio}): refused as a zip bomb"
            )
    if total > limits.max_total_bytes:
        raise BundleError(f"{what} would expand to {total} bytes, more than the bound of {limits.max_total_bytes}")


def _read_small(zf: zipfile.ZipFile, name: str, limit: int) -> bytes:
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise BundleError(f"missing {name}") from None
    if info.file_size > limit:
        raise BundleError(f"{name} is {info.file_size} bytes, more than {limit}")
    with zf.open(info) as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise BundleError(f"{name} expands past {limit} bytes")
    return data


class DepotTree(Protocol):
    """The files of a depot by their path from its root (where index.xml is)."""

    def read_small(self, name: str, limit: int) -> bytes:
        """The whole file, refused past `limit` bytes (BundleError)."""
        ...

    def open(self, name: str) -> AbstractContextManager[IO[bytes]]:
        """The file to stream (BundleError when it is not there)."""
        ...


class ZipTree:
    """An offline bundle: the depot's tree in a zip archive."""

    def __init__(self, zf: zipfile.ZipFile, limits: Limits) -> None:
        _check_archive(zf, "the bundle", limits)
        self.zf = zf

    def read_small(self, name: str, limit: int) -> bytes:
        return _read_small(self.zf, name, limit)

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        try:
            info = self.zf.getinfo(name)
        except KeyError:
            raise BundleError(f"{name} is missing from the bundle") from None
        with self.zf.open(info) as raw:
            # callers check the file's sha-256; zipfile's CRC-32 over the same bytes would only cost time
            raw._expected_crc = None  # type: ignore[attr-defined]
            yield raw


def read_metadata(tree: DepotTree, limits: Limits) -> list[DepotContent]:
    """The content of every vendor the depot's index lists."""
    try:
        vendors = md.parse_index(tree.read_small("index.xml", limits.max_metadata_bytes))
    except md.MetadataError as exc:
        raise BundleError(str(exc)) from None
    return [_read_vendor(tree, vendor, limits) for vendor in vendors]


def _read_vendor(tree: DepotTree, vendor: tuple[str, str, str], limits: Limits) -> DepotContent:
    try:
        vendor_name, rel, indexfile = vendor
        base = rel.strip("/")
        vendor_index = posixpath.join(base, indexfile) if base else indexfile
        check_entry_name(vendor_index)
        urls = md.parse_vendor_index(tree.read_small(vendor_index, limits.max_metadata_bytes))
        meta_name = posixpath.join(posixpath.dirname(vendor_index), urls[0]) if "/" in vendor_index else urls[0]
        check_entry_name(meta_name)
        meta_bytes = tree.read_small(meta_name, limits.max_metadata_bytes)
    except md.MetadataError as exc:
        raise BundleError(str(exc)) from None
    try:
        mz = zipfile.ZipFile(io.BytesIO(meta_bytes))
    except zipfile.BadZipFile:
        raise BundleError(f"{meta_name} is not a zip archive") from None
    try:
        with mz:
            _check_archive(mz, meta_name, Limits(max_total_bytes=limits.max_metadata_bytes * 4))
            content = _parse_metadata(mz, vendor_name, limits)
    except BundleError:
        raise
    except _DAMAGE as exc:
        raise BundleError(f"{meta_name} is damaged ({_brief(exc)})") from None
    if base:  # VIB paths are relative to the vendor's folder
        for v in content.vibs:
            v.relative_path = posixpath.join(base, v.relative_path)
            check_entry_name(v.relative_path)
    return content


def merged(contents: list[DepotContent]) -> DepotContent:
    """The content of a depot's vendors as one (the first vendor names it)."""
    if len(contents) == 1:
        return contents[0]
    out = DepotContent(vendor=contents[0].vendor)
    vibs: dict[str, Vib] = {}
    for c in contents:
        for v in c.vibs:
            vibs.setdefault(v.id, v)
        out.components.extend(c.components)
        out.base_images.extend(c.base_images)
        out.add_ons.extend(c.add_ons)
    out.vibs = list(vibs.values())
    return out


# the documents of metadata.zip that the format uses; any other entry is ignored unread
_DOCUMENTS = ("vmware.xml", "bulletins/", "vibs/", "baseimages/", "addons/")


def _parse_metadata(mz: zipfile.ZipFile, vendor: str, limits: Limits) -> DepotContent:
    content = DepotContent(vendor=vendor)
    names = [n for n in mz.namelist() if n.endswith(".xml") and n.startswith(_DOCUMENTS)]
    if "vmware.xml" not in names and not any(n.startswith("bulletins/") for n in names):
        raise BundleError("metadata.zip has neither vmware.xml nor bulletins/")
    vibs: dict[str, Vib] = {}
    components: dict[tuple[str, str], Component] = {}
    elements = 0
    try:
        for name in names:  # one document at a time: its tree is dropped before the next is parsed
            data = _read_small(mz, name, limits.max_metadata_bytes)
            elements += data.count(b"<")
            if elements > limits.max_elements:
                raise BundleError(f"metadata.zip has more than {limits.max_elements} XML elements")
            _take_document(md.parse(data, name), name, vibs, components, content)
    except md.MetadataError as exc:
        raise BundleError(str(exc)) from None
    content.vibs = list(vibs.values())
    content.components = list(components.values())
    for c in content.components:
        for vib_id in c.vib_ids:
            if vib_id not in vibs:
                raise BundleError(f"component {c.name} {c.version} names VIB {vib_id}, which the metadata lacks")
    for v in content.vibs:
        if not v.relative_path:
            raise BundleError(f"VIB {v.id} has no relative-path in the metadata")
        if not v.sha256:
            raise BundleError(f"VIB {v.id} has no sha-256 checksum in the metadata")
        check_entry_name(v.relative_path)
    return content


def _take_document(
    root: md.Element,
    name: str,
    vibs: dict[str, Vib],
    components: dict[tuple[str, str], Component],
    content: DepotContent,
) -> None:
    bulletins: list[md.Element] = []
    if root.tag == "vib":
        _keep_vib(vibs, md.parse_vib(root, name))
    elif root.tag == "bulletin":
        bulletins.append(root)
    elif root.tag == "baseImage":
        content.base_images.append(md.parse_base_image(root, name))
    elif root.tag == "addOn":
        content.add_ons.append(md.parse_add_on(root, name))
    elif root.tag == "metadataResponse":
        for el in root.findall("vib"):
            _keep_vib(vibs, md.parse_vib(el, name))
        bulletins.extend(root.findall("bulletin"))
    for el in bulletins:
        c = md.parse_bulletin(el, name)
        if c:
            components[(c.name, c.version)] = c


def _keep_vib(vibs: dict[str, Vib], vib: Vib) -> None:
    known = vibs.get(vib.id)
    if known is None or (not known.relative_path and vib.relative_path):
        vibs[vib.id] = vib


class _HashingReader:
    """Hashes what is read through it (the VIB's own checksum), next to the payloads' hashing."""

    def __init__(self, src: IO[bytes]) -> None:
        self.src = src
        self._h = BackgroundSha256()

    def read(self, n: int = -1) -> bytes:
        data = self.src.read(n)
        self._h.update(data)
        return data

    def hexdigest(self) -> str:
        return self._h.hexdigest()

    def close(self) -> None:
        self._h.close()


def import_bundle(path: Path, store: PayloadStore, limits: Limits = Limits()) -> DepotContent:
    """Check the bundle at `path` and put its payloads in `store`."""
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise BundleError("not a zip archive") from None
    except OSError as exc:
        raise BundleError(f"cannot read the bundle: {exc.strerror}") from None
    added: list[str] = []
    try:
        with zf:
            tree = ZipTree(zf, limits)
            content = merged(read_metadata(tree, limits))
            for vib in content.vibs:
                import_vib(tree, vib, store, added)
        return content
    except BundleError:
        for sha in added:
            store.remove(sha)
        raise
    except _DAMAGE as exc:
        for sha in added:
            store.remove(sha)
        raise BundleError(f"the bundle is damaged or uses a zip feature vlcmsim cannot read ({_brief(exc)})") from None
    except BaseException:
        for sha in added:
            store.remove(sha)
        raise


# what a damaged archive raises from zipfile, zlib and the parsers
_DAMAGE = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    ValueError,
    KeyError,
    IndexError,
    NotImplementedError,
    RuntimeError,
    struct.error,
)


def _brief(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:120]}" if text else type(exc).__name__


def import_vib(tree: DepotTree, vib: Vib, store: PayloadStore, added: list[str]) -> None:
    """Stream the VIB once: check its sha-256 and put each payload the store
    lacks in it, checked against its own (`added` gets what was added)."""
    wanted = {p.name: p for p in vib.payloads}
    seen: set[str] = set()
    with ExitStack() as stack:
        try:
            raw = stack.enter_context(tree.open(vib.relative_path))
        except BundleError as exc:
            raise BundleError(f"VIB {vib.id}: {exc}") from None
        src = _HashingReader(raw)
        stack.callback(src.close)
        try:
            ar = ArReader(src)
            for name, size in ar.members():
                payload = wanted.get(name)
                if payload is None:
                    continue  # descriptor.xml, sig.pkcs7
                if size != payload.size:
                    raise BundleError(
                        f"VIB {vib.id}: payload {name} is {size} bytes, the descriptor says {payload.size}"
                    )
                seen.add(name)
                if store.has(payload.sha256):
                    ar.skip_rest()
                    continue
                w = store.writer()
                try:
                    while chunk := ar.read(CHUNK):
                        w.write(chunk)
                except BaseException:
                    w.abort()
                    raise
                if not w.commit(payload.sha256, payload.size):
                    raise BundleError(f"VIB {vib.id}: payload {name} does not match its sha-256 checksum")
                added.append(payload.sha256)
            ar.skip_rest()
            while src.read(CHUNK):  # trailing bytes still count in the VIB's checksum
                pass
        except ArError as exc:
            raise BundleError(f"VIB {vib.id}: {exc}") from None
        except zipfile.BadZipFile as exc:
            raise BundleError(f"VIB {vib.id}: {exc}") from None
    if src.hexdigest() != vib.sha256:
        raise BundleError(f"VIB {vib.id}: its bytes do not match the sha-256 checksum in the metadata")
    missing = set(wanted) - seen
    if missing:
        raise BundleError(f"VIB {vib.id}: payload(s) {', '.join(sorted(missing))} missing from the VIB")
