"""Tests start a real server on a free port and speak to it over the wire."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from helpers import U3C, cli, serve
from vlcmsim.testing import ADMIN, READONLY, Server, start_server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # file:// imports read what tests write under pytest's temporary folder
    srv = start_server(tmp_path_factory.mktemp("srv") / "data", "--import-dir", str(tmp_path_factory.getbasetemp()))
    yield srv
    srv.stop()


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[Server]:
    """A server of its own, for tests that change state or restart it."""
    srv = start_server(tmp_path / "data", "--import-dir", str(tmp_path))
    yield srv
    if srv.process.poll() is None:
        srv.stop()


@pytest.fixture
def admin(server: Server) -> Iterator[httpx.Client]:
    c = server.client(ADMIN)
    yield c
    c.close()


@pytest.fixture
def readonly(server: Server) -> Iterator[httpx.Client]:
    c = server.client(READONLY)
    yield c
    c.close()


@pytest.fixture
def anonymous(server: Server) -> Iterator[httpx.Client]:
    c = server.client(None)
    yield c
    c.close()


@pytest.fixture
def fresh_admin(fresh_server: Server) -> Iterator[httpx.Client]:
    c = fresh_server.client(ADMIN)
    yield c
    c.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A folder holding one bundle (ESXi 8.0 U3c, written by vlcmsim's writer) served as an online depot."""
    folder = tmp_path / "depot"
    folder.mkdir()
    built = cli("depot", "build", str(folder / "u3c.zip"), "--base-image", f"{U3C}:8.0 U3c", "--payload-size", "1M")
    assert built.returncode == 0, built.stderr
    url, process = serve(folder)
    yield url, folder
    process.kill()
    process.wait()
