"""vlcmsim as a small distributed system on one machine: a throwaway
PostgreSQL, two `vlcmsim serve --hosts external` processes over it (their own
data dirs, one payload folder), and two host agents splitting Cluster-A's hosts,
each told both servers' URLs. The tests run in order over the same estate."""

from __future__ import annotations

import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from helpers import commit_draft, sim, stage, staged_files, wait_running, wait_task
from postgres import postgres_server
from vlcmsim.testing import ADMIN, Agent, Server, restart, start_agent, start_server

LSI_MR3 = "7.720.04.00-1OEM.800.1.0.20613240"
BNXTNET = "227.0.130.0-1OEM.800.1.0.20613240"
A_HOSTS, B_HOSTS = ["host-1", "host-2"], ["host-3", "host-4"]
SLOW = 100 * 1024  # bytes per second: a stage of a few payloads takes seconds


@dataclass
class Estate:
    one: Server
    two: Server
    agent_a: Agent
    agent_b: Agent

    def agent_of(self, host: str) -> Agent:
        return self.agent_a if host in A_HOSTS else self.agent_b


def fresh_database(url: str, name: str) -> str:
    """A database of its own on the throwaway PostgreSQL server."""
    base = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory, postgres: str) -> Iterator[Estate]:
    root = tmp_path_factory.mktemp("estate")
    config = root / "vlcmsim.toml"
    # a dead worker or agent is noticed within two seconds here (five by default)
    config.write_text("[server]\nworker_heartbeat_seconds = 0.5\nworker_dead_seconds = 2.0\n")
    url = fresh_database(postgres, "estate")
    common = ["--database-url", url, "--hosts", "external", "--payload-dir", str(root / "payloads")]
    one = start_server(root / "one", *common, "--config", str(config))
    wait_up(one)
    two = start_server(root / "two", *common, "--config", str(config))
    wait_up(two)
    a = start_agent([one, two], root / "agent-a", "--hosts", ",".join(A_HOSTS))
    b = start_agent([two, one], root / "agent-b", "--hosts", ",".join(B_HOSTS))
    estate = Estate(one, two, a, b)
    with estate.one.client() as c:
        wait_connected(c, A_HOSTS + B_HOSTS)
    yield estate
    for p in (estate.agent_a, estate.agent_b):
        if p.process.poll() is None:
            p.stop()
    for s in (estate.one, estate.two):
        if s.process.poll() is None:
            s.stop()


def wait_up(server: Server) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with server.client() as c:
                if c.get("/api/vcenter/cluster").status_code == 200:
                    return
        except (httpx.HTTPError, AssertionError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"{server.url} did not answer")


def connection_states(c: httpx.Client) -> dict[str, str]:
    return {h["host"]: h["connection_state"] for h in c.get("/api/vcenter/host?clusters=domain-c1").json()}


