"""Staged payloads are what their names say, or they do not count: a file that
went bad is noticed by compliance and stage, and install checks every byte."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from async_helpers import run_task

from vlcmsim.testing import InProcessServer

pytestmark = pytest.mark.anyio

CLUSTER = "/api/esx/settings/clusters/domain-c1/software"


def staged(app: InProcessServer, host: str) -> list[Path]:
    return sorted((app.backend.staging.folder(host)).iterdir())


async def stage_host_1(app: InProcessServer) -> httpx.AsyncClient:
    client = await app.client()
    info = await run_task(client, f"{CLUSTER}?action=stage&vmw-task=true", {"hosts": ["host-1"]})
    assert info["status"] == "SUCCEEDED", info
    compliance = (await client.get(f"{CLUSTER}/compliance")).json()["hosts"]["host-1"]
    assert compliance["stage_status"] == "STAGED"
    return client


async def test_a_truncated_staged_payload_is_not_staged_and_is_downloaded_again(app: InProcessServer) -> None:
    client = await stage_host_1(app)
    victim = staged(app, "host-1")[0]
    size = victim.stat().st_size
    victim.write_bytes(victim.read_bytes()[: size // 2])
    scan = await run_task(client, f"{CLUSTER}?action=scan&vmw-task=true", {})
    assert scan["result"]["hosts"]["host-1"]["stage_status"] == "NOT_STAGED"
    info = await run_task(client, f"{CLUSTER}?action=stage&vmw-task=true", {"hosts": ["host-1"]})
    assert info["result"]["host_status"]["host-1"]["progress"]["completed"] == size  # that payload only
    assert victim.stat().st_size == size


async def test_install_checks_every_byte_even_of_a_file_that_looks_unchanged(app: InProcessServer) -> None:
    client = await stage_host_1(app)
    victim = staged(app, "host-1")[0]
    before = victim.stat()
    data = bytearray(victim.read_bytes())
    data[0] ^= 0xFF
    with open(victim, "r+b") as f:  # same inode, same size, same modification time
        f.write(data)
    os.utime(victim, ns=(before.st_atime_ns, before.st_mtime_ns))
    body = {"hosts": ["host-1"], "accept_eula": True}
    info = await run_task(client, f"{CLUSTER}?action=apply&vmw-task=true", body)
    assert info["status"] == "FAILED"
    error = info["result"]["host_status"]["host-1"]["notifications"]["errors"][0]["message"]["default_message"]
    assert "missing or corrupted" in error
    assert not victim.exists()  # removed: the next run downloads it again
    info = await run_task(client, f"{CLUSTER}?action=apply&vmw-task=true", body)
    assert info["status"] == "SUCCEEDED", info
