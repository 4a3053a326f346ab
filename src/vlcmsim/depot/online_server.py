"""`vlcmsim depot serve DIR`: a folder served as an online depot over HTTP.

The folder's files are served as they are (a mirror made by `vlcmsim depot
mirror` has its own index.xml); each offline bundle (*.zip) in it is served
unpacked under `bundles/<name>/`, and when the folder has no index.xml of its
own, one is made that lists every bundle's vendors. GET and HEAD, ETags
(If-None-Match answers 304) and single byte ranges (206), so that any client
of VMware's online depot format — vlcmsim's sync among them — can read it."""

from __future__ import annotations

import asyncio
import hashlib
import os
import posixpath
import re
import struct
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import unquote

import defusedxml.ElementTree as DET

from vlcmsim.depot.payloads import file_sha256
from vlcmsim.depot.reader import BundleError, check_entry_name

CHUNK = 1 << 20
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
MAX_DIGITS = 18


@dataclass(frozen=True)
class Found:
    size: int
    etag: str
    span: tuple[Path, int] | None = None  # the file holding the bytes as they are, and where they begin
    chunks: Callable[[int, int], Iterator[bytes]] | None = None  # or else: (start, end exclusive) -> bytes


class FolderDepot:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def bundles(self) -> dict[str, Path]:
        return {p.stem: p for p in sorted(self.root.glob("*.zip")) if p.is_file()}

    def index(self) -> bytes:
        """index.xml listing every bundle's vendors, each under bundles/<name>/."""
        root = ET.Element("vendorList")
        for name, path in self.bundles().items():
            try:
                with zipfile.ZipFile(path) as zf:
                    listed = DET.fromstring(zf.read("index.xml"))
            except (zipfile.BadZipFile, KeyError, OSError, ET.ParseError):
                continue  # not a bundle: left out of the index
            for vendor in listed.iter("vendor"):
                rel = (vendor.findtext("relativePath") or "").strip("/")
                out = ET.SubElement(root, "vendor")
                for tag in ("name", "code", "indexfile", "logo", "content"):
                    ET.SubElement(out, tag).text = vendor.findtext(tag) or ""
                ET.SubElement(out, "relativePath").text = posixpath.join("bundles", name, rel).rstrip("/") + "/"
        data: bytes = ET.tostring(root, xml_declaration=True, encoding="utf-8")
        return data

    def find(self, path: str) -> Found | None:
        name = unquote(path).lstrip("/")
        if not name:
            name = "index.xml"
        try:
            check_entry_name(name)
        except BundleError:
            return None
        if name == "index.xml" and not (self.root / "index.xml").is_file():
            data = self.index()
            return Found(len(data), _etag(data), chunks=lambda a, b: iter([data[a:b]]))
        parts = name.split("/")
        if len(parts) > 2 and parts[0] == "bundles" and parts[1] in self.bundles():
            return self._member(self.bundles()[parts[1]], "/".join(parts[2:]))
        file = self.root / name
        if not file.is_file() or not file.resolve().is_relative_to(self.root):
            return None
        st = file.stat()
        tag = _etag(f"{st.st_ino}-{st.st_size}-{st.st_mtime_ns}".encode())
        return Found(st.st_size, tag, span=(file, 0))

    def _member(self, bundle: Path, member: str) -> Found | None:
        try:
            with zipfile.ZipFile(bundle) as zf:
                info = zf.getinfo(member)
        except (KeyError, zipfile.BadZipFile, OSError):
            return None
        st = bundle.stat()
        tag = _etag(f"{st.st_ino}-{st.st_mtime_ns}-{member}-{info.file_size}-{info.CRC}".encode())
        if info.compress_type == zipfile.ZIP_STORED and not info.flag_bits & 0x1:
            # stored as it is (a VIB): its bytes straight from the bundle, no CRC pass over them
            # (what reads them checks their sha-256), sent from the file by granian
            try:
                return Found(info.file_size, tag, span=(bundle, _data_offset(bundle, info)))
            except (zipfile.BadZipFile, OSError):
                return None
        return Found(info.file_size, tag, chunks=_member_chunks(bundle, member))


def _etag(data: bytes) -> str:
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def _pieces(f: IO[bytes], left: int) -> Iterator[bytes]:
    """The next `left` bytes of `f` (fewer when it ends first), a chunk at a time."""
    while left > 0 and (data := f.read(min(CHUNK, left))):
        left -= len(data)
        yield data


def _member_chunks(bundle: Path, member: str) -> Callable[[int, int], Iterator[bytes]]:
    """A compressed member's bytes, inflated up to the range and then through it."""

    def chunks(start: int, end: int) -> Iterator[bytes]:
        with zipfile.ZipFile(bundle) as zf:
            with zf.open(member) as f:
                for _ in _pieces(f, start):  # a compressed member is read up to the range
                    pass
                yield from _pieces(f, end - start)

    return chunks


def _data_offset(bundle: Path, info: zipfile.ZipInfo) -> int:
    """Where a member's bytes begin: after its local header, whose name and extra field
    lengths may differ from the central directory's."""
    with open(bundle, "rb") as f:
        f.seek(info.header_offset)
        header = f.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"{info.filename}: bad local header")
    name_length, extra_length = _LOCAL_HEADER.unpack(header)[-2:]
    return int(info.header_offset + _LOCAL_HEADER.size + name_length + extra_length)


_LOCAL_HEADER = struct.Struct("<4s5H3L2H")