def wait_connected(c: httpx.Client, hosts: list[str], state: str = "CONNECTED", timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = connection_states(c)
        if all(states[h] == state for h in hosts):
            return
        time.sleep(0.1)
    raise AssertionError(f"hosts {hosts} not {state}: {connection_states(c)}")


def agent_files(agent: Agent, host: str) -> dict[str, tuple[int, int]]:
    return staged_files(agent.data_dir, host)


def slow(c: httpx.Client, hosts: list[str], bandwidth: int) -> None:
    for h in hosts:
        sim(c, h, bandwidth_bytes_per_s=bandwidth)


def why(info: dict[str, Any]) -> dict[str, list[str]]:
    """Each failed host's errors, for an assertion's message."""
    return {
        h: [e["message"]["default_message"] for e in v.get("notifications", {}).get("errors", [])]
        for h, v in (info.get("result") or {}).get("host_status", {}).items()
        if v["status"] != "OK"
    }


def statuses(info: dict[str, Any]) -> dict[str, str]:
    return {h: v["status"] for h, v in info["result"]["host_status"].items()}


def test_a_stage_posted_to_one_server_is_polled_on_the_other_and_lands_in_both_agents(estate: Estate) -> None:
    with estate.one.client() as one, estate.two.client() as two:
        sim(one, "host-4", corrupt_downloads=1)  # a fault set through /sim reaches host-4's agent
        task = stage(one).json()
        info = wait_task(two, task)
        assert info["status"] == "SUCCEEDED", why(info)
        assert sim(two, "host-4")["corrupt_downloads"] == 0  # played (and caught by the sha-256 check, tried again)
        assert sorted(info["result"]["successful_hosts"]) == A_HOSTS + B_HOSTS
        listed = two.get("/api/cis/tasks", params={"tasks": task}).json()
        assert list(listed) == [task]
        for host in A_HOSTS + B_HOSTS:
            assert len(agent_files(estate.agent_of(host), host)) == 6  # in the agent's own data dir
            other = estate.agent_b if host in A_HOSTS else estate.agent_a
            assert agent_files(other, host) == {}
        compliance = two.get("/api/esx/settings/clusters/domain-c1/software/compliance").json()
        assert compliance["stage_status"] == "STAGED"


def test_a_session_deleted_on_one_server_is_refused_on_the_other(estate: Estate) -> None:
    with estate.one.client() as one:
        sid = one.headers["vmware-api-session-id"]
        with estate.two.client(None) as two:
            two.headers["vmware-api-session-id"] = sid
            assert two.get("/api/session").status_code == 200
            assert two.delete("/api/session").status_code == 204
        r = one.get("/api/session")
        assert r.status_code == 401, r.text


def test_a_read_repeated_on_one_server_sees_a_write_through_the_other_at_once(estate: Estate) -> None:
    """Each server answers a repeated read again while the store's snapshot stands (read with
    the session in one round trip): a draft created, a draft deleted and a logout through one
    server are seen by the very next read on the other."""
    drafts = "/api/esx/settings/clusters/domain-c2/software/drafts"
    with estate.one.client() as one, estate.two.client(None) as two:
        two.headers["vmware-api-session-id"] = one.headers["vmware-api-session-id"]
        before = two.get(drafts).json()
        assert two.get(drafts).json() == before  # answered again
        created = one.post(drafts)
        assert created.status_code == 201, created.text
        assert created.json() in two.get(drafts).json()
        assert one.delete(f"{drafts}/{created.json()}").status_code == 204
        assert two.get(drafts).json() == before
        assert two.get("/api/vcenter/cluster").status_code == 200
        assert two.get("/api/vcenter/cluster").status_code == 200
        assert one.delete("/api/session").status_code == 204
        assert two.get("/api/vcenter/cluster").status_code == 401


def test_every_write_through_one_server_is_seen_by_the_very_next_read_on_the_other(estate: Estate) -> None:
    """No round trip answers a repeated read (each server hears every commit through its
    change feed): over and over, a read kept on one server, a write through the other, the
    next read on the first — never the kept answer."""
    drafts = "/api/esx/settings/clusters/domain-c2/software/drafts"
    with estate.one.client() as one, estate.two.client(None) as two:
        two.headers["vmware-api-session-id"] = one.headers["vmware-api-session-id"]
        hits = read_cache_hits(two)
        for _ in range(40):
            before = two.get(drafts).json()
            assert two.get(drafts).json() == before  # kept
            created = one.post(drafts).json()
            assert created in two.get(drafts).json()
            assert one.delete(f"{drafts}/{created}").status_code == 204
            assert two.get(drafts).json() == before
        assert read_cache_hits(two) >= hits + 30  # answered again, not asked of the store each time


def read_cache_hits(c: httpx.Client) -> float:
    text = c.get("/metrics").text
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "vlcmsim_read_cache_hits_total"
    )


def test_a_logout_on_one_server_is_refused_by_the_next_read_on_the_other_every_time(estate: Estate) -> None:
    for _ in range(20):
        with estate.one.client() as one, estate.two.client(None) as two:
            two.headers["vmware-api-session-id"] = one.headers["vmware-api-session-id"]
            assert two.get("/api/vcenter/cluster").status_code == 200
            assert two.get("/api/vcenter/cluster").status_code == 200  # kept
            assert one.delete("/api/session").status_code == 204
            assert two.get("/api/vcenter/cluster").status_code == 401


