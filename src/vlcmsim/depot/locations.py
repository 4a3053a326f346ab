"""Depot locations: checked when given (a malformed one is an InvalidArgument
that says what is wrong, not an internal error in a task later), and shown
without the password they may carry."""

from __future__ import annotations

from urllib.parse import unquote, urlparse

from vlcmsim.redact import MASK

SCHEMES = ("http", "https", "file")


def location_problem(location: str) -> str | None:
    """What is wrong with a depot location, or None."""
    if "\x00" in location or "\x00" in unquote(location):
        return "it contains a NUL byte"
    if any(c in location for c in "\r\n\t"):
        return "it contains a control character"
    try:
        parsed = urlparse(location)
        parsed.port  # noqa: B018  (raises for a port out of range)
        host = parsed.hostname
    except ValueError as exc:
        return f"it is not a valid URL ({exc})"
    scheme = parsed.scheme.lower()
    if scheme not in SCHEMES:
        return f"unsupported scheme {scheme or '(none)'}: use http(s):// or file://"
    if scheme in ("http", "https") and not host:
        return "it names no host"
    if scheme == "file" and not parsed.path:
        return "it names no file"
    return None


def masked(location: str | None) -> str | None:
    """A location without the password it may carry (https://user:****@host/...)."""
    if not location:
        return location
    try:
        parsed = urlparse(location)
        if parsed.password is None:
            return location
        host = parsed.hostname or ""
        port = parsed.port
    except ValueError:
        return location.split("@", 1)[-1] if "@" in location else location
    host = f"[{host}]" if ":" in host else host
    netloc = f"{parsed.username}:{MASK}@{host}" + (f":{port}" if port else "")
    return parsed._replace(netloc=netloc).geturl()