def app(root: Path) -> Callable[[Any, Any], Awaitable[None]]:
    """The server's RSGI application: bytes kept as they are in a file (a VIB stored in its
    bundle, a mirror's files) are sent by granian from the file, no Python per chunk."""
    depot = FolderDepot(root)

    async def serve(scope: Any, protocol: Any) -> None:
        if scope.proto != "http":
            return
        if scope.method not in ("GET", "HEAD"):
            _plain(protocol, 405, b"only GET and HEAD\n", [("allow", "GET, HEAD")])
            return
        found = depot.find(scope.path)
        if found is None:
            _plain(protocol, 404, b"not found\n")
            return
        base = [("etag", found.etag), ("accept-ranges", "bytes")]
        if scope.headers.get("if-none-match", "") == found.etag:
            protocol.response_empty(304, base)
            return
        start, end, status = 0, found.size, 200
        wanted = scope.headers.get("range", "")
        if wanted:
            parsed = _range(wanted, found.size)
            if parsed is None:
                _plain(protocol, 416, b"range not satisfiable\n", [("content-range", f"bytes */{found.size}")])
                return
            start, end, status = parsed[0], parsed[1], 206
            base.append(("content-range", f"bytes {start}-{end - 1}/{found.size}"))
        base += [("content-length", str(end - start)), ("content-type", "application/octet-stream")]
        if scope.method == "HEAD":
            protocol.response_empty(status, base)
        elif found.span is not None:
            path, at = found.span
            protocol.response_file_range(status, base, str(path), at + start, at + end)
        else:
            assert found.chunks is not None
            transport = protocol.response_stream(status, base)
            chunks = found.chunks(start, end)
            while data := await asyncio.to_thread(next, chunks, b""):
                try:
                    await transport.send_bytes(data)
                except RuntimeError:  # granian's RSGIProtocolClosed: the client went away
                    return

    return serve


def _range(header: str, size: int) -> tuple[int, int] | None:
    """(start, end exclusive) of a single byte range, or None when it cannot be served.
    Numbers longer than any file's size are read as "beyond the end" (not parsed)."""
    m = _RANGE.match(header.strip())
    if m is None or (not m.group(1) and not m.group(2)):
        return None
    first, last = m.group(1), m.group(2)
    if not first:  # the last N bytes
        n = int(last) if len(last) <= MAX_DIGITS else size
        return (max(size - n, 0), size) if n else None
    if len(first) > MAX_DIGITS:
        return None
    start = int(first)
    end = int(last) + 1 if last and len(last) <= MAX_DIGITS else size
    if start >= size or end <= start:
        return None
    return start, min(end, size)


def _plain(protocol: Any, status: int, body: bytes, extra: list[tuple[str, str]] | None = None) -> None:
    protocol.response_bytes(status, [("content-type", "text/plain"), *(extra or [])], body)


def run(root: Path, host: str, port: int, header_timeout: float = 10.0) -> None:
    """Serve with the main server's limits: silent and slow-header connections are closed
    after the header timeout, and idlers cannot fill the connection cap."""
    import asyncio
    import logging
    import signal

    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server.embed import Server

    from vlcmsim.server.limits import http_options, quiet_embedded_warning

    if not root.is_dir():
        raise SystemExit(f"{root} is not a folder")
    logging.getLogger("_granian").setLevel(logging.ERROR)
    quiet_embedded_warning()
    server = Server(
        app(root),
        address=host,
        port=port,
        interface=Interfaces.RSGI,
        websockets=False,
        log_level=LogLevels.warning,
        **http_options(header_timeout),
    )
    print(f"serving {root} as an online depot at http://{host}:{port}/index.xml", flush=True)

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, server.stop)
        await server.serve()

    asyncio.run(serve())


def mirror(location: str, out: Path) -> tuple[int, int]:
    """Copy the online depot at `location` into the folder `out` (index,
    vendor indexes, metadata, VIBs), checking every VIB's sha-256; what is
    already there and sound is not fetched again. (files, bytes) fetched."""
    from vlcmsim.depot import metadata as md
    from vlcmsim.depot.online import INDEX, close_tree, open_tree, read_depot

    out.mkdir(parents=True, exist_ok=True)
    tree = open_tree(location, [Path("/")])
    files = moved = 0
    try:

        def copy(name: str, sha256: str | None = None) -> None:
            nonlocal files, moved
            dest = (out / name).resolve()
            if PurePosixPath(name).is_absolute() or not dest.is_relative_to(out.resolve()):
                raise BundleError(f"{name} is outside the mirror's folder")  # before anything is made there
            if sha256 and dest.is_file() and file_sha256(dest) == sha256:
                return
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(dest.name + ".part")
            h = hashlib.sha256()
            with tree.open(name) as src, open(tmp, "wb") as f:
                while data := src.read(CHUNK):
                    h.update(data)
                    f.write(data)
                    moved += len(data)
            if sha256 and h.hexdigest() != sha256:
                tmp.unlink()
                raise BundleError(f"{name} does not match its sha-256 checksum")
            os.replace(tmp, dest)
            files += 1

        copy(INDEX)
        for _vendor, rel, indexfile in md.parse_index((out / INDEX).read_bytes()):
            vendor_index = posixpath.join(rel.strip("/"), indexfile) if rel.strip("/") else indexfile
            copy(vendor_index)
            for url in md.parse_vendor_index((out / vendor_index).read_bytes()):
                copy(posixpath.join(posixpath.dirname(vendor_index), url) if "/" in vendor_index else url)
        for vib in read_depot(tree).vibs:
            copy(vib.relative_path, vib.sha256)
    finally:
        close_tree(tree)
    return files, moved
