"""One payload download as a host does it: HTTP GET from the depot URL,
sha-256 while the bytes arrive, written under a temporary name in the staging
folder and renamed once verified. Runs in a worker thread: TLS, hashing and
file writes release the GIL, so hosts download in parallel for real."""

from __future__ import annotations

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
        with open(tmp, "wb") as f:
            while True:
                if cancel.is_set():
                    raise Cancelled()
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
