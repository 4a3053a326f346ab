"""One payload download as a host does it: HTTP GET from the depot URL,
sha-256 while the bytes arrive, written under a temporary name in the staging
folder and renamed once verified. Runs in a worker thread: TLS, hashing and
file writes release the GIL, so hosts download in parallel for real."""

from __future__ import annotations

import asyncio
import hashlib
import http.client
import os
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from vlcmsim.hosts.disk import DiskWriter

CHUNK = 1 << 20


class DownloadError(Exception):
    def __init__(self, message: str, retriable: bool) -> None:
        super().__init__(message)
        self.retriable = retriable


class Cancelled(Exception):
    pass


@dataclass
class Link:
    """The host's network link as the simulation sets it."""

    bandwidth_bytes_per_s: int = 0  # 0 = unlimited
    corrupt: bool = False  # this download arrives with a flipped byte
    # whether the host is still connected (asked every CONNECTED_EVERY seconds during a download):
    # a host disconnected while a payload is in flight stops downloading within a moment
    connected: Callable[[], bool] | None = None

    def check_connected(self, state: list[float]) -> None:
        """Raise Disconnected when the host has lost its connection (`state`: when it was last asked)."""
        if self.connected is None:
            return
        t = time.monotonic()
        if t - state[0] < CONNECTED_EVERY:
            return
        state[0] = t
        if not self.connected():
            raise Disconnected("the host lost its connection while it downloaded", retriable=True)


CONNECTED_EVERY = 0.2


class Disconnected(Exception):
    """The host was disconnected while a payload was in flight."""

    def __init__(self, message: str, retriable: bool) -> None:
        super().__init__(message)
        self.retriable = retriable


_local = threading.local()


def _buffer(size: int) -> bytearray:
    """This thread's read buffer, at least `size` bytes (made once, not per payload:
    zeroing a fresh megabyte for every 64 KiB payload cost more than the payload)."""
    buf: bytearray | None = getattr(_local, "buf", None)
    if buf is None or len(buf) < size:
        buf = _local.buf = bytearray(size)
    return buf


class DepotConnection:
    """A host's connection to the depot, kept alive across its payloads (a
    host fetches them back to back); opened again after a failure."""

    def __init__(self, ssl_context: ssl.SSLContext | None) -> None:
        self.ssl_context = ssl_context
        self.conn: http.client.HTTPConnection | None = None
        self.netloc = ""

    def get(self, url: str) -> http.client.HTTPResponse:
        parsed = urlparse(url)
        if self.conn is None or parsed.netloc != self.netloc:
            self.close()
            host, port = parsed.hostname or "127.0.0.1", parsed.port
            if parsed.scheme == "https":
                self.conn = http.client.HTTPSConnection(host, port, context=self.ssl_context, timeout=60)
            else:
                self.conn = http.client.HTTPConnection(host, port, timeout=60)
            self.netloc = parsed.netloc
        self.conn.request("GET", parsed.path)
        return self.conn.getresponse()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def download(
    url: str,
    sha256: str,
    size: int,
    folder: Path,
    link: Link,
    ssl_context: ssl.SSLContext | None,
    cancel: threading.Event,
    on_bytes: Callable[[int], None],
    connection: DepotConnection | None = None,
) -> None:
    depot = connection or DepotConnection(ssl_context)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{sha256}.{uuid.uuid4().hex[:8]}.part"
    ok = False
    try:
        try:
            resp = depot.get(url)
        except (OSError, http.client.HTTPException) as exc:
            raise DownloadError(f"depot unreachable: {exc}", retriable=True) from None
        if resp.status != 200:
            raise DownloadError(f"depot answered HTTP {resp.status} for payload {sha256}", retriable=resp.status >= 500)
        h = hashlib.sha256()
        received = 0
        started = time.monotonic()
        buf = _buffer(min(CHUNK, max(size, 1)))
        view = memoryview(buf)
        asked = [time.monotonic()]
        with open(tmp, "wb") as f:
            while True:
                if cancel.is_set():
                    raise Cancelled()
                link.check_connected(asked)
                try:
                    n = resp.readinto(view[: size - received] if size - received < len(buf) else buf)
                except (OSError, http.client.HTTPException) as exc:
                    raise DownloadError(f"connection lost: {exc}", retriable=True) from None
                if not n:
                    break
                if link.corrupt and received == 0:
                    buf[0] ^= 0xFF  # the simulated fault: one flipped byte on the wire
                chunk = view[:n]
                h.update(chunk)
                f.write(chunk)
                received += n
                on_bytes(n)
                if link.bandwidth_bytes_per_s:
                    ahead = received / link.bandwidth_bytes_per_s - (time.monotonic() - started)
                    while ahead > 0:
                        if cancel.is_set():
                            raise Cancelled()
                        link.check_connected(asked)
                        time.sleep(min(ahead, 0.05))
                        ahead = received / link.bandwidth_bytes_per_s - (time.monotonic() - started)
        if received != size:
            raise DownloadError(f"payload {sha256} arrived with {received} of {size} bytes", retriable=True)
        if h.hexdigest() != sha256:
            raise DownloadError(f"payload {sha256} failed its sha-256 check", retriable=True)
        os.replace(tmp, folder / sha256)
        ok = True
    finally:
        if not ok or connection is None:  # a failed response may leave the connection unusable
            depot.close()
        tmp.unlink(missing_ok=True)


