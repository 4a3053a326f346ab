"""The `ar` archive format of a VIB, streamed both ways."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO, Protocol

MAGIC = b"!<arch>\n"
HEADER = 60


class ArError(ValueError):
    pass


def member_header(name: str, size: int) -> bytes:
    raw = name.encode()
    if len(raw) > 16 or b"/" in raw:
        raise ArError(f"ar member name {name!r} does not fit")
    header = raw.ljust(16) + b"0".ljust(12) + b"0".ljust(6) + b"0".ljust(6) + b"100644".ljust(8)
    header += str(size).encode().ljust(10) + b"`\n"
    assert len(header) == HEADER
    return header


def write_member(out: BinaryIO, name: str, chunks: Iterator[bytes], size: int) -> None:
    out.write(member_header(name, size))
    written = 0
    for chunk in chunks:
        out.write(chunk)
        written += len(chunk)
    if written != size:
        raise ArError(f"member {name}: wrote {written} bytes, announced {size}")
    if size % 2:
        out.write(b"\n")


class Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


def _read_exact(src: Readable, n: int) -> bytes:
    data = src.read(n)
    while len(data) < n:
        more = src.read(n - len(data))
        if not more:
            break
        data += more
    return data


class ArReader:
    """Iterates over the members of an archive read from a stream, without
    seeking: `members()` yields (name, size), then `read(n)` gives that
    member's bytes until they are used up."""

    def __init__(self, src: Readable) -> None:
        self.src = src
        self._left = 0
        self._pad = 0
        if _read_exact(src, len(MAGIC)) != MAGIC:
            raise ArError("not an ar archive (bad magic)")

    def members(self) -> Iterator[tuple[str, int]]:
        while True:
            self.skip_rest()
            header = _read_exact(self.src, HEADER)
            if not header:
                return
            if len(header) != HEADER or header[58:60] != b"`\n":
                raise ArError("truncated or corrupt ar member header")
            name = header[:16].decode("ascii", "replace").strip().rstrip("/")
            try:
                size = int(header[48:58].decode().strip())
            except ValueError:
                raise ArError(f"bad size in ar member {name!r}") from None
            if size < 0:
                raise ArError(f"bad size in ar member {name!r}")
            self._left, self._pad = size, size % 2
            yield name, size

    def read(self, n: int = 1 << 20) -> bytes:
        if self._left <= 0:
            return b""
        data = self.src.read(min(n, self._left))
        if not data:
            raise ArError("ar archive ends inside a member")
        self._left -= len(data)
        return data

    def skip_rest(self) -> None:
        while self._left > 0:
            self.read()
        if self._pad:
            _read_exact(self.src, self._pad)
            self._pad = 0
