"""Remediation (Software.apply): hosts end up running the desired image, using
what was staged without downloading it again, with their staging areas emptied."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from com.vmware.esx.settings.clusters_client import Software

from helpers import host_compliance, sim, stage, staged_files, wait_task
from sdk import vsphere_client
from vlcmsim.testing import Server, start_server

A = "/api/esx/settings/clusters/domain-c1/software"


def apply(c: httpx.Client, **spec: object) -> httpx.Response:
    return c.post(f"{A}?action=apply&vmw-task=true", json={"accept_eula": True, **spec})


def test_apply_after_stage_downloads_nothing_and_clears_the_staging_areas(fresh_server: Server) -> None:
    with fresh_server.client() as c:
        assert wait_task(c, stage(c).json())["status"] == "SUCCEEDED"
        info = wait_task(c, apply(c).json())
        assert info["status"] == "SUCCEEDED", info
        result = info["result"]
        assert sorted(result["successful_hosts"]) == ["host-1", "host-2", "host-3", "host-4"]
        for status in result["host_status"].values():
            assert status["progress"] == {"total": 100, "completed": 100, "message": status["progress"]["message"]}
            note = status["notifications"]["info"][-1]["message"]["default_message"]
            assert note.endswith("remediated (0 bytes downloaded).")  # all was staged
        assert all(staged_files(fresh_server.data_dir, h) == {} for h in result["successful_hosts"])
        compliance = c.get(f"{A}/compliance").json()
        assert compliance["status"] == "COMPLIANT" and compliance["impact"] == "NO_IMPACT"
        assert c.get(f"{A}/commits/1").json()["apply_status"] == "APPLIED"
        again = apply(c)
        assert again.status_code == 400 and again.json()["error_type"] == "ALREADY_IN_DESIRED_STATE"


def test_apply_without_stage_downloads_what_hosts_lack(fresh_server: Server) -> None:
    with fresh_server.client() as c:
        info = wait_task(c, apply(c, hosts=["host-1"]).json())
        assert info["status"] == "SUCCEEDED"
        note = info["result"]["host_status"]["host-1"]["notifications"]["info"][-1]["message"]["default_message"]
        assert note.endswith("remediated (2359296 bytes downloaded).")
        host = host_compliance(c, "host-1")
        assert host["status"] == "COMPLIANT"
        assert c.get(f"{A}/commits/1").json()["apply_status"] == "NOT_APPLIED"  # three hosts still behind


def test_apply_needs_the_eula_and_fails_per_host(fresh_server: Server) -> None:
    with fresh_server.client() as c:
        r = c.post(f"{A}?action=apply&vmw-task=true", json={})
        assert r.status_code == 500 and "EULA" in r.json()["messages"][0]["default_message"]
        sim(c, "host-3", connection_state="DISCONNECTED")
        info = wait_task(c, apply(c).json())
        assert info["status"] == "FAILED"
        assert info["result"]["failed_hosts"] == ["host-3"]
        assert (
            "Apply failed on 1 host(s): esx-a3.vlcmsim.local (host-3)"
            in info["error"]["messages"][0]["default_message"]
        )
        compliance = c.get(f"{A}/compliance").json()
        assert sorted(compliance["compliant_hosts"]) == ["host-1", "host-2", "host-4"]
        assert compliance["unavailable_hosts"] == ["host-3"]
        assert c.get(f"{A}/commits/1").json()["apply_status"] == "NOT_APPLIED"


def test_sdk_apply_task(fresh_server: Server) -> None:
    client = vsphere_client(fresh_server)
    task = Software(client._stub_config).apply_task("domain-c1", Software.ApplySpec(accept_eula=True))
    while task.get_info().status not in ("SUCCEEDED", "FAILED"):
        time.sleep(0.05)
    result = task.get_result()
    assert result.status.status == Software.ApplyStatus.Status.OK
    assert result.successful_hosts == {"host-1", "host-2", "host-3", "host-4"}
    assert result.commit == "1"


def test_kill_during_a_reboot_then_restart_and_apply_again(tmp_path: Path) -> None:
    import os
    import signal

    config = tmp_path / "slow.toml"
    config.write_text("[server]\nreboot_seconds = 200\n")
    data = tmp_path / "data"
    srv = start_server(data, "--config", str(config), time_scale=0.05)  # a 10 s reboot
    with srv.client() as c:
        sid = c.headers["vmware-api-session-id"]
        task = apply(c, hosts=["host-1"]).json()
        deadline = time.monotonic() + 20
        while c.get("/api/vcenter/host", params={"hosts": "host-1"}).json()[0]["connection_state"] != "NOT_RESPONDING":
            assert time.monotonic() < deadline, "host-1 never rebooted"
            time.sleep(0.05)
    os.kill(srv.process.pid, signal.SIGKILL)
    srv.process.wait()
    again = start_server(data)
    try:
        with again.client(None) as c:
            c.headers["vmware-api-session-id"] = sid
            info = c.get(f"/api/cis/tasks/{task}").json()
            assert info["status"] == "FAILED" and info["result"]["host_status"]["host-1"]["status"] == "ERROR"
            host = c.get("/api/vcenter/host", params={"hosts": "host-1"}).json()[0]
            assert host["connection_state"] == "CONNECTED"  # its reboot ended while the server was down
            assert host_compliance(c, "host-1")["status"] == "COMPLIANT"  # installed before the reboot: whole
            info = wait_task(c, apply(c).json())
            assert info["status"] == "SUCCEEDED", info
            assert info["result"]["skipped_hosts"] == ["host-1"]
            assert sorted(info["result"]["successful_hosts"]) == ["host-2", "host-3", "host-4"]
    finally:
        again.stop()
