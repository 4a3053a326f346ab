"""Hardware compatibility: the hosts' PCI devices against the simulated
compatibility guide, for the cluster's desired image."""

from __future__ import annotations

import pytest
from async_helpers import run_task

from vlcmsim.depot import defaults as d
from vlcmsim.testing import InProcessServer

pytestmark = pytest.mark.anyio

A = "/api/esx/settings/clusters/domain-c1/software"
HCL = f"{A}/reports/hardware-compatibility"


async def test_a_check_certifies_the_devices_the_image_has_drivers_for(app: InProcessServer) -> None:
    client = await app.client()
    assert (await client.get(HCL)).status_code == 404  # no check yet
    info = await run_task(client, f"{HCL}?action=check&vmw-task=true", {})
    assert info["status"] == "SUCCEEDED", info
    result = info["result"]
    pci = result["pci_device_compliance"]
    assert [x["device"]["driver_name"] for x in pci["compatible_devices"]] == ["i40en"]  # 1.12.3 on firmware 9.20
    (missing,) = pci["incompatible_devices"]
    assert missing["device"]["driver_name"] == "lsi_mr3"  # Cluster-A's image carries no MegaRAID driver
    assert "no driver" in missing["notifications"]["warnings"][0]["message"]["default_message"]
    assert result["status"] == "INCOMPATIBLE" and result["base_image_version"] == d.U3
    summary = (await client.get(HCL)).json()
    assert summary["status"] == "INCOMPATIBLE" and "1 of 2" in summary["summary_result"]["default_message"]
    details = (await client.get(f"{HCL}/details")).json()
    assert details["pci_device_compliance"] == pci


async def test_adding_the_certified_driver_makes_the_cluster_compatible(app: InProcessServer) -> None:
    client = await app.client()
    drafts = f"{A}/drafts"
    draft = (await client.post(drafts)).json()
    await client.put(f"{drafts}/{draft}/software/components/Broadcom-lsi-mr3", json=d.LSI_MR3)
    assert (await run_task(client, f"{drafts}/{draft}?action=commit&vmw-task=true", {}))["status"] == "SUCCEEDED"
    info = await run_task(client, f"{HCL}?action=check&vmw-task=true", {})
    assert info["result"]["status"] == "COMPATIBLE"
    assert info["result"]["commit"] == "2"


async def test_the_users_choices_of_guide_entries_and_reclassifications(app: InProcessServer) -> None:
    """The NVMe drive fits two guide entries: unknown until one is picked; the OCP
    entry of the X710 certifies only newer firmware; a reclassification wins over the guide."""
    client = await app.client()
    info = await run_task(client, f"{HCL}?action=check&vmw-task=true", {})
    storage = info["result"]["storage_device_compliance"]
    (drive,) = storage["unknown_devices"]
    assert storage["status"] == "UNAVAILABLE" and len(drive["matches"]) == 2
    assert "select the one" in drive["notifications"]["warnings"][0]["message"]["default_message"]
    key = {k: drive["storage_device_info"][k] for k in ("model", "vendor", "capacity")}

    # the ESA entry certifies the drive's firmware 1.1.5; the report is checked again at once
    pick = {"product_selections": [{"key": key, "vcg_product": "vcg-ssd-53601"}]}
    done = await run_task(client, f"{HCL}/storage-device-overrides/vcg-entries?vmw-task=true", pick, method="PATCH")
    assert done["status"] == "SUCCEEDED", done
    storage = (await client.get(f"{HCL}/details")).json()["storage_device_compliance"]
    (drive,) = storage["compatible_devices"]
    assert [m["user_selected"] for m in drive["matches"]] == [True, False] and drive["detail"] == "CERTIFIED"

    # the cache entry does not: incompatible, until the user marks it verified
    pick["product_selections"][0]["vcg_product"] = "vcg-ssd-53607"
    await run_task(client, f"{HCL}/storage-device-overrides/vcg-entries?vmw-task=true", pick, method="PATCH")
    storage = (await client.get(f"{HCL}/details")).json()["storage_device_compliance"]
    assert storage["status"] == "INCOMPATIBLE" and storage["incompatible_devices"][0]["detail"] == "NOT_CERTIFIED"
    verify = {"device_reclassifications": [{"key": key, "override": "MARK_AS_VERIFIED"}]}
    url = f"{HCL}/storage-device-overrides/compliance-status?vmw-task=true"
    await run_task(client, url, verify, method="PATCH")
    storage = (await client.get(f"{HCL}/details")).json()["storage_device_compliance"]
    assert storage["compatible_devices"][0]["detail"] == "USER_VERIFIED"
    await run_task(client, url, {"device_reclassifications": [{"key": key}]}, method="PATCH")
    storage = (await client.get(f"{HCL}/details")).json()["storage_device_compliance"]
    assert storage["incompatible_devices"][0]["detail"] == "NOT_CERTIFIED"

    # the X710's OCP entry: firmware 9.20 is not certified there
    x710 = {"vid": "8086", "did": "1572", "svid": "8086", "ssid": "0007"}
    pci = {"product_selections": [{"target": {"device": x710}, "vcg_product": "vcg-io-41230"}]}
    url = f"{HCL}/pci-device-overrides/vcg-entries?vmw-task=true"
    await run_task(client, url, pci, method="PATCH")
    compliance = (await client.get(f"{HCL}/details")).json()["pci_device_compliance"]
    assert {x["device"]["driver_name"] for x in compliance["incompatible_devices"]} == {"i40en", "lsi_mr3"}

    # what fits no device, or no entry of it, is refused before any task
    pci["product_selections"][0]["vcg_product"] = "vcg-io-00000"
    assert (await client.patch(url, json=pci)).status_code == 400
    x710["did"] = "ffff"
    assert (await client.patch(url, json=pci)).status_code == 404
