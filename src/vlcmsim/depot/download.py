"""GETs of an online depot's files over http(s), on the standard library's HTTP/1.1 client.

Why not httpx here: a VIB's body arrives with one system call per megabyte read straight into its
bytes, where httpx's parser took it in 64 KiB pieces and joined them again — as much CPU as hashing
the bytes twice, on the critical path of a sync. What httpx gave is kept: one connection kept alive
per origin, a few redirects followed to http(s) only, the location's `user:password` sent as Basic
authentication to its own origin only, a timeout on every socket operation."""

from __future__ import annotations

import base64
import functools
import http.client
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote, urljoin, urlsplit

MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)
# characters a path keeps as they are (a `%` already escaping something included)
_PATH_SAFE = "/%:@!$&'()*+,;=~-._"


# what https is checked against: a context, True (the system's CAs), False (nothing), or what
# makes one of those — asked only when an https connection is opened (a context costs ~20 ms)
Verify = ssl.SSLContext | bool | Callable[[], ssl.SSLContext | bool]


class DownloadError(Exception):
    """What went wrong, in the words of the transfer (the caller says which file)."""


@functools.cache
def _context(verify: bool) -> ssl.SSLContext:
    """The system's CAs (made once: loading them costs ~20 ms), or no check at all."""
    if verify:
        return ssl.create_default_context()
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class Origin:
    """scheme, host and port of a URL, with what a connection to it needs."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.scheme = parts.scheme.lower()
        if self.scheme not in ("http", "https"):
            raise DownloadError(f"a location that is not http(s): {self.scheme or '(none)'}")
        if not parts.hostname:
            raise DownloadError("the location names no host")
        self.host = parts.hostname
        try:
            self.port = parts.port or (443 if self.scheme == "https" else 80)
        except ValueError:
            raise DownloadError("the location's port is not a number") from None
        self.key = (self.scheme, self.host, self.port)
        self.target = quote(parts.path or "/", safe=_PATH_SAFE) + (f"?{parts.query}" if parts.query else "")
        self.authorization = None
        if parts.username is not None:
            user = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            self.authorization = "Basic " + base64.b64encode(user.encode()).decode()


@dataclass
class Download:
    response: http.client.HTTPResponse
    key: tuple[str, str, int]  # the origin whose connection reads it


class Downloads:
    """GETs with one connection kept per origin; `abort()` (from any thread) ends the one reading."""

    def __init__(self, verify: Verify = True, timeout: float = 60.0) -> None:
        self.verify = verify
        self.timeout = timeout
        self._connections: dict[tuple[str, str, int], http.client.HTTPConnection] = {}
        self._reading: socket.socket | None = None
        self._credentials: tuple[tuple[str, str, int], str] | None = None

    def get(self, url: str) -> Download:
        """The GET of `url` after its redirects, its body to read; `release` it when done."""
        origin = Origin(url)
        if origin.authorization:  # sent to this origin only, not where a redirect leads
            self._credentials = (origin.key, origin.authorization)
        for _ in range(MAX_REDIRECTS + 1):
            download = self._request(origin)
            location = download.response.getheader("location")
            if download.response.status not in REDIRECTS or not location:
                return download
            download.response.read()  # the redirect's own little body: the connection is free again
            self.release(download)
            url = urljoin(url, location)
            origin = Origin(url)
        raise DownloadError(f"more than {MAX_REDIRECTS} redirects")

    def release(self, download: Download) -> None:
        """Done with `download`: its connection is kept for the next GET when its body was read to
        the end, and closed otherwise (what is left of the body would be read as the next answer)."""
        self._reading = None
        if not download.response.isclosed():
            download.response.close()
            self._drop(download.key)

    def _request(self, origin: Origin) -> Download:
        headers = {"User-Agent": "vlcmsim", "Accept-Encoding": "identity"}
        if self._credentials is not None and self._credentials[0] == origin.key:
            headers["Authorization"] = self._credentials[1]
        for attempt in (1, 2):
            reused = origin.key in self._connections
            connection = self._connection(origin)
            try:
                connection.request("GET", origin.target, headers=headers)
                self._reading = connection.sock  # the response reads it, even once the connection lets go of it
                response = connection.getresponse()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
                self._drop(origin.key)
                if reused and attempt == 1:  # the server closed a kept connection meanwhile: once more
                    continue
                raise DownloadError(str(exc) or type(exc).__name__) from None
            except ssl.SSLCertVerificationError as exc:
                self._drop(origin.key)
                raise DownloadError(f"the server's certificate is not trusted ({exc.verify_message})") from None
            except (OSError, http.client.HTTPException) as exc:
                self._drop(origin.key)
                raise DownloadError(said(exc)) from None
            return Download(response, origin.key)
        raise AssertionError("unreachable")

    def _connection(self, origin: Origin) -> http.client.HTTPConnection:
        connection = self._connections.get(origin.key)
        if connection is None:
            if origin.scheme == "https":
                verify = self.verify() if callable(self.verify) else self.verify
                if not isinstance(verify, ssl.SSLContext):
                    verify = _context(verify)
                connection = http.client.HTTPSConnection(origin.host, origin.port, timeout=self.timeout, context=verify)
            else:
                connection = http.client.HTTPConnection(origin.host, origin.port, timeout=self.timeout)
            self._connections[origin.key] = connection
        return connection

    def _drop(self, key: tuple[str, str, int]) -> None:
        connection = self._connections.pop(key, None)
        if connection is not None:
            connection.close()

    def abort(self) -> None:
        """End the GET reading now, from another thread too: closing a socket alone does not wake
        a thread blocked on it, shutting it down does."""
        sock = self._reading
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        self.abort()
        for key in list(self._connections):
            self._drop(key)


def said(exc: BaseException) -> str:
    """An OS or HTTP error in a few words."""
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