def test_two_stages_of_one_cluster_at_once_one_per_server_give_one_task(estate: Estate) -> None:
    with estate.one.client() as one, estate.two.client() as two:
        assert commit_draft(one, "domain-c1", {"bnxtnet": BNXTNET}) == "2"
        slow(one, A_HOSTS + B_HOSTS, SLOW)
        answers: list[httpx.Response] = []
        start = threading.Barrier(2)

        def post(c: httpx.Client) -> None:
            start.wait()
            answers.append(stage(c))

        threads = [threading.Thread(target=post, args=(c,)) for c in (one, two)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = sorted(r.status_code for r in answers)
        assert 200 <= codes[0] < 300 and codes[1] == 400, [r.text for r in answers]
        refused = next(r for r in answers if r.status_code == 400).json()
        assert refused["error_type"] == "NOT_ALLOWED_IN_CURRENT_STATE"
        task = next(r for r in answers if r.status_code != 400).json()
        running = two.get(
            "/api/cis/tasks", params={"status": "RUNNING", "services": "com.vmware.esx.settings.clusters.software"}
        ).json()
        assert list(running) in ([task], [])  # it may have ended already only if it failed at once
        wait_running(two, task)
        # canceled through the other server: the worker running it stops it
        assert two.post(f"/api/cis/tasks/{task}?action=cancel").status_code == 204
        info = wait_task(one, task)
        assert info["status"] == "FAILED" and info["error"]["error_type"] == "CANCELED", info
        slow(one, A_HOSTS + B_HOSTS, 0)


def test_kill_9_of_the_server_running_a_task_ends_it_and_stages_go_on(estate: Estate) -> None:
    with estate.two.client() as two:
        slow(two, A_HOSTS + B_HOSTS, SLOW)
        with estate.one.client() as one:
            task = stage(one).json()
            wait_running(one, task)
        estate.one.process.kill()
        estate.one.process.wait()
        info = wait_task(two, task, timeout=30)
        assert info["status"] == "FAILED", info
        assert "server stopped" in info["error"]["messages"][0]["default_message"]
        slow(two, A_HOSTS + B_HOSTS, 0)
        again = stage(two)
        assert again.is_success, again.text  # the cluster is free again
        info = wait_task(two, again.json())
        assert info["status"] == "SUCCEEDED", why(info)
    estate.one = restart(estate.one)
    wait_up(estate.one)


def test_kill_9_of_a_host_agent_mid_stage_fails_its_hosts_only_and_a_restart_resumes(estate: Estate) -> None:
    with estate.two.client() as two:
        assert commit_draft(two, "domain-c1", {"Broadcom-lsi-mr3": LSI_MR3}) == "3"
        slow(two, A_HOSTS, SLOW // 4)
        task = stage(two).json()
        # agent B's hosts are done at once; agent A's are on their way
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            progress = two.get(f"/api/cis/tasks/{task}").json()["progress"]
            if progress["completed"] > progress["total"] // 2:
                break
            time.sleep(0.05)
        assert progress["completed"] < progress["total"], progress
        estate.agent_a.kill()
        info = wait_task(two, task, timeout=60)
        assert info["status"] == "FAILED", info
        hosts = statuses(info)
        assert {hosts[h] for h in A_HOSTS} <= {"ERROR", "TIMED_OUT"}, hosts
        assert all(hosts[h] == "OK" for h in B_HOSTS), hosts
        wait_connected(two, A_HOSTS, "NOT_RESPONDING")
        before = {h: agent_files(estate.agent_a, h) for h in A_HOSTS}

        slow(two, A_HOSTS, 0)
        a = estate.agent_a
        estate.agent_a = start_agent([estate.one, estate.two], a.data_dir, "--hosts", ",".join(A_HOSTS))
        wait_connected(two, A_HOSTS)
        again = stage(two).json()
        info = wait_task(two, again)
        assert info["status"] == "SUCCEEDED", info
        for h in A_HOSTS:
            after = agent_files(estate.agent_a, h)
            assert len(after) == len(before[h]) + 1  # the payload it was downloading
            # what the killed agent had complete was kept, not downloaded again
            assert {sha: after[sha] for sha in before[h]} == before[h]
        assert all(statuses(info)[h] in ("OK", "SKIPPED") for h in B_HOSTS)


def test_a_host_no_agent_runs_is_not_responding_to_a_stage(estate: Estate) -> None:
    with estate.two.client() as two:
        # host-10, standalone and behind its own image: no agent runs it
        task = two.post("/api/esx/settings/hosts/host-10/software?action=stage&vmw-task=true", json={}).json()
        info = wait_task(two, task)
        assert info["status"] == "FAILED"
        errors = info["result"]["status"]["notifications"]["errors"]
        assert "no host agent runs it" in errors[0]["message"]["default_message"], errors


def test_apply_installs_in_the_agents_and_the_cluster_complies(estate: Estate) -> None:
    with estate.one.client() as one:
        task = one.post(
            "/api/esx/settings/clusters/domain-c1/software?action=apply&vmw-task=true", json={"accept_eula": True}
        ).json()
        info = wait_task(one, task)
        assert info["status"] == "SUCCEEDED", info
        for host in A_HOSTS + B_HOSTS:
            agent = estate.agent_of(host)
            assert (agent.data_dir / "hosts" / host / "installed.json").is_file()
            assert agent_files(agent, host) == {}  # the staging area is emptied by the install
        compliance = one.get("/api/esx/settings/clusters/domain-c1/software/compliance").json()
        assert compliance["status"] == "COMPLIANT", compliance


def test_agents_need_the_agent_token(estate: Estate) -> None:
    r = httpx.post(
        f"{estate.two.url}/agent/work",
        json={"agent": "intruder", "wait": 0},
        headers={"authorization": "Bearer not-the-token"},
        verify=ssl.create_default_context(cafile=str(estate.two.cert)),
        trust_env=False,
    )
    assert r.status_code == 401
    with estate.two.client(ADMIN) as c:  # nor is an administrator's session enough
        assert c.post("/agent/work", json={"agent": "x"}).status_code == 401


def test_granian_workers_over_postgresql_serve_one_estate(postgres: str, tmp_path: Path) -> None:
    url = fresh_database(postgres, "workers")
    srv = start_server(tmp_path / "data", "--database-url", url, "--workers", "2")
    try:
        wait_up(srv)
        with srv.client() as c:
            # sessions made on either worker work on both (the connections land where they land)
            for _ in range(10):
                with srv.client() as other:
                    assert other.get("/api/session").status_code == 200
            info = wait_task(c, stage(c).json())
            assert info["status"] == "SUCCEEDED", info
            assert len(staged_files(tmp_path / "data", "host-1")) == 6
            # /metrics counts every worker's requests together, whichever worker answers it
            for _ in range(12):
                with srv.client() as other:
                    assert other.get("/api/vcenter/datacenter").status_code == 200
            counted = tmp_path / "data" / "metrics"
            assert len({f.stem.rsplit("_", 1)[-1] for f in counted.glob("counter_*.db")}) == 2  # both answered
            for _ in range(4):
                text = httpx.get(f"{srv.url}/metrics", verify=False, trust_env=False).text
                requests = {
                    (s.labels["operation"], s.labels["status"]): s.value
                    for family in text_string_to_metric_families(text)
                    for s in family.samples
                    if s.name == "vlcmsim_requests_total"
                }
                assert requests[("com.vmware.vcenter.datacenter.list", "200")] == 12
                assert requests[("com.vmware.cis.session.get", "200")] >= 10
    finally:
        srv.stop()
    assert "2 workers" in srv.log_path.read_text()


def test_several_workers_on_sqlite_are_refused_saying_why(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "vlcmsim.cli", "serve", "--data-dir", str(tmp_path), "--workers", "2"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "--workers 2 needs a store the workers share" in done.stderr
    assert "postgresql+psycopg://" in done.stderr
    assert not (tmp_path / "vlcmsim.db").exists()  # refused before anything was written
