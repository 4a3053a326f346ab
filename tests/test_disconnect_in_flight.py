"""A host disconnected while a payload is in flight stops downloading within a
moment and fails its work (it once went on and ended "staged" while
DISCONNECTED); and an apply's task message says what its hosts do now."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from helpers import sim, wait_task
from vlcmsim.testing import Server, start_server


def test_a_host_disconnected_mid_download_stops_and_fails(fresh_admin: httpx.Client) -> None:
    sim(fresh_admin, "host-1", bandwidth_bytes_per_s=20_000)
    task = fresh_admin.post(
        "/api/esx/settings/clusters/domain-c1/software?action=stage&vmw-task=true", json={"hosts": ["host-1"]}
    ).json()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until 64 KiB of the first payload have arrived
        info = fresh_admin.get(f"/api/cis/tasks/{task}").json()
        done = ((info.get("result") or {}).get("host_status") or {}).get("host-1", {}).get("progress", {})
        if done.get("completed", 0) >= 64 * 1024:
            break
        time.sleep(0.1)
    sim(fresh_admin, "host-1", connection_state="DISCONNECTED")
    ended = wait_task(fresh_admin, task, timeout=10)  # a moment, not the rest of a 20 kB/s download
    host = ended["result"]["host_status"]["host-1"]
    assert host["status"] == "ERROR", host
    errors = [n["message"]["default_message"] for n in host["notifications"]["errors"]]
    assert any("was disconnected while it downloaded" in e for e in errors), errors


@pytest.fixture
def slow_server(tmp_path: Path) -> Iterator[Server]:
    srv = start_server(tmp_path / "data", time_scale=0.05)
    yield srv
    srv.stop()


def test_an_applys_message_says_what_its_hosts_do(slow_server: Server) -> None:
    with slow_server.client() as admin:
        task = admin.post(
            "/api/esx/settings/clusters/domain-c1/software?action=apply&vmw-task=true",
            json={"accept_eula": True, "hosts": ["host-1"]},
        ).json()
        seen = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            info = admin.get(f"/api/cis/tasks/{task}").json()
            seen.add(info.get("progress", {}).get("message", {}).get("default_message"))
            if info["status"] in ("SUCCEEDED", "FAILED"):
                break
            time.sleep(0.05)
        assert info["status"] == "SUCCEEDED"
        assert "Rebooting esx-a1.vlcmsim.local" in seen and "Staging" not in seen, seen
