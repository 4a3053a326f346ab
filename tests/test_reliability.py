"""Findings of the adversarial run that need real sockets: silent TLS connections
that once locked every client out, and `vlcmsim depot serve` keeping idle and
slow-header connections for ever."""

from __future__ import annotations

import resource
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from vlcmsim.testing import Server, free_port, start_server

IDLERS = 1100  # more than granian's default cap of 1,024 connections


@pytest.fixture
def quick_timeout_server(tmp_path: Path) -> Iterator[Server]:
    config = tmp_path / "vlcmsim.toml"
    config.write_text("[server]\nheader_read_timeout_seconds = 2\n")
    srv = start_server(tmp_path / "data", "--config", str(config))
    yield srv
    srv.stop()


def _room_for(sockets: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < sockets + 200:
        if hard != resource.RLIM_INFINITY and hard < sockets + 200:
            pytest.fail(f"this machine allows only {hard} open files; the test needs {sockets + 200}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (sockets + 200, hard))


def _closed(sock: socket.socket) -> bool:
    sock.settimeout(0.2)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except OSError:
        return True


def _wait_all_closed(socks: list[socket.socket], within: float) -> int:
    """How many are still open after `within` seconds (polled: this is a liveness check, not a timing)."""
    deadline = time.monotonic() + within
    open_ = list(socks)
    while open_ and time.monotonic() < deadline:
        open_ = [s for s in open_ if not _closed(s)]
    return len(open_)


def test_silent_tls_connections_neither_lock_clients_out_nor_stay(quick_timeout_server: Server) -> None:
    """1,024 handshaken, silent connections once locked out every new client until they went,
    and they never went."""
    _room_for(IDLERS)
    context = ssl.create_default_context(cafile=str(quick_timeout_server.cert))
    port = int(quick_timeout_server.url.rsplit(":", 1)[1])
    idlers = []
    for _ in range(IDLERS):
        raw = socket.create_connection(("127.0.0.1", port), timeout=5)
        idlers.append(context.wrap_socket(raw, server_hostname="127.0.0.1"))  # the handshake completes
    try:
        with quick_timeout_server.client() as client:  # a real client, while they idle
            assert client.get("/api/vcenter/cluster", timeout=5).status_code == 200
        assert _wait_all_closed(idlers, within=20) == 0
    finally:
        for s in idlers:
            s.close()


def test_depot_serve_closes_silent_and_slow_header_connections(tmp_path: Path) -> None:
    (tmp_path / "index.xml").write_text("<vendorList/>")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "vlcmsim.cli", "depot", "serve", str(tmp_path), "--port", str(port)]
        + ["--header-timeout", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        silent = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(150)]
        slow = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(150)]
        for s in slow:
            s.sendall(b"GET /index.xml HTTP/1.1\r\nHost: x\r\n")  # and never the end of the head
        assert httpx.get(f"http://127.0.0.1:{port}/index.xml", timeout=5).text == "<vendorList/>"
        assert _wait_all_closed(silent + slow, within=15) == 0
        for s in silent + slow:
            s.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
