"""A cluster with two images through the official SDK: Cluster-A's Dell hosts
keep the default image (ESXi 8.0 U3 with Dell's add-on), the two hosts that are
HPE servers get an alternative image selected by their vendor (no Dell add-on,
Broadcom's bnxtnet driver instead). A stage moves each host the payloads of its
own image; an apply installs each its own; compliance and exports follow."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest
from com.vmware.esx.settings.clusters.software.alternative_images_client import SelectionCriteria
from com.vmware.esx.settings.clusters.software.drafts.software.alternative_images.software_client import (
    AddOn as DraftImageAddOn,
)
from com.vmware.esx.settings.clusters.software.drafts.software.alternative_images.software_client import (
    Components as DraftImageComponents,
)
from com.vmware.esx.settings.clusters.software.drafts.software.alternative_images_client import (
    SelectionCriteria as DraftSelection,
)
from com.vmware.esx.settings.clusters.software.drafts.software_client import AlternativeImages as DraftImages
from com.vmware.esx.settings.clusters.software_client import AlternativeImages, Drafts
from com.vmware.esx.settings.clusters_client import Software
from com.vmware.esx.settings_client import HostHardwareSpec, ImageSelectionSpec
from com.vmware.vapi.std.errors_client import Error, NotFound
from pyVim.connect import Disconnect
from pyVmomi import vim
from test_soap_remediation import connect

from helpers import sim, staged_files
from sdk import vsphere_client, wait
from vlcmsim.depot import defaults as d
from vlcmsim.testing import ADMIN, Server

HPE = ("HPE", "ProLiant DL380 Gen11")


def _hpe_image_committed(stub: object, hosts_uuids: list[str] | None = None) -> None:
    drafts = Drafts(stub)
    draft = drafts.create("domain-c1")
    images = DraftImages(stub)
    image = images.create("domain-c1", draft, DraftImages.CreateSpec(display_name="HPE servers"))
    assert image == "1"
    # names are unique within the document (the bindings declare no AlreadyExists here: std Error)
    with pytest.raises(Error, match="already has an alternative image named"):
        images.create("domain-c1", draft, DraftImages.CreateSpec(display_name="hpe SERVERS"))
    # it starts as a copy of the default image, selecting no host
    assert images.get("domain-c1", draft, image).add_on.name == d.DELL_ADDON[0]
    assert images.get("domain-c1", draft, image).selection_criteria.selection_type == "UNKNOWN"
    DraftImageAddOn(stub).delete("domain-c1", draft, image)
    DraftImageComponents(stub).set("domain-c1", draft, image, "bnxtnet", d.BNXTNET)
    selection = DraftSelection(stub)
    with pytest.raises(Error, match="needs host_uuids"):  # a selection that could select no host
        selection.set("domain-c1", draft, image, ImageSelectionSpec(selection_type="HOST_UUID", host_uuids=set()))
    if hosts_uuids:
        spec = ImageSelectionSpec(selection_type="HOST_UUID", host_uuids=set(hosts_uuids))
    else:
        spec = ImageSelectionSpec(
            selection_type="HOST_HARDWARE_SPEC", host_hardware_spec=HostHardwareSpec(vendor=HPE[0], models={HPE[1]})
        )
    selection.set("domain-c1", draft, image, spec)
    checked = drafts.validate_task("domain-c1", draft)
    assert wait(checked).status == "SUCCEEDED" and not checked.get_result().notifications.errors
    committed = drafts.commit_task("domain-c1", draft, Drafts.CommitSpec(message="an image for the HPE hosts"))
    assert wait(committed).status == "SUCCEEDED", committed.get_info().error


def test_two_images_stage_and_apply_each_hosts_own_payloads(fresh_server: Server) -> None:
    admin = fresh_server.client(ADMIN)
    for host in ("host-3", "host-4"):
        sim(admin, host, vendor=HPE[0], model=HPE[1])
    client = vsphere_client(fresh_server)
    stub = client._stub_config
    _hpe_image_committed(stub)

    # the commit's alternative images, read back
    listed = AlternativeImages(stub).list("domain-c1").alternative_images
    assert {k: v.display_name for k, v in listed.items()} == {"1": "HPE servers"}
    assert SelectionCriteria(stub).get("domain-c1", "1").host_hardware_spec.vendor == "HPE"
    info = Software(stub).get("domain-c1")
    assert info.add_on.name == d.DELL_ADDON[0] and info.alternative_images["1"].add_on is None
    assert set(info.alternative_images["1"].components) == {"Intel-i40en", "bnxtnet"}
    with pytest.raises(NotFound):
        AlternativeImages(stub).get("domain-c1", "7")

    # a stage: each host receives what its own image needs
    staged = Software(stub).stage_task("domain-c1", Software.StageSpec())
    assert wait(staged, 60).status == "SUCCEEDED", staged.get_info().error
    data_dir = Path(fresh_server.data_dir)
    dell, hpe = set(staged_files(data_dir, "host-1")), set(staged_files(data_dir, "host-3"))
    assert set(staged_files(data_dir, "host-2")) == dell and set(staged_files(data_dir, "host-4")) == hpe
    assert len(dell - hpe) == 2  # the Dell add-on's two components
    assert len(hpe - dell) == 1  # bnxtnet
    assert dell & hpe  # ESXi 8.0 U3 itself, for all of them

    # compliance is against each host's own image
    compliance = Software(stub).scan_task("domain-c1")
    assert wait(compliance).status == "SUCCEEDED"
    hosts = compliance.get_result().hosts
    assert hosts["host-3"].add_on.target is None and "bnxtnet" in hosts["host-3"].components
    assert hosts["host-1"].add_on.target.name == d.DELL_ADDON[0]

    # an apply installs each its own image, and then the cluster complies
    applied = Software(stub).apply_task("domain-c1", Software.ApplySpec(accept_eula=True))
    assert wait(applied, 120).status == "SUCCEEDED", applied.get_info().error
    runs = {h: admin.get(f"/api/esx/hosts/{h}/software/installed-components").json() for h in ("host-1", "host-3")}
    assert "dell-configuration-vib" in runs["host-1"] and "bnxtnet" not in runs["host-1"]
    assert "bnxtnet" in runs["host-3"] and "dell-configuration-vib" not in runs["host-3"]
    rescanned = Software(stub).scan_task("domain-c1")
    assert wait(rescanned).status == "SUCCEEDED"
    assert rescanned.get_result().status == "COMPLIANT"

    # the alternative image exported alone: its own software spec
    urls = (
        admin.post(
            "/api/esx/settings/clusters/domain-c1/software/alternative-images/1/software?action=export",
            json={"export_software_spec": True, "export_iso_image": False, "export_offline_bundle": False},
        )
        .raise_for_status()
        .json()
    )
    document = (
        httpx.get(urls["SOFTWARE_SPEC"], verify=ssl.create_default_context(cafile=str(fresh_server.cert)))
        .raise_for_status()
        .json()
    )
    assert document["components"]["bnxtnet"] == d.BNXTNET and "add_on" not in document
    admin.close()


def test_an_image_selected_by_host_uuid(fresh_server: Server) -> None:
    """HOST_UUID selection: the hardware UUID vim25 reports for host-2 picks it alone."""
    si = connect(fresh_server)
    try:
        view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [vim.HostSystem], True)
        uuids = {h.name: h.hardware.systemInfo.uuid for h in view.view}
    finally:
        Disconnect(si)
    client = vsphere_client(fresh_server)
    stub = client._stub_config
    _hpe_image_committed(stub, [uuids["esx-a2.vlcmsim.local"]])
    admin = fresh_server.client(ADMIN)
    compliance = admin.get("/api/esx/settings/clusters/domain-c1/software/compliance").json()
    targets = {h: v["add_on"].get("target") for h, v in compliance["hosts"].items()}
    assert targets["host-2"] is None and all(targets[h] for h in ("host-1", "host-3", "host-4"))
    admin.close()
