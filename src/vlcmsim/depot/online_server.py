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

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

CHUNK = 1 << 20
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
MAX_DIGITS = 18


@dataclass(frozen=True)
class Found:
    size: int
    etag: str
    chunks: Callable[[int, int], Iterator[bytes]]  # (start, end exclusive) -> bytes


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
            return Found(len(data), _etag(data), lambda a, b: iter([data[a:b]]))
        parts = name.split("/")
        if len(parts) > 2 and parts[0] == "bundles" and parts[1] in self.bundles():
            return self._member(self.bundles()[parts[1]], "/".join(parts[2:]))
        file = self.root / name
        if not file.is_file() or not file.resolve().is_relative_to(self.root):
            return None
        st = file.stat()
        return Found(st.st_size, _etag(f"{st.st_ino}-{st.st_size}-{st.st_mtime_ns}".encode()), _file_chunks(file))

    def _member(self, bundle: Path, member: str) -> Found | None:
        try:
            with zipfile.ZipFile(bundle) as zf:
                info = zf.getinfo(member)
        except (KeyError, zipfile.BadZipFile, OSError):
            return None
        st = bundle.stat()
        tag = _etag(f"{st.st_ino}-{st.st_mtime_ns}-{member}-{info.file_size}-{info.CRC}".encode())
        return Found(info.file_size, tag, _member_chunks(bundle, member))


def _etag(data: bytes) -> str:
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def _file_chunks(path: Path) -> Callable[[int, int], Iterator[bytes]]:
    return lambda start, end: _byte_range(path, start, end)


def _byte_range(path: Path, start: int, end: int) -> Iterator[bytes]:
    with open(path, "rb") as f:
        f.seek(start)
        yield from _pieces(f, end - start)


def _pieces(f: IO[bytes], left: int) -> Iterator[bytes]:
    """The next `left` bytes of `f` (fewer when it ends first), a chunk at a time."""
    while left > 0 and (data := f.read(min(CHUNK, left))):
        left -= len(data)
        yield data


def _member_chunks(bundle: Path, member: str) -> Callable[[int, int], Iterator[bytes]]:
    def chunks(start: int, end: int) -> Iterator[bytes]:
        with zipfile.ZipFile(bundle) as zf:
            info = zf.getinfo(member)
            if info.compress_type == zipfile.ZIP_STORED and not info.flag_bits & 0x1:
                # stored as it is (a VIB): its bytes straight from the bundle, no CRC pass over them
                # (what reads them checks their sha-256); that halves this server's CPU per byte
                at = _data_offset(bundle, info)
                yield from _byte_range(bundle, at + start, at + end)
                return
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


def app(root: Path) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    depot = FolderDepot(root)

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        method = scope["method"]
        if method not in ("GET", "HEAD"):
            await _plain(send, 405, b"only GET and HEAD\n", [(b"allow", b"GET, HEAD")])
            return
        found = depot.find(scope["path"])
        if found is None:
            await _plain(send, 404, b"not found\n")
            return
        headers = dict(scope["headers"])
        base = [(b"etag", found.etag.encode()), (b"accept-ranges", b"bytes")]
        if headers.get(b"if-none-match", b"").decode() == found.etag:
            await send({"type": "http.response.start", "status": 304, "headers": base})
            await send({"type": "http.response.body", "body": b""})
            return
        start, end, status = 0, found.size, 200
        wanted = headers.get(b"range", b"").decode()
        if wanted:
            parsed = _range(wanted, found.size)
            if parsed is None:
                await _plain(
                    send, 416, b"range not satisfiable\n", [(b"content-range", f"bytes */{found.size}".encode())]
                )
                return
            start, end, status = parsed[0], parsed[1], 206
            base.append((b"content-range", f"bytes {start}-{end - 1}/{found.size}".encode()))
        base += [(b"content-length", str(end - start).encode()), (b"content-type", b"application/octet-stream")]
        await send({"type": "http.response.start", "status": status, "headers": base})
        if method == "HEAD":
            await send({"type": "http.response.body", "body": b""})
            return
        chunks = found.chunks(start, end)
        while True:
            data = await asyncio.to_thread(next, chunks, b"")
            if not data:
                break
            await send({"type": "http.response.body", "body": data, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

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


async def _plain(send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


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
        interface=Interfaces.ASGI,
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
