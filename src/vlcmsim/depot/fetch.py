"""Fetching what a depot or a software spec is pulled from: http(s):// or file://."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import httpx


class FetchError(Exception):
    pass


def _local(location: str) -> Path:
    parsed = urlparse(location)
    if parsed.netloc not in ("", "localhost"):
        raise FetchError("file:// locations must be on this machine")
    return Path(unquote(parsed.path))


async def fetch_to_file(location: str, dest: Path, limit: int) -> None:
    """Copy what `location` names to `dest`, at most `limit` bytes."""
    scheme = urlparse(location).scheme.lower()
    if scheme == "file":
        src = _local(location)
        try:
            if src.stat().st_size > limit:
                raise FetchError(f"the file is larger than {limit} bytes")
            shutil.copyfile(src, dest)
        except OSError as exc:
            raise FetchError(exc.strerror or str(exc)) from None
        return
    if scheme not in ("http", "https"):
        raise FetchError(f"unsupported scheme {scheme or '(none)'}: use http, https or file")
    size = 0
    try:
        async with httpx.AsyncClient(timeout=60, follow_redirects=True) as client:
            async with client.stream("GET", location) as r:
                if r.status_code != 200:
                    raise FetchError(f"HTTP {r.status_code}")
                with open(dest, "wb") as f:
                    async for chunk in r.aiter_bytes(1 << 20):
                        size += len(chunk)
                        if size > limit:
                            raise FetchError(f"more than {limit} bytes")
                        f.write(chunk)
    except httpx.HTTPError as exc:
        raise FetchError(str(exc) or type(exc).__name__) from None


async def fetch_bytes(location: str, limit: int) -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        dest = Path(tmp) / "fetched"
        await fetch_to_file(location, dest, limit)
        return dest.read_bytes()
