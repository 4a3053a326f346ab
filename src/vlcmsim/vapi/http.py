"""A minimal request/response pair over ASGI, so adapters stay small and fast."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

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

    @classmethod
    def from_rsgi(cls, scope: Any, body: bytes) -> Request:
        """From granian's RSGI scope (names are already lower case there)."""
        qs = scope.query_string
        return cls(
            method=scope.method,
            path=scope.path,
            query=parse_qsl(qs, keep_blank_values=True) if qs else [],
            headers={k.encode("latin-1"): v.encode("latin-1") for k, v in scope.headers.items()},
            body=body,
            client=scope.client,
        )

    @classmethod
    def from_scope(cls, scope: dict[str, Any], body: bytes) -> Request:
        raw_qs = scope.get("query_string", b"")
        raw_path = scope.get("raw_path")
        return cls(
            method=scope["method"],
            # the raw path keeps %2F and ':' as sent; segments are unquoted one by one
            path=raw_path.decode("latin-1").split("?", 1)[0] if raw_path else scope["path"],
            query=parse_qsl(raw_qs.decode("latin-1"), keep_blank_values=True) if raw_qs else [],
            # ASGI servers give header names in lower case already
            headers=dict(scope.get("headers", ())),
            body=body,
            client=(scope.get("client") or ("", 0))[0],
        )

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


def path_segments(path: str) -> list[str]:
    return [unquote(s) for s in path.strip("/").split("/")]
