"""Software.stage of a cluster, end to end: the official SDK, the REST
validation errors in vLCM's order, simulated host faults, and the bytes that
land in each host's staging area."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest
from com.vmware.esx.settings.clusters_client import Software

from helpers import commit_draft, host_compliance, sim, stage, staged_files, wait_mid_download, wait_running, wait_task
from sdk import vsphere_client
from vlcmsim.testing import READONLY, Server, start_server

CLUSTER_A = [f"host-{n}" for n in (1, 2, 3, 4)]
I40EN_OLD = "1.11.3.0-1OEM.800.1.0.20143090"
BNXTNET = "227.0.130.0-1OEM.800.1.0.20613240"


def test_sdk_stages_a_cluster_and_a_second_stage_skips_every_host(fresh_server: Server) -> None:
    client = vsphere_client(fresh_server)
    software = Software(client._stub_config)
    task = software.stage_task("domain-c1", Software.StageSpec())
    assert task.get_task_id().endswith(":com.vmware.esx.settings.clusters.software")
    statuses = []
    while (info := task.get_info()).status not in ("SUCCEEDED", "FAILED"):
        statuses.append(info.status)
        time.sleep(0.05)
    assert info.status == "SUCCEEDED", info.error
    result = task.get_result()
    assert result.commit == "1"
    assert result.status.status == Software.StageStatus.Status.OK
    assert result.successful_hosts == set(CLUSTER_A) and not result.failed_hosts and not result.skipped_hosts
    assert {h: i.name for h, i in result.host_info.items()} == {
        f"host-{n}": f"esx-a{n}.vlcmsim.local" for n in (1, 2, 3, 4)
    }
    for status in result.host_status.values():
        assert status.status == Software.StageStatus.Status.OK
        assert status.start_time <= status.end_time
        assert status.progress.completed == status.progress.total > 0
    # every host holds the same verified payloads
    files = {h: staged_files(fresh_server.data_dir, h) for h in CLUSTER_A}
    assert len(files["host-1"]) == 6
    assert all(set(f) == set(files["host-1"]) for f in files.values())

    again = software.stage_task("domain-c1", Software.StageSpec(hosts={"host-1", "host-2"}))
    while again.get_info().status not in ("SUCCEEDED", "FAILED"):
        time.sleep(0.05)
    second = again.get_result()
    assert second.skipped_hosts == {"host-1", "host-2"} and not second.successful_hosts
    assert set(second.host_status) == {"host-1", "host-2"}
    assert all(
        s.status == Software.StageStatus.Status.SKIPPED and s.progress is None for s in second.host_status.values()
    )
    assert staged_files(fresh_server.data_dir, "host-1") == files["host-1"]  # no byte moved


def test_a_compliant_cluster_is_skipped(admin: httpx.Client) -> None:
    info = wait_task(admin, stage(admin, "domain-c2").json())
    assert info["status"] == "SUCCEEDED"
    assert sorted(info["result"]["skipped_hosts"]) == ["host-5", "host-6", "host-7"]
    assert info["result"]["status"]["status"] == "OK"


def test_validation_errors_come_in_order_before_any_task(server: Server, admin: httpx.Client) -> None:
    with server.client(None) as anonymous:
        assert stage(anonymous).status_code == 401
    with server.client(READONLY) as readonly:
        r = stage(readonly)
        assert r.status_code == 403 and r.json()["error_type"] == "UNAUTHORIZED"

    def error(r: httpx.Response, status: int, error_type: str, text: str) -> None:
        assert r.status_code == status, r.text
        body = r.json()
        assert body["error_type"] == error_type
        assert text in body["messages"][0]["default_message"], body

    url = "/api/esx/settings/clusters/domain-c1/software?action=stage&vmw-task=true"
    error(
        admin.post(url, content=b"[1]", headers={"content-type": "application/json"}), 400, "INVALID_ARGUMENT", "object"
    )
    error(admin.post(url, json={"hosts": "host-1"}), 400, "INVALID_ARGUMENT", "hosts")
    error(admin.post(url, json={"hots": ["host-1"]}), 400, "INVALID_ARGUMENT", "'hots'")
    error(stage(admin, "domain-c404"), 404, "NOT_FOUND", "Cluster domain-c404 not found")
    error(stage(admin, "domain-c3"), 400, "INVALID_ARGUMENT", "not managed with a single software specification")
    error(stage(admin, commit="99"), 400, "INVALID_ARGUMENT", "Commit 99")
    error(stage(admin, hosts=["host-1", "host-77"]), 400, "INVALID_ARGUMENT", "host-77")
    error(stage(admin, hosts=["host-5"]), 400, "INVALID_ARGUMENT", "host-5 is not part of cluster domain-c1")
    # without vmw-task there is no synchronous stage
    assert admin.post("/api/esx/settings/clusters/domain-c1/software?action=stage", json={}).status_code == 404


def test_an_image_managed_cluster_without_a_desired_document_is_not_found(tmp_path: Path) -> None:
    srv = start_server(tmp_path / "data", "--clusters", "3", "--hosts-per-cluster", "1")
    try:
        with srv.client() as c:
            cluster_c = c.get("/api/vcenter/cluster", params={"names": "Cluster-C"}).json()[0]["cluster"]
            r = stage(c, cluster_c)
            assert r.status_code == 404
            assert "no desired software document" in r.json()["messages"][0]["default_message"]
    finally:
        srv.stop()


def test_another_operation_in_progress_is_refused(fresh_server: Server) -> None:
    with fresh_server.client() as c:
        sim(c, "host-1", bandwidth_bytes_per_s=1024 * 1024)  # ~2 s for its 2.25 MiB
        task = stage(c).json()
        wait_running(c, task)
        r = stage(c, hosts=["host-2"])
        assert r.status_code == 400
        assert r.json()["error_type"] == "NOT_ALLOWED_IN_CURRENT_STATE"
        assert "Another operation is in progress" in r.json()["messages"][0]["default_message"]
        draft = c.post("/api/esx/settings/clusters/domain-c1/software/drafts").json()
        r = c.post(f"/api/esx/settings/clusters/domain-c1/software/drafts/{draft}?action=commit&vmw-task=true", json={})
        assert r.status_code == 400 and r.json()["error_type"] == "NOT_ALLOWED_IN_CURRENT_STATE"
        info = wait_task(c, task)
        assert info["status"] == "SUCCEEDED"


def test_live_progress_while_running(fresh_server: Server) -> None:
    with fresh_server.client() as c:
        for h in CLUSTER_A:
            sim(c, h, bandwidth_bytes_per_s=2 * 1024 * 1024)
        task = stage(c).json()
        seen = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            info = c.get(f"/api/cis/tasks/{task}").json()
            result = info.get("result")
            if (
                info["status"] == "RUNNING"
                and result
                and any(0 < s["progress"]["completed"] < s["progress"]["total"] for s in result["host_status"].values())
            ):
                seen = info
                break
            time.sleep(0.05)
        assert seen is not None, "no partial progress was visible"
        assert "status" not in seen["result"]  # the cluster status is set at the end only
        assert seen["progress"]["completed"] < seen["progress"]["total"]
        assert wait_task(c, task)["status"] == "SUCCEEDED"


def test_a_disconnected_host_fails_alone(fresh_server: Server) -> None:
    with fresh_server.client() as c:
        sim(c, "host-2", connection_state="DISCONNECTED")
        info = wait_task(c, stage(c).json())
        assert info["status"] == "FAILED"
        assert "esx-a2.vlcmsim.local (host-2)" in info["error"]["messages"][0]["default_message"]
        result = info["result"]
        assert result["failed_hosts"] == ["host-2"]
        assert sorted(result["successful_hosts"]) == ["host-1", "host-3", "host-4"]
        failed = result["host_status"]["host-2"]
        assert failed["status"] == "ERROR"
        assert "disconnected" in failed["notifications"]["errors"][0]["message"]["default_message"]
        assert result["status"]["status"] == "ERROR"
        assert staged_files(fresh_server.data_dir, "host-2") == {}
        assert len(staged_files(fresh_server.data_dir, "host-1")) == 6


def test_a_staging_area_too_small_names_the_space_needed(fresh_server: Server) -> None:
    with fresh_server.client() as c:
        sim(c, "host-3", staging_capacity_bytes=1000)
        info = wait_task(c, stage(c, hosts=["host-3"]).json())
        assert info["status"] == "FAILED"
        text = info["result"]["host_status"]["host-3"]["notifications"]["errors"][0]["message"]["default_message"]
        assert "too small" in text and "2359296 bytes" in text and "1000" in text
        assert staged_files(fresh_server.data_dir, "host-3") == {}


def test_corrupted_downloads_are_retried(fresh_server: Server) -> None:
    with fresh_server.client() as c:
        sim(c, "host-1", corrupt_downloads=2)  # two bad tries, the third one is good
        info = wait_task(c, stage(c, hosts=["host-1"]).json())
        assert info["status"] == "SUCCEEDED", info
        assert sim(c, "host-1")["corrupt_downloads"] == 0
        assert len(staged_files(fresh_server.data_dir, "host-1")) == 6


def test_corruption_past_the_last_try_is_an_error(fresh_server: Server) -> None:
    with fresh_server.client() as c:
        sim(c, "host-1", corrupt_downloads=3)
        info = wait_task(c, stage(c, hosts=["host-1"]).json())
        assert info["status"] == "FAILED"
        error = info["result"]["host_status"]["host-1"]["notifications"]["errors"][0]
        assert "sha-256" in error["message"]["default_message"] and "try 3 of 3" in error["message"]["default_message"]
        assert error["retriable"] is True


def test_a_slow_host_times_out(tmp_path: Path) -> None:
    config = tmp_path / "slow.toml"
    config.write_text("[server]\nhost_stage_timeout_seconds = 1\n")
    srv = start_server(tmp_path / "data", "--config", str(config))
    try:
        with srv.client() as c:
            sim(c, "host-4", bandwidth_bytes_per_s=64 * 1024)
            info = wait_task(c, stage(c, hosts=["host-3", "host-4"]).json())
            assert info["status"] == "FAILED"
            status = info["result"]["host_status"]
            assert status["host-4"]["status"] == "TIMED_OUT" and "progress" not in status["host-4"]
            assert status["host-3"]["status"] == "OK"
            time.sleep(0.3)
            assert not list((srv.data_dir / "hosts" / "host-4" / "staging").glob("*.part"))
    finally:
        srv.stop()


def test_the_commit_is_a_minimum_and_newer_payloads_replace_older_ones(fresh_server: Server) -> None:
    with fresh_server.client() as c:
        assert wait_task(c, stage(c, hosts=["host-1"]).json())["status"] == "SUCCEEDED"
        before = staged_files(fresh_server.data_dir, "host-1")
        compliance = host_compliance(c, "host-1")
        assert compliance["status"] == "NON_COMPLIANT" and compliance["stage_status"] == "STAGED"
        # a newer commit: i40en back to the old version, bnxtnet added
        assert commit_draft(c, "domain-c1", {"Intel-i40en": I40EN_OLD, "bnxtnet": BNXTNET}) == "2"
        compliance = host_compliance(c, "host-1")
        assert compliance["stage_status"] == "NOT_STAGED"
        info = wait_task(c, stage(c, commit="1", hosts=["host-1"]).json())
        assert info["status"] == "SUCCEEDED"
        assert info["result"]["commit"] == "2"  # the latest commit, never older than asked
        after = staged_files(fresh_server.data_dir, "host-1")
        kept = set(before) & set(after)
        assert len(kept) == 5 and len(after) == 6  # old i40en is installed: not staged; bnxtnet is new
        assert all(after[k] == before[k] for k in kept)  # still-wanted payloads were not written again
        moved = info["result"]["host_status"]["host-1"]["progress"]["completed"]
        (bnxtnet,) = set(after) - set(before)
        assert moved == (fresh_server.data_dir / "payloads" / bnxtnet[:2] / bnxtnet).stat().st_size
        assert moved > 0  # only bnxtnet's payload moved
        cluster = c.get("/api/esx/settings/clusters/domain-c1/software/compliance").json()
        assert cluster["hosts"]["host-1"]["stage_status"] == "STAGED"
        assert cluster["stage_status"] == "NOT_STAGED"  # the other hosts are not staged


def test_host_level_stage(admin: httpx.Client) -> None:
    url = "/api/esx/settings/hosts/{}/software?action=stage&vmw-task=true"
    for member in ("host-1", "host-8"):  # host-level stage is for vLCM managed standalone hosts
        r = admin.post(url.format(member), json={})
        assert r.status_code == 400 and r.json()["error_type"] == "UNSUPPORTED"
    assert "use the cluster's operations" in admin.post(url.format("host-1"), json={}).text
    assert admin.post(url.format("host-404"), json={}).status_code == 404


def test_sim_api_checks_its_input(admin: httpx.Client, readonly: httpx.Client) -> None:
    assert admin.patch("/sim/hosts/host-1", json={"connection_state": "ASLEEP"}).status_code == 400
    assert admin.patch("/sim/hosts/host-1", json={"bandwidth_bytes_per_s": -1}).status_code == 400
    assert admin.patch("/sim/hosts/host-1", json={"colour": 1}).status_code == 400
    assert admin.patch("/sim/hosts/host-404", json={"corrupt_downloads": 1}).status_code == 404
    assert readonly.patch("/sim/hosts/host-1", json={"corrupt_downloads": 1}).status_code == 403
    assert readonly.get("/sim/hosts/host-1").json()["connection_state"] == "CONNECTED"


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_kill_during_a_stage_then_restart(fresh_server: Server) -> None:
    data = fresh_server.data_dir
    with fresh_server.client() as c:
        sid = c.headers["vmware-api-session-id"]
        sim(c, "host-1", bandwidth_bytes_per_s=512 * 1024)  # ESXi's 1 MiB payload takes 2 s
        task = stage(c, hosts=["host-1"]).json()
        wait_mid_download(data, "host-1")
    os.kill(fresh_server.process.pid, signal.SIGKILL)
    fresh_server.process.wait()
    srv = start_server(data)
    try:
        with srv.client(None) as c:
            c.headers["vmware-api-session-id"] = sid
            info = c.get(f"/api/cis/tasks/{task}").json()
            assert info["status"] == "FAILED"
            assert "server stopped" in info["error"]["messages"][0]["default_message"]
            assert info["result"]["host_status"]["host-1"]["status"] == "ERROR"  # not RUNNING for ever
            assert info["result"]["failed_hosts"] == ["host-1"]
            complete = staged_files(data, "host-1")  # asserts no .part is left
            assert 0 < len(complete) < 6
            sim(c, "host-1", bandwidth_bytes_per_s=0)
            info = wait_task(c, stage(c, hosts=["host-1"]).json())
            assert info["status"] == "SUCCEEDED"
            after = staged_files(data, "host-1")
            assert len(after) == 6
            assert all(after[k] == v for k, v in complete.items())  # not downloaded again
            moved = info["result"]["host_status"]["host-1"]["progress"]["completed"]
            assert moved < 2359296
    finally:
        srv.stop()


def test_a_host_waiting_for_its_next_try_is_retry_pending(tmp_path: Path) -> None:
    config = tmp_path / "retry.toml"
    config.write_text("[server]\nstage_retry_delay_seconds = 2\n")
    srv = start_server(tmp_path / "data", "--config", str(config))
    try:
        with srv.client() as c:
            sim(c, "host-1", corrupt_downloads=1)
            task = stage(c, hosts=["host-1"]).json()
            seen = set()
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                info = c.get(f"/api/cis/tasks/{task}").json()
                if info.get("result"):
                    seen.add(info["result"]["host_status"]["host-1"]["status"])
                if info["status"] in ("SUCCEEDED", "FAILED"):
                    break
                time.sleep(0.05)
            assert "RETRY_PENDING" in seen
            assert info["status"] == "SUCCEEDED"
            assert info["result"]["host_status"]["host-1"]["status"] == "OK"
    finally:
        srv.stop()


def test_a_clean_stop_during_a_stage_fails_the_task_and_keeps_what_completed(fresh_server: Server) -> None:
    data = fresh_server.data_dir
    with fresh_server.client() as c:
        sid = c.headers["vmware-api-session-id"]
        sim(c, "host-2", bandwidth_bytes_per_s=512 * 1024)
        task = stage(c, hosts=["host-2"]).json()
        wait_mid_download(data, "host-2")
    assert fresh_server.stop(signal.SIGTERM) in (0, -signal.SIGTERM)
    srv = start_server(data)
    try:
        with srv.client(None) as c:
            c.headers["vmware-api-session-id"] = sid
            info = c.get(f"/api/cis/tasks/{task}").json()
            assert info["status"] == "FAILED"
            assert "server stopped" in info["error"]["messages"][0]["default_message"]
            host = info["result"]["host_status"]["host-2"]
            assert host["status"] == "ERROR"
            assert "the server stopped" in host["notifications"]["errors"][0]["message"]["default_message"]
            assert 0 < len(staged_files(data, "host-2")) < 6
    finally:
        srv.stop()
