"""The request and response every adapter works with, whatever HTTP server
front end (ASGI or RSGI, see `vlcmsim.server`) received them.

`Request.path` is the percent-decoded path, decoded exactly once: granian's RSGI
hands over only that form, so the ASGI front end uses the same one, and a
path routes the same way under both (an id can therefore not contain ``/``;
no vSphere identifier does)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from vlcmsim.vapi.errors import VapiError

JSON_HEADERS = [(b"content-type", b"application/json")]


@dataclass
class Request:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[bytes, bytes]
    body: bytes
    client: str = ""
    upload: Path | None = None  # a body streamed to this file instead (an upload)
    query_string: str = ""  # as it came (the read cache's key)

    def header(self, name: bytes) -> str | None:
        v = self.headers.get(name)
        return v.decode("latin-1") if v is not None else None

    def basic_auth(self) -> tuple[str, str] | None:
        auth = self.header(b"authorization")
        if not auth or not auth[:6].lower() == "basic ":
            return None
        try:
            user, _, password = base64.b64decode(auth[6:].strip(), validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user, password

    @property
    def segments(self) -> list[str]:
        return self.path.strip("/").split("/")


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[bytes, bytes]] = field(default_factory=lambda: list(JSON_HEADERS))
    file: Path | None = None  # streamed instead of `body`

    @classmethod
    def json(cls, status: int, value: Any) -> Response:
        return cls(status, orjson.dumps(value))

    @classmethod
    def empty(cls, status: int = 204) -> Response:
        return cls(status, b"", [])


def error_response(err: VapiError) -> Response:
    """The /api error body: the std error struct itself, with its HTTP status."""
    return Response.json(err.http_status, err.as_value())
