"""Scan, check and the cluster's reports, as an automation walks them before
and after a remediation."""

from __future__ import annotations

import asyncio

import pytest
from async_helpers import run_task

from vlcmsim.testing import InProcessServer

pytestmark = pytest.mark.anyio

A = "/api/esx/settings/clusters/domain-c1/software"


async def test_compliance_is_the_last_scan_and_a_scan_renews_it(app: InProcessServer) -> None:
    client = await app.client()
    first = (await client.get(f"{A}/compliance")).json()
    assert (await client.get(f"{A}/compliance")).json()["scan_time"] == first["scan_time"]  # not rescanned per read
    await asyncio.sleep(0.01)
    info = await run_task(client, f"{A}?action=scan&vmw-task=true")
    assert info["status"] == "SUCCEEDED" and info["result"]["status"] == "NON_COMPLIANT"
    assert info["result"]["hosts"]["host-1"]["stage_status"] == "NOT_STAGED"
    again = (await client.get(f"{A}/compliance")).json()
    assert again["scan_time"] == info["result"]["scan_time"] > first["scan_time"]


async def test_a_disconnected_host_is_unavailable_alone(app: InProcessServer) -> None:
    client = await app.client()
    assert (await client.patch("/sim/hosts/host-2", json={"connection_state": "DISCONNECTED"})).status_code == 200
    compliance = (await client.get(f"{A}/compliance")).json()
    assert compliance["unavailable_hosts"] == ["host-2"]
    assert sorted(compliance["non_compliant_hosts"]) == ["host-1", "host-3", "host-4"]


async def test_a_check_fails_a_disconnected_host_and_passes_once_it_is_back(app: InProcessServer) -> None:
    client = await app.client()
    assert (await client.get(f"{A}/reports/last-check-result")).status_code == 404
    await client.patch("/sim/hosts/host-3", json={"connection_state": "DISCONNECTED"})
    info = await run_task(client, f"{A}?action=check&vmw-task=true", {})
    assert info["status"] == "SUCCEEDED"
    result = info["result"]
    assert result["status"] == "ERROR"
    entities = {e.get("host") or e["cluster"]: e for e in result["entity_results"]}
    assert entities["domain-c1"]["status"] == "OK" and entities["host-1"]["status"] == "OK"
    failed = {c["check"]["check"]: c for c in entities["host-3"]["check_statuses"] if c["status"] == "ERROR"}
    assert list(failed) == ["com.vmware.vcIntegrity.lifecycle.HostConnectionCheck"]
    assert (
        "disconnected" in failed["com.vmware.vcIntegrity.lifecycle.HostConnectionCheck"]["issues"][0]["default_message"]
    )
    last = (await client.get(f"{A}/reports/last-check-result")).json()
    assert last["entity_results"] == result["entity_results"] and last["status"] == "ERROR"
    await client.patch("/sim/hosts/host-3", json={"connection_state": "CONNECTED"})
    info = await run_task(client, f"{A}?action=check&vmw-task=true", {"hosts": ["host-3"]})
    assert info["result"]["status"] == "OK"
    assert [e.get("host") for e in info["result"]["entity_results"]] == [None, "host-3"]


async def test_a_check_finds_a_staging_area_too_small(app: InProcessServer) -> None:
    client = await app.client()
    await client.patch("/sim/hosts/host-4", json={"staging_capacity_bytes": 10})
    info = await run_task(client, f"{A}?action=check&vmw-task=true", {"hosts": ["host-4"]})
    statuses = {
        c["check"]["check"].rsplit(".", 1)[1]: c["status"]
        for c in info["result"]["entity_results"][1]["check_statuses"]
    }
    assert statuses == {"HostConnectionCheck": "OK", "StagingSpaceCheck": "ERROR", "MaintenanceModeCheck": "OK"}


async def test_apply_impact_says_which_hosts_enter_maintenance_mode_and_reboot(app: InProcessServer) -> None:
    client = await app.client()
    impact = (await client.get(f"{A}/reports/apply-impact")).json()
    assert impact["commit"] == "1" and sorted(impact["host_impact"]) == ["host-1", "host-2", "host-3", "host-4"]
    texts = [i["message"]["default_message"] for i in impact["host_impact"]["host-1"]]
    assert any("maintenance mode" in t for t in texts) and any("rebooted" in t for t in texts)
    assert "4 of 4 host(s) will enter maintenance mode" in impact["impact"][0]["message"]["default_message"]
    b = (await client.get("/api/esx/settings/clusters/domain-c2/software/reports/apply-impact")).json()
    assert all(
        "already runs the desired image" in i[0]["message"]["default_message"] for i in b["host_impact"].values()
    )


async def test_the_last_apply_result_is_the_apply_tasks_result_and_compliance_follows(app: InProcessServer) -> None:
    client = await app.client()
    assert (await client.get(f"{A}/reports/last-apply-result")).status_code == 404
    info = await run_task(client, f"{A}?action=apply&vmw-task=true", {"accept_eula": True})
    assert info["status"] == "SUCCEEDED", info
    last = (await client.get(f"{A}/reports/last-apply-result")).json()
    assert sorted(last["successful_hosts"]) == sorted(info["result"]["successful_hosts"])
    assert last["commit"] == "1" and last["status"]["status"] == "OK"
    assert (await client.get(f"{A}/compliance")).json()["status"] == "COMPLIANT"  # rescanned after the apply


async def test_effective_and_removed_components_of_the_desired_image(app: InProcessServer) -> None:
    client = await app.client()
    effective = (await client.get(f"{A}/effective-components")).json()
    sources = {name: c["details"]["source"] for name, c in effective.items()}
    assert sources["Intel-i40en"] == "USER" and "ADD_ON" in sources.values() and "BASE_IMAGE" in sources.values()
    assert (await client.get(f"{A}/removed-components")).json() == {}
    with_removed = (await client.get(f"{A}/effective-components?with-removed-components")).json()
    assert with_removed.keys() == effective.keys()