SMALL = 1 << 20  # payloads up to this size are downloaded on the event loop itself
PACED_PIECE = 16 * 1024  # on a slow link, bytes counted (and waited for) at a time


class AsyncDepotConnection:
    """A host's keep-alive connection to the depot on the event loop, for small
    payloads: no thread hand-off and no HTTP library per payload — a 64 KiB
    payload costs less to fetch, hash and write here than to dispatch."""

    def __init__(self, ssl_context: ssl.SSLContext | None) -> None:
        self.ssl_context = ssl_context
        self.netloc = ""
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, url: str) -> tuple[int, int, asyncio.StreamReader]:
        """(status, content length, the stream to read the body from)."""
        parsed = urlparse(url)
        if self.writer is None or parsed.netloc != self.netloc:
            self.close()
            tls = self.ssl_context if parsed.scheme == "https" else None
            port = parsed.port or (443 if tls else 80)
            self.reader, self.writer = await asyncio.open_connection(parsed.hostname or "127.0.0.1", port, ssl=tls)
            self.netloc = parsed.netloc
        assert self.reader is not None
        self.writer.write(f"GET {parsed.path} HTTP/1.1\r\nHost: {parsed.netloc}\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise DownloadError("the depot answered something that is not HTTP", retriable=True)
        headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:] if h)}
        length = headers.get("content-length", "")
        if not length.isdigit():
            raise DownloadError("the depot's answer has no content length", retriable=True)
        if headers.get("connection", "").lower() == "close":
            self.netloc = ""  # read this answer, then connect again
        return int(parts[1]), int(length), self.reader

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None
        self.netloc = ""


async def download_small(
    url: str,
    sha256: str,
    size: int,
    folder: Path,
    link: Link,
    on_bytes: Callable[[int], None],
    depot: AsyncDepotConnection,
    disk: DiskWriter,
) -> None:
    """`download` for a payload of at most SMALL bytes, on the event loop; its
    file written by the hosts' disk writer."""
    ok = False
    try:
        try:
            status, length, reader = await depot.get(url)
            if status != 200:
                await reader.readexactly(length)  # the connection stays usable
                raise DownloadError(f"depot answered HTTP {status} for payload {sha256}", retriable=status >= 500)
            if length != size:
                raise DownloadError(f"payload {sha256} arrived with {length} of {size} bytes", retriable=True)
            data = bytearray()
            started = time.monotonic()
            piece = PACED_PIECE if link.bandwidth_bytes_per_s else length
            asked = [time.monotonic()]
            while len(data) < length:  # on a slow link, a piece at a time at its pace
                link.check_connected(asked)
                part = await reader.readexactly(min(piece, length - len(data)))
                data += part
                on_bytes(len(part))
                if link.bandwidth_bytes_per_s:
                    ahead = len(data) / link.bandwidth_bytes_per_s - (time.monotonic() - started)
                    if ahead > 0:
                        await asyncio.sleep(ahead)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            raise DownloadError(f"connection lost: {exc or type(exc).__name__}", retriable=True) from None
        if link.corrupt and data:
            data[0] ^= 0xFF  # the simulated fault: one flipped byte on the wire
        if hashlib.sha256(data).hexdigest() != sha256:
            raise DownloadError(f"payload {sha256} failed its sha-256 check", retriable=True)
        ok = True
    finally:
        if not ok:
            depot.close()
    await disk.write(f"{folder}/{sha256}", data)
