"""Fetching what a depot or a software spec is pulled from: http(s):// or file://.

Bounded in every direction: at most `limit` bytes (counted as they are read,
not trusted from a size), http(s) within a deadline and a few redirects to
http(s) only, file:// only from the allowed import directories and only
regular files. The copy runs off the event loop. Error texts say what was
wrong with the location, never what the server's disk holds."""

from __future__ import annotations

import asyncio
import os
import ssl
import stat
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import httpx

CHUNK = 1 << 20
MAX_REDIRECTS = 5


class FetchError(Exception):
    pass


@dataclass
class Fetcher:
    allowed_dirs: list[Path]  # file:// locations must be inside one of these
    timeout_seconds: float = 3600.0  # the whole of one http(s) fetch
    own_certificate: Path | None = None  # trusted besides the system's CAs: the server's own export URLs
    _context: tuple[int | None, ssl.SSLContext] | None = field(default=None, repr=False, compare=False)

    def _local(self, location: str) -> Path:
        parsed = urlparse(location)
        if parsed.netloc not in ("", "localhost"):
            raise FetchError("file:// locations must be on this machine")
        path = Path(os.path.realpath(unquote(parsed.path)))
        for allowed in self.allowed_dirs:
            root = Path(os.path.realpath(allowed))
            if path.is_relative_to(root) and path != root:
                return path
        raise FetchError("file:// locations must be inside an allowed import directory (see docs/configuration.md)")

    async def to_file(self, location: str, dest: Path, limit: int) -> None:
        """Copy what `location` names to `dest`, at most `limit` bytes."""
        scheme = urlparse(location).scheme.lower()
        if scheme == "file":
            await asyncio.to_thread(_copy_local, self._local(location), dest, limit)
            return
        if scheme not in ("http", "https"):
            raise FetchError(f"unsupported scheme {scheme or '(none)'}: use http, https or file")
        try:
            async with asyncio.timeout(self.timeout_seconds):
                await _download(location, dest, limit, self.verify())
        except TimeoutError:
            raise FetchError(f"not complete within {self.timeout_seconds:g} seconds") from None

    def verify(self) -> ssl.SSLContext | bool:
        """What https downloads trust, made once (a context costs ~20 ms to load its CAs, a sync
        opened two): the system's CAs, and the server's own certificate while it stands."""
        mine = self.own_certificate if self.own_certificate is not None and self.own_certificate.exists() else None
        stamp = mine.stat().st_mtime_ns if mine is not None else None
        if self._context is None or self._context[0] != stamp:
            if mine is None:
                context = httpx.create_ssl_context()  # what httpx trusts by default
            else:
                context = ssl.create_default_context()
                context.load_verify_locations(cafile=str(mine))
            self._context = (stamp, context)
        return self._context[1]

    async def to_bytes(self, location: str, limit: int) -> bytes:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            dest = Path(tmp) / "fetched"
            await self.to_file(location, dest, limit)
            return await asyncio.to_thread(dest.read_bytes)


def _copy_local(src: Path, dest: Path, limit: int) -> None:
    try:
        fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        raise FetchError("no readable file at this location") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FetchError("the location is not a regular file")
        size = 0
        with open(dest, "wb") as out:
            while chunk := f.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise FetchError(f"the file is larger than {limit} bytes")
                out.write(chunk)


async def _download(location: str, dest: Path, limit: int, verify: ssl.SSLContext | bool) -> None:
    size = 0
    url = location
    try:
        async with httpx.AsyncClient(timeout=60, follow_redirects=False, verify=verify) as client:
            for _ in range(MAX_REDIRECTS + 1):
                async with client.stream("GET", url) as r:
                    if r.is_redirect and "location" in r.headers:
                        url = urljoin(url, r.headers["location"])
                        if urlparse(url).scheme.lower() not in ("http", "https"):
                            raise FetchError("redirected to a location that is not http(s)")
                        continue
                    if r.status_code != 200:
                        raise FetchError(f"HTTP {r.status_code}")
                    with open(dest, "wb") as f:
                        async for chunk in r.aiter_bytes(CHUNK):
                            size += len(chunk)
                            if size > limit:
                                raise FetchError(f"more than {limit} bytes")
                            f.write(chunk)
                    return
            raise FetchError(f"more than {MAX_REDIRECTS} redirects")
    except httpx.HTTPError as exc:
        raise FetchError(str(exc) or type(exc).__name__) from None
