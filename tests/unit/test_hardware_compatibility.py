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
