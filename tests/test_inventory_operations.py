"""esx.settings.inventory (vSphere 9.0): scan, check, stage and apply over a set
of clusters and standalone hosts in one task, each entity reported on its own
— through the SDK (JSON-RPC) and over REST."""

from __future__ import annotations

import time

import httpx
from com.vmware.esx.settings_client import Inventory

from helpers import staged_files, wait_task
from sdk import vsphere_client, wait
from vlcmsim.testing import Server

EDGE1 = "host-10"


def test_stage_scan_check_and_apply_over_a_datacenter_through_the_sdk(fresh_server: Server) -> None:
    client = vsphere_client(fresh_server)
    inventory = Inventory(client._stub_config)
    everything = Inventory.EntitySpec(type=Inventory.EntitySpec.InventoryType.DATACENTER, datacenters={"datacenter-1"})

    scan = inventory.scan_task(Inventory.ScanSpec(entities=everything))
    assert wait(scan).status == "SUCCEEDED"
    result = scan.get_result()
    # the image-managed clusters and the image-managed standalone host; Legacy and esx-edge2 are not
    assert set(result.cluster_results) == {"domain-c1", "domain-c2"}
    assert set(result.host_results) == {EDGE1}
    assert result.datacenter_results["datacenter-1"].status == Inventory.ScanStatus.COMPLETED

    staged = inventory.stage_task(Inventory.StageSpec(entities=everything))
    info = wait(staged)
    assert info.status == "SUCCEEDED", info.error
    assert {r.status for r in staged.get_result().cluster_results.values()} == {Inventory.StageStatus.COMPLETED}
    assert staged_files(fresh_server.data_dir, "host-1") and staged_files(fresh_server.data_dir, EDGE1)

    # esx-edge1 cannot move its VMs: its check fails, the clusters' pass
    check = inventory.check_task(Inventory.CheckSpec(entities=everything))
    assert wait(check).status == "FAILED"
    checked = check.get_result()
    assert checked.host_results[EDGE1].status == Inventory.CheckStatus.FAILED
    assert "no other host" in checked.host_results[EDGE1].notifications.errors[0].message.default_message
    assert checked.cluster_results["domain-c1"].status == Inventory.CheckStatus.COMPLETED

    clusters = Inventory.EntitySpec(type=Inventory.EntitySpec.InventoryType.CLUSTER, clusters={"domain-c1"})
    applied = inventory.apply_task(Inventory.ApplySpec(accept_eula=True, entities=clusters))
    info = wait(applied)
    assert info.status == "SUCCEEDED", info.error
    assert applied.get_result().cluster_results["domain-c1"].status == Inventory.ApplyStatus.COMPLETED


def test_entities_that_cannot_take_part_are_reported_failed_over_rest(fresh_admin: httpx.Client) -> None:
    r = fresh_admin.post(
        "/api/esx/settings/inventory?action=stage&vmw-task=true",
        json={"entities": {"type": "CLUSTER", "clusters": ["domain-c404"]}},
    )
    assert r.status_code == 404 and r.json()["error_type"] == "NOT_FOUND"
    r = fresh_admin.post(
        "/api/esx/settings/inventory?action=stage&vmw-task=true",
        json={"entities": {"type": "HOST", "hosts": [EDGE1, "host-11", "host-1"]}},
    )
    assert r.status_code == 202, r.text
    info = wait_task(fresh_admin, r.json())
    assert info["status"] == "FAILED"
    results = info["result"]["host_results"]
    assert results[EDGE1]["status"] == "COMPLETED"
    assert results["host-11"]["status"] == "FAILED"  # a standalone host without an image
    assert "not managed with an image" in results["host-11"]["notifications"]["errors"][0]["message"]["default_message"]
    assert "member of cluster" in results["host-1"]["notifications"]["errors"][0]["message"]["default_message"]
    r = fresh_admin.post(
        "/api/esx/settings/inventory?action=scan&vmw-task=true",
        json={"software_spec": "spec-1", "entities": {"type": "FOLDER", "folders": ["group-h1"]}},
    )
    assert r.status_code == 404  # vlcmsim keeps no repository of software specifications
    r = fresh_admin.post(
        "/api/esx/settings/inventory?action=scan&vmw-task=true",
        json={"entities": {"type": "FOLDER", "folders": ["group-h1"]}},
    )
    info = wait_task(fresh_admin, r.json())
    assert info["status"] == "SUCCEEDED" and info["result"]["folder_results"]["group-h1"]["status"] == "COMPLETED"


def test_a_running_inventory_stage_shows_every_entity_in_progress(fresh_admin: httpx.Client) -> None:
    """While the clusters' stages run, the task's result is the per-entity one
    (not the result of one cluster's stage)."""
    for host in ("host-1", "host-5"):
        fresh_admin.patch(f"/sim/hosts/{host}", json={"bandwidth_bytes_per_s": 512 * 1024})
    r = fresh_admin.post(
        "/api/esx/settings/inventory?action=stage&vmw-task=true",
        json={"entities": {"type": "CLUSTER", "clusters": ["domain-c1", "domain-c2"]}},
    )
    task = r.json()
    for _ in range(200):
        info = fresh_admin.get(f"/api/cis/tasks/{task}").json()
        if info["status"] == "RUNNING" and info.get("result"):
            break
        time.sleep(0.02)
    assert set(info["result"]["cluster_results"]) == {"domain-c1", "domain-c2"}, info
    assert "host_status" not in info["result"]
    assert wait_task(fresh_admin, task)["status"] == "SUCCEEDED"
