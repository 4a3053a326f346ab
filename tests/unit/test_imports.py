"""Imports (depots and software specs, PULL) read only what they may, bounded
in size and time, cancelable, and their errors never show the server's files."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from async_helpers import wait_task

from vlcmsim.testing import InProcessServer

pytestmark = pytest.mark.anyio

DEPOTS = "/api/esx/settings/depots/offline?vmw-task=true"
IMPORT_SPEC = "/api/esx/settings/clusters/domain-c2/software/drafts?action=import-software-spec"


async def import_depot(client: httpx.AsyncClient, location: str) -> dict[str, Any]:
    r = await client.post(DEPOTS, json={"source_type": "PULL", "location": location})
    assert r.status_code == 202, r.text
    return await wait_task(client, r.json())


def message(info: dict[str, Any]) -> str:
    text: str = info["error"]["messages"][0]["default_message"]
    return text


async def test_file_locations_outside_the_import_directories_are_refused_alike(app: InProcessServer) -> None:
    client = await app.client()
    for location in ("file:///dev/zero", "file:///etc/passwd", "file:///no/such/file.zip"):
        info = await import_depot(client, location)
        assert info["status"] == "FAILED"
        assert "must be inside an allowed import directory" in message(info), message(info)
    r = await client.post(IMPORT_SPEC, json={"source_type": "PULL", "location": "file:///etc/passwd"})
    assert r.status_code == 500 and "root:" not in r.text  # import declares the std Error only
    assert "allowed import directory" in r.json()["messages"][0]["default_message"]


async def test_a_link_out_of_an_import_directory_and_a_fifo_are_refused(app: InProcessServer) -> None:
    client = await app.client()
    imports = app.app.settings.data_dir / "import"
    (imports / "zero.zip").symlink_to("/dev/zero")
    info = await import_depot(client, (imports / "zero.zip").as_uri())
    assert "allowed import directory" in message(info)
    os.mkfifo(imports / "pipe.zip")
    info = await import_depot(client, (imports / "pipe.zip").as_uri())
    assert "not a regular file" in message(info)


async def test_a_software_spec_is_read_up_to_its_limit_and_its_values_never_shown(app: InProcessServer) -> None:
    client = await app.client()
    imports = app.app.settings.data_dir / "import"
    big = imports / "big.json"
    with open(big, "wb") as f:
        f.truncate(8 * 1024 * 1024)  # sparse: 8 MiB of zeros, past the 1 MiB limit
    r = await client.post(IMPORT_SPEC, json={"source_type": "PULL", "location": big.as_uri()})
    assert r.status_code == 500 and "larger than" in r.json()["messages"][0]["default_message"]
    secret = imports / "secret.json"
    secret.write_text('{"db_password": "hunter2", "base_image": {"version": "x"}}')
    r = await client.post(IMPORT_SPEC, json={"source_type": "PULL", "location": secret.as_uri()})
    assert r.status_code == 500 and r.json()["error_type"] == "ERROR"
    assert "hunter2" not in r.text and "db_password" not in r.text


class SlowDepot:
    """An HTTP server on loopback that redirects for ever, or trickles bytes."""

    def __init__(self) -> None:
        self.server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> SlowDepot:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self.server is not None
        self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode()
            path = head.split(" ")[1]
            if path.startswith("/loop"):
                n = int(path.rsplit("/", 1)[1])
                writer.write(f"HTTP/1.1 302 Found\r\nLocation: /loop/{n + 1}\r\nContent-Length: 0\r\n\r\n".encode())
            else:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n")
                for _ in range(600):
                    writer.write(b"x")
                    await writer.drain()
                    await asyncio.sleep(0.1)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


async def test_redirects_are_bounded(app: InProcessServer) -> None:
    client = await app.client()
    async with SlowDepot() as depot:
        info = await import_depot(client, f"http://127.0.0.1:{depot.port}/loop/0")
    assert info["status"] == "FAILED" and "redirects" in message(info)


async def test_an_import_that_trickles_can_be_canceled_and_leaves_nothing(app: InProcessServer) -> None:
    client = await app.client()
    tmp = app.backend.payloads.tmp
    async with SlowDepot() as depot:
        r = await client.post(DEPOTS, json={"source_type": "PULL", "location": f"http://127.0.0.1:{depot.port}/b.zip"})
        task = r.json()
        await asyncio.sleep(0.5)
        assert list(tmp.iterdir())  # the bundle is on its way
        assert (await client.post(f"/api/cis/tasks/{task}?action=cancel")).status_code == 204
        info = await wait_task(client, task)
    assert info["error"]["error_type"] == "CANCELED"
    assert list(tmp.iterdir()) == []


async def test_an_import_that_trickles_past_its_deadline_fails(tmp_path: Path) -> None:
    from vlcmsim.testing import in_process

    async with in_process(tmp_path / "data", fetch_timeout_seconds=0.5) as server:
        client = await server.client()
        async with SlowDepot() as depot:
            info = await import_depot(client, f"http://127.0.0.1:{depot.port}/b.zip")
    assert info["status"] == "FAILED" and "within 0.5 seconds" in message(info)
