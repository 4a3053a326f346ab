"""The same server on PostgreSQL (by URL) instead of the embedded SQLite:
login, a draft commit, a stage whose bytes land on disk, compliance, and a
task that survives a restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import commit_draft, host_compliance, stage, staged_files, wait_task
from postgres import postgres_server
from vlcmsim.testing import start_server


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


def test_stage_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    srv = start_server(data, "--database-url", postgres_url)
    try:
        with srv.client() as c:
            assert [x["name"] for x in c.get("/api/vcenter/cluster").json()] == ["Cluster-A", "Cluster-B", "Legacy"]
            assert commit_draft(c, "domain-c1", {"bnxtnet": "227.0.130.0-1OEM.800.1.0.20613240"}) == "2"
            task = stage(c, hosts=["host-1", "host-2"]).json()
            info = wait_task(c, task)
            assert info["status"] == "SUCCEEDED"
            assert sorted(info["result"]["successful_hosts"]) == ["host-1", "host-2"]
            assert len(staged_files(data, "host-1")) == 7
            compliance = host_compliance(c, "host-1")
            assert compliance["stage_status"] == "STAGED"
            sid = c.headers["vmware-api-session-id"]
    finally:
        srv.stop()
    assert not (data / "vlcmsim.db").exists()  # nothing went to SQLite
    again = start_server(data, "--database-url", postgres_url)
    try:
        with again.client(None) as c:
            c.headers["vmware-api-session-id"] = sid
            info = c.get(f"/api/cis/tasks/{task}").json()
            assert info["status"] == "SUCCEEDED" and info["result"]["commit"] == "2"
    finally:
        again.stop()
