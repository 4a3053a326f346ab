"""How an online depot's files are fetched over http(s) (`depot.download` under `UrlTree`): one
connection kept per origin, redirects followed to http(s) only, the location's credentials sent
to its own origin only, a transfer cut short or encoded unasked said so, https checked against
what the server trusts, and a read blocked on a silent server ended from another thread."""

from __future__ import annotations

import base64
import gzip
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from vlcmsim.depot.online import UrlTree
from vlcmsim.depot.reader import BundleError
from vlcmsim.server.tls import ensure_certificate

BODY = bytes(range(256)) * 4096  # 1 MiB


class Depot(ThreadingHTTPServer):
    """A depot's web server whose answers each test shapes by path."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[tuple[str, str | None, int]] = []  # (path, authorization, client port)
        self.hold = threading.Event()  # /silent answers nothing until set

    @property
    def url(self) -> str:
        scheme = "https" if isinstance(self.socket, ssl.SSLSocket) else "http"
        return f"{scheme}://127.0.0.1:{self.server_address[1]}/"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # connections kept alive
    server: Depot

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.requests.append((self.path, self.headers.get("authorization"), self.client_address[1]))
        path = self.path
        if path == "/silent":
            self.server.hold.wait(10)
            return
        if path.startswith("/hop/"):  # /hop/N redirects N more times, then to the file
            left = int(path.rsplit("/", 1)[1])
            self._answer(302, b"", [("location", f"/hop/{left - 1}" if left > 1 else "/files/vib")])
        elif path == "/elsewhere":
            self._answer(302, b"", [("location", "ftp://127.0.0.1/vib")])
        elif path == "/cut":
            self.send_response(200)
            self.send_header("content-length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY[:1000])
            self.close_connection = True
        elif path == "/gzipped":
            self._answer(200, gzip.compress(BODY), [("content-encoding", "gzip")])
        elif path == "/missing":
            self._answer(404, b"no such file", [])
        elif path.startswith("/files/"):
            self._answer(200, BODY, [])
        else:
            self._answer(404, b"", [])

    def _answer(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def depot() -> Iterator[Depot]:
    server = Depot()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.hold.set()
    server.shutdown()
    server.server_close()


def fetch(tree: UrlTree, name: str) -> bytes:
    with tree.open(name) as f:
        return f.read()


def test_files_come_whole_over_one_kept_connection(depot: Depot) -> None:
    tree = UrlTree(depot.url)
    try:
        assert fetch(tree, "files/a.vib") == BODY
        with tree.open("files/b.vib") as f:
            assert f.read(10) + f.read(100_000) + f.read() == BODY
        assert tree.read_small("files/c.vib", len(BODY)) == BODY
    finally:
        tree.close()
    ports = {port for _, _, port in depot.requests}
    assert len(depot.requests) == 3 and len(ports) == 1


def test_a_file_left_half_read_does_not_poison_the_next(depot: Depot) -> None:
    tree = UrlTree(depot.url)
    try:
        with tree.open("files/a.vib") as f:
            assert f.read(10) == BODY[:10]
        assert fetch(tree, "files/b.vib") == BODY  # a new connection: the rest of a.vib is not read as b.vib
    finally:
        tree.close()


def test_redirects_are_followed_a_few_times_to_http_only(depot: Depot) -> None:
    tree = UrlTree(depot.url)
    try:
        assert fetch(tree, "hop/5") == BODY
        with pytest.raises(BundleError, match="more than 5 redirects"):
            fetch(tree, "hop/6")
        with pytest.raises(BundleError, match="not http"):
            fetch(tree, "elsewhere")
    finally:
        tree.close()


def test_the_locations_credentials_are_sent_as_basic_authentication(depot: Depot) -> None:
    port = depot.server_address[1]
    tree = UrlTree(f"http://mirror:s3cr%40t@127.0.0.1:{port}/")
    try:
        assert fetch(tree, "hop/1") == BODY
    finally:
        tree.close()
    expected = "Basic " + base64.b64encode(b"mirror:s3cr@t").decode()
    assert [auth for _, auth, _ in depot.requests] == [expected, expected]


def test_a_transfer_cut_short_is_an_error_that_says_so(depot: Depot) -> None:
    tree = UrlTree(depot.url)
    try:
        with pytest.raises(BundleError, match=f"ended after 1000 of {len(BODY)} bytes"):
            fetch(tree, "cut")
        with pytest.raises(BundleError, match=f"ended after 1000 of {len(BODY)} bytes"), tree.open("cut") as f:
            while f.read(4096):  # read as a VIB is, a piece at a time
                pass
        assert fetch(tree, "files/a.vib") == BODY  # and the next file comes on a new connection
    finally:
        tree.close()


def test_an_answer_encoded_unasked_or_missing_is_refused(depot: Depot) -> None:
    tree = UrlTree(depot.url)
    try:
        with pytest.raises(BundleError, match=r"encoded \(gzip\)"):
            fetch(tree, "gzipped")
        with pytest.raises(BundleError, match="HTTP 404"):
            fetch(tree, "missing")
    finally:
        tree.close()
    assert all(auth is None for _, auth, _ in depot.requests)


def test_a_server_that_cannot_be_reached_is_named(tmp_path: Path) -> None:
    probe = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = probe.server_address[1]
    probe.server_close()  # nothing listens there now
    tree = UrlTree(f"http://127.0.0.1:{port}/")
    with pytest.raises(BundleError, match=f"cannot read index.xml from http://127.0.0.1:{port}/: .*refused"):
        fetch(tree, "index.xml")


def test_https_is_checked_against_what_the_caller_trusts(depot: Depot, tmp_path: Path) -> None:
    cert, key = ensure_certificate(tmp_path)
    served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    served.load_cert_chain(cert, key)
    depot.socket = served.wrap_socket(depot.socket, server_side=True)
    untrusting = UrlTree(depot.url)  # the system's CAs: a self-signed certificate is not among them
    with pytest.raises(BundleError, match="certificate is not trusted"):
        fetch(untrusting, "files/a.vib")
    trust = ssl.create_default_context(cafile=str(cert))
    trusting = UrlTree(depot.url, verify=trust)
    try:
        assert fetch(trusting, "files/a.vib") == BODY
    finally:
        trusting.close()


def test_closing_the_tree_ends_a_read_blocked_on_a_silent_server(depot: Depot) -> None:
    tree = UrlTree(depot.url)
    failed: list[BaseException] = []

    def read() -> None:
        try:
            fetch(tree, "silent")
        except BaseException as exc:
            failed.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    while not depot.requests:
        time.sleep(0.01)
    time.sleep(0.05)
    started = time.monotonic()
    tree.close()
    reader.join(5)
    assert not reader.is_alive() and time.monotonic() - started < 5
    assert failed and isinstance(failed[0], BundleError)
