"""The same server on PostgreSQL (by URL) instead of the embedded SQLite:
login, a draft commit, a stage whose bytes land on disk, compliance, and a
task that survives a restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import commit_draft, host_compliance, stage, staged_files, wait_task
from postgres import postgres_server
from vlcmsim.testing import Server, start_server


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


def test_two_servers_starting_at_once_on_an_empty_database_take_turns(postgres_url: str, tmp_path: Path) -> None:
    """Two replicas of a Deployment start together on a new database and one data volume."""
    import threading

    from sqlalchemy import create_engine, text

    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE race"))
    admin.dispose()
    url = postgres_url.rsplit("/", 1)[0] + "/race"
    data = tmp_path / "shared"
    servers: list[Server] = []
    failures: list[BaseException] = []

    def start() -> None:
        try:
            servers.append(start_server(data, "--database-url", url))
        except BaseException as exc:  # a server that could not start
            failures.append(exc)

    threads = [threading.Thread(target=start) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    try:
        assert not failures and len(servers) == 2, failures
        for srv in servers:
            with srv.client() as c:
                assert len(c.get("/api/vcenter/cluster").json()) == 3
        engine = create_engine(url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM vlcmsim_meta WHERE key = 'store_id'")).scalar() == 1
            assert conn.execute(text("SELECT count(*) FROM hosts")).scalar() == 11  # seeded once
        engine.dispose()
    finally:
        for srv in servers:
            srv.stop()


def test_the_image_repository_alternative_images_and_an_estate_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    """vSphere 9's repository and alternative images walked over REST on a database of their own;
    that server's estate, exported, is served again over PostgreSQL (its bulk writes) and is the same."""
    from sqlalchemy import create_engine, text
    from test_estate import export
    from test_repository_walk import repository_walk

    from vlcmsim.estate.model import comparable

    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE family"))
        conn.execute(text("CREATE DATABASE twin"))
    admin.dispose()
    base = postgres_url.rsplit("/", 1)[0]
    srv = start_server(tmp_path / "a", "--database-url", f"{base}/family")
    try:
        with srv.client() as c:
            repository_walk(c, "rest")
        first = export(srv, tmp_path / "a.json")
    finally:
        srv.stop()
    cluster_a = first["datacenters"][0]["clusters"][0]
    assert cluster_a["desired"]["alternative_images"]["1"]["display_name"] == "HPE servers"
    twin = start_server(tmp_path / "b", "--database-url", f"{base}/twin", "--estate", str(tmp_path / "a.json"))
    try:
        assert comparable(export(twin, tmp_path / "b.json")) == comparable(first)
    finally:
        twin.stop()
