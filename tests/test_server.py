"""The server as a program: configuration, sizing flags, session expiry,
tasks that outlive a stop."""

from __future__ import annotations

import ssl
import time
from pathlib import Path

import httpx
import pytest

from helpers import wait_task
from vlcmsim.testing import ADMIN, start_server, store_task


def test_a_config_file_describes_users_and_inventory(tmp_path: Path) -> None:
    config = tmp_path / "lab.toml"
    config.write_text(
        """
[server]
session_idle_seconds = 1

[users."ops@corp.local"]
password = "pw"
role = "admin"

[[datacenters]]
name = "DC-West"
  [[datacenters.clusters]]
  name = "Prod"
  hosts = 2
  [[datacenters.clusters]]
  name = "Old"
  image_managed = false
  hosts = [{ name = "esx-old.example.com", connection_state = "DISCONNECTED" }]
"""
    )
    srv = start_server(tmp_path / "data", "--config", str(config))
    try:
        with srv.client(("ops@corp.local", "pw")) as c:
            assert [x["name"] for x in c.get("/api/vcenter/datacenter").json()] == ["DC-West"]
            assert [x["name"] for x in c.get("/api/vcenter/cluster").json()] == ["Prod", "Old"]
            hosts = c.get("/api/vcenter/host").json()
            assert [(h["name"], h["connection_state"]) for h in hosts] == [
                ("esx-prod-1.vlcmsim.local", "CONNECTED"),
                ("esx-prod-2.vlcmsim.local", "CONNECTED"),
                ("esx-old.example.com", "DISCONNECTED"),
            ]
            # the default users are gone
            r = httpx.post(
                f"{srv.url}/api/session",
                auth=ADMIN,
                verify=ssl.create_default_context(cafile=str(srv.cert)),
                trust_env=False,
            )
            assert r.status_code == 401
            # sessions expire after the configured idle time
            time.sleep(1.5)
            assert c.get("/api/vcenter/cluster").status_code == 401
    finally:
        srv.stop()


def test_flags_size_the_default_inventory(tmp_path: Path) -> None:
    srv = start_server(tmp_path / "data", "--clusters", "3", "--hosts-per-cluster", "5")
    try:
        with srv.client() as c:
            clusters = c.get("/api/vcenter/cluster").json()
            assert [x["name"] for x in clusters] == ["Cluster-A", "Cluster-B", "Cluster-C", "Legacy"]
            assert len(c.get("/api/vcenter/host", params={"clusters": clusters[2]["cluster"]}).json()) == 5
    finally:
        srv.stop()


def test_a_task_running_when_the_server_stopped_is_failed_at_the_next_start(tmp_path: Path) -> None:
    from vlcmsim.vapi.errors import Message

    data = tmp_path / "data"
    # what a killed server leaves in its store
    task = store_task(
        data, status="RUNNING", progress=(100, 40, Message("com.vmware.vcIntegrity.lifecycle.Progress", "Staging"))
    )
    srv = start_server(data)
    try:
        with srv.client() as c:
            info = c.get(f"/api/cis/tasks/{task}").json()
            assert info["status"] == "FAILED"
            assert info["progress"]["completed"] == 40
            assert info["end_time"] >= info["start_time"]
            assert "server stopped" in info["error"]["messages"][0]["default_message"]
            listed = c.post("/api/cis/tasks?action=list", json={"filter_spec": {"status": ["FAILED"]}}).json()
            assert task in listed
    finally:
        srv.stop()


def test_uvicorn_serves_the_same_application(tmp_path: Path) -> None:
    srv = start_server(tmp_path / "data", "--server", "uvicorn")
    try:
        with srv.client() as c:
            assert [x["name"] for x in c.get("/api/vcenter/cluster").json()][:2] == ["Cluster-A", "Cluster-B"]
            assert c.get("/api/vcenter/cluster/domain-c404").status_code == 404
            # the payload repository streams files over ASGI too
            state = c.get("/sim/hosts/host-1").json()
            assert state["staged_payloads"] == []
    finally:
        srv.stop()


@pytest.mark.parametrize("front_end", ["granian", "uvicorn"])
def test_both_http_servers_decode_a_path_once(tmp_path: Path, front_end: str) -> None:
    srv = start_server(tmp_path / "data", "--server", front_end)
    try:
        with srv.client() as c:
            assert c.get("/api/vcenter/cluster/domain%2Dc1").status_code == 200
            twice = c.get("/api/vcenter/cluster/domain%252Dc1")
            assert twice.status_code == 404 and twice.json()["messages"][0]["args"] == ["domain%2Dc1"]
            slash = c.get("/api/vcenter/cluster/domain-c1%2Fsoftware")
            assert slash.status_code == 404
    finally:
        srv.stop()


def test_ended_tasks_are_dropped_after_the_retention(tmp_path: Path) -> None:
    config = tmp_path / "short.toml"
    config.write_text("[server]\ntask_retention_seconds = 1\n")
    data = tmp_path / "data"
    srv = start_server(data, "--config", str(config))
    try:
        with srv.client() as c:
            draft = c.post("/api/esx/settings/clusters/domain-c2/software/drafts").json()
            task = c.post(
                f"/api/esx/settings/clusters/domain-c2/software/drafts/{draft}?action=commit&vmw-task=true", json={}
            ).json()
            assert wait_task(c, task)["status"] == "SUCCEEDED"
            sid = c.headers["vmware-api-session-id"]
    finally:
        srv.stop()
    time.sleep(1.2)
    again = start_server(data, "--config", str(config))  # the purge runs at start (and every 5 minutes)
    try:
        with again.client(None) as c:
            c.headers["vmware-api-session-id"] = sid
            assert c.get(f"/api/cis/tasks/{task}").status_code == 404
    finally:
        again.stop()


@pytest.mark.parametrize("front_end", ["granian", "uvicorn"])
def test_a_body_that_does_not_arrive_in_time_is_refused(tmp_path: Path, front_end: str) -> None:
    import socket

    config = tmp_path / "slow.toml"
    config.write_text("[server]\nbody_read_timeout_seconds = 0.5\nheader_read_timeout_seconds = 1\n")
    srv = start_server(tmp_path / "data", "--config", str(config), "--server", front_end, tls=False)
    try:
        port = int(srv.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
            answer = s.recv(4096)
        assert answer.startswith(b"HTTP/1.1 408"), answer
        if front_end == "granian":  # granian's own header timeout; uvicorn has none
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(b"GET /api/vcenter/clus")
                assert s.recv(4096) in (b"", b"HTTP/1.1 408 Request Timeout\r\n\r\n")  # not left open
    finally:
        srv.stop()
