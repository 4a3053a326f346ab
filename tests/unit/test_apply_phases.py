"""Remediation as a real cluster goes through it: maintenance mode, install,
reboot, per-host phases, the apply policy (parallel hosts, failure action)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from async_helpers import run_task

from vlcmsim.hosts.fake import FakeHosts
from vlcmsim.testing import InProcessServer, in_process

pytestmark = pytest.mark.anyio

A = "/api/esx/settings/clusters/domain-c1"
APPLY = f"{A}/software?action=apply&vmw-task=true"


PARALLEL_RETRY = {
    "failure_action": {"action": "RETRY", "retry_delay": 0, "retry_count": 1},
    "parallel_remediation_action": {"enabled": True, "max_hosts": 2},
}


async def test_the_apply_policy_is_kept_and_its_effective_values_fill_the_rest(app: InProcessServer) -> None:
    client = await app.client()
    assert (await client.get(f"{A}/policies/apply")).json() == {}
    effective = (await client.get(f"{A}/policies/apply/effective")).json()
    assert (
        effective["failure_action"]["action"] == "RETRY" and effective["parallel_remediation_action"]["max_hosts"] == 1
    )
    assert (await client.put(f"{A}/policies/apply", json=PARALLEL_RETRY)).status_code == 204
    assert (await client.get(f"{A}/policies/apply")).json() == PARALLEL_RETRY
    effective = (await client.get(f"{A}/policies/apply/effective")).json()
    assert effective["parallel_remediation_action"] == {"enabled": True, "max_hosts": 2}
    assert effective["failure_action"] == {"action": "RETRY", "retry_delay": 0, "retry_count": 1}
    assert effective["enable_quick_boot"] is False
    bad = await client.put(f"{A}/policies/apply", json={"failure_action": {"action": "RETRY"}})
    assert bad.status_code == 400 and "'failure_action.retry_delay' is required" in bad.text  # FailureAction's union


async def test_a_parallel_apply_keeps_at_most_max_hosts_in_maintenance_and_retries_a_failed_install(
    app: InProcessServer,
) -> None:
    agent = FakeHosts()
    agent["host-2"].install_failures = 1
    app.backend.hosts = agent
    client = await app.client()
    await client.put(f"{A}/policies/apply", json=PARALLEL_RETRY)
    info = await run_task(client, APPLY, {"accept_eula": True})
    assert info["status"] == "SUCCEEDED", info
    assert agent.most_in_maintenance == 2
    host2 = [what for host, what in agent.events if host == "host-2"]
    assert host2 == [
        "entered maintenance mode",
        "install failed",
        "exited maintenance mode",
        "entered maintenance mode",
        "installed",
        "rebooted",
        "exited maintenance mode",
    ]
    notes = [n["message"]["default_message"] for n in info["result"]["host_status"]["host-2"]["notifications"]["info"]]
    assert any("Retrying in 0 seconds (try 2 of 2)" in n for n in notes)
    assert (await client.get(f"{A}/software/reports/last-apply-result")).json()["status"]["status"] == "OK"


async def test_with_the_fail_action_a_failure_stops_the_hosts_not_started_yet(app: InProcessServer) -> None:
    agent = FakeHosts()
    agent["host-1"].install_failures = 5
    app.backend.hosts = agent
    client = await app.client()
    await client.put(f"{A}/policies/apply", json={"failure_action": {"action": "FAIL"}})
    info = await run_task(client, APPLY, {"accept_eula": True})
    assert info["status"] == "FAILED"
    result = info["result"]
    assert result["failed_hosts"] == ["host-1"]
    assert sorted(result["skipped_hosts"]) == ["host-2", "host-3", "host-4"]
    note = result["host_status"]["host-3"]["notifications"]["info"][0]["message"]["default_message"]
    assert "failure action is FAIL" in note
    assert [h for h, what in agent.events if what == "installed"] == []


async def test_a_rebooting_host_is_not_responding_and_the_phases_show_in_live_progress(tmp_path: Path) -> None:
    async with in_process(tmp_path / "data", sim_time_scale=0.02, reboot_seconds=40) as server:
        client = await server.client()
        task = (await client.post(APPLY, json={"accept_eula": True, "hosts": ["host-1"]})).json()
        phases, states = set(), set()
        while True:
            info = (await client.get(f"/api/cis/tasks/{task}")).json()
            status = info.get("result", {}).get("host_status", {}).get("host-1")
            if status and "progress" in status:
                phases.add(status["progress"]["message"]["default_message"])
            host = (await client.get("/api/vcenter/host", params={"hosts": "host-1"})).json()[0]
            states.add(host["connection_state"])
            if info["status"] in ("SUCCEEDED", "FAILED"):
                break
            await asyncio.sleep(0.01)
        assert info["status"] == "SUCCEEDED", info
        assert {"Entering maintenance mode", "Rebooting"} <= phases
        assert "NOT_RESPONDING" in states
        assert (await client.get("/api/vcenter/host", params={"hosts": "host-1"})).json()[0][
            "connection_state"
        ] == "CONNECTED"
