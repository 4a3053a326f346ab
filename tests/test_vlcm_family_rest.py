"""More of the vLCM family through the official SDK: the default apply policies new
clusters and hosts get, a baseline cluster's enablement check, what a host runs
(by id or by name and credentials) and its installed components, a desired
image's metadata, the default image from the depots, a hardware support
package's contents."""

from __future__ import annotations

import httpx
import pytest
from com.vmware.esx.hosts.software_client import InstalledComponents
from com.vmware.esx.hosts_client import Software as HostSoftware
from com.vmware.esx.settings.clusters.enablement_client import Software as ClusterEnablement
from com.vmware.esx.settings.clusters.policies.apply_client import Effective as ClusterEffective
from com.vmware.esx.settings.clusters.software_client import SoftwareSpecMetadata
from com.vmware.esx.settings.clusters_client import Software
from com.vmware.esx.settings.defaults.clusters.policies_client import Apply as ClusterDefaults
from com.vmware.esx.settings.defaults.hosts.policies_client import Apply as HostDefaults
from com.vmware.esx.settings.hardware_support.managers.packages_client import Versions
from com.vmware.vapi.std.errors_client import Unauthenticated

from sdk import vsphere_client, wait
from vlcmsim.depot import defaults as d
from vlcmsim.testing import Server


def test_the_rest_of_the_family_through_the_sdk(fresh_server: Server) -> None:
    client = vsphere_client(fresh_server)  # kept: the client logs out when it is collected
    stub = client._stub_config

    # default apply policies: what a cluster without its own follows
    defaults = ClusterDefaults(stub)
    assert defaults.get().enable_quick_boot is None
    defaults.set(ClusterDefaults.ConfiguredPolicySpec(enable_quick_boot=True))
    assert ClusterEffective(stub).get("domain-c1").enable_quick_boot is True
    host_defaults = HostDefaults(stub)
    host_defaults.set(HostDefaults.ConfiguredPolicySpec(enable_quick_boot=True))
    assert host_defaults.get().enable_quick_boot is True

    # a baseline cluster's enablement check: no desired document yet
    checked = ClusterEnablement(stub).check_task("domain-c3")
    assert wait(checked).status == "SUCCEEDED"
    notes = checked.get_result().notifications
    assert notes["SOFTWARE_SPECIFICATION_EXISTENCE"].errors and not notes["SOFTWARE"].errors

    # what host-1 runs, by id and by name
    components = InstalledComponents(stub).list("host-1")
    assert components["ESXi"].display_version == "8.0 U2"
    by_id = HostSoftware(stub).get(HostSoftware.ConnectionSpec(auth_type="EXISTING", host="host-1"))
    assert by_id.software_info.base_image.version == d.U2
    creds = HostSoftware.HostCredentials(host_name="esx-a2.vlcmsim.local", user_name="root", password="VMware1!")
    spec = HostSoftware.ConnectionSpec(auth_type="USERNAME_PASSWORD", host_credential=creds)
    assert HostSoftware(stub).get(spec).software_info.base_image.display_version == "8.0 U2"
    creds.password = "wrong"
    with pytest.raises(Unauthenticated):
        HostSoftware(stub).get(spec)

    # the desired image's metadata, and the default image from the depots
    metadata = SoftwareSpecMetadata(stub).get("domain-c1")
    assert metadata.software_spec_id == "1" and "ESXi 8.0 U3" in metadata.display_name
    default = Software(stub).get_default_image("domain-c2")
    assert default.base_image.version == d.U3 and default.add_on.name == "DEL-ESXi"

    # a hardware support package's firmware
    package = Versions(stub).get("com.dell.omivv", "Dell-PowerEdge-Gen16", "A02")
    assert {c.name for c in package.components} == {"DEL-BIOS-R760", "DEL-iDRAC9"}


def test_a_hosts_hardware_compatibility_through_the_sdk(fresh_server: Server) -> None:
    """The guide's data, the releases host-1's server may take, and its report against 8.0 U3: the
    Intel NIC's driver that host-1 runs is certified with its firmware, the report is a file too."""
    import ssl

    import httpx
    from com.vmware.esx.hcl.hosts_client import CompatibilityReleases, CompatibilityReport
    from com.vmware.esx.hcl_client import CompatibilityData, Reports

    client = vsphere_client(fresh_server)
    stub = client._stub_config
    data = CompatibilityData(stub)
    shipped = data.get().updated_at
    assert wait(data.update_task()).status == "SUCCEEDED" and data.get().updated_at > shipped
    releases = CompatibilityReleases(stub).list("host-1")
    assert releases.current_compatibility_release == "8.0 U2" and releases.newer_compatibility_releases == ["8.0 U3"]
    task = CompatibilityReport(stub).create_task("host-1", CompatibilityReport.Spec(release="8.0 U3"))
    assert wait(task).status == "SUCCEEDED"
    result = task.get_result()
    assert result.report.server_hcl.model_compatibility == "CERTIFIED"
    nic = next(d for d in result.report.devices_hcl if d.device.driver.name == "i40en")
    assert nic.compatibility == "CERTIFIED" and nic.device.firmware.version == "9.20"
    assert CompatibilityReport(stub).get("host-1").identifier == result.identifier
    location = Reports(stub).get(result.identifier)
    verify = ssl.create_default_context(cafile=str(fresh_server.cert))
    downloaded = httpx.get(location.url, verify=verify, trust_env=False)
    assert downloaded.status_code == 200 and downloaded.json()["target_release"] == "8.0 U3"


def test_recommendations_and_the_images_the_hosts_run(fresh_server: Server) -> None:
    from com.vmware.esx.settings.clusters.software_client import Recommendations
    from com.vmware.esx.settings.clusters_client import InstalledImages

    client = vsphere_client(fresh_server)
    stub = client._stub_config
    recommendations = Recommendations(stub)
    assert wait(recommendations.generate_task("domain-c1")).status == "SUCCEEDED"
    found = recommendations.get("domain-c1")
    assert found.latest_recommendation.base_image.version == d.U3  # the newest the R760s are certified for
    assert found.latest_recommendation.add_on.name == "DEL-ESXi"
    assert found.current_series_recommendation.base_image.version == d.U3
    why = {
        e.display_version: [m.id.rsplit(".", 1)[-1] for m in e.explanation]
        for e in found.base_image_explanation_details
    }
    assert why["8.0 U3"] == ["Latest", "Series"] and why["8.0 U1"] == ["Older"]

    images = InstalledImages(stub)
    assert wait(images.extract_task("domain-c1")).status == "SUCCEEDED"
    uniform = images.get("domain-c1")
    widest = uniform.image_categories.most_widely_used_image.host_list
    assert uniform.uniform_image and widest == {"host-1", "host-2", "host-3", "host-4"}  # a set in the bindings
    with fresh_server.client() as rest:
        task = rest.post(
            "/api/esx/settings/clusters/domain-c1/software?action=apply&vmw-task=true",
            json={"accept_eula": True, "hosts": ["host-1"]},
        ).json()
        while rest.get(f"/api/cis/tasks/{task}").json()["status"] not in ("SUCCEEDED", "FAILED"):
            pass
    assert wait(images.extract_task("domain-c1")).status == "SUCCEEDED"
    mixed = images.get("domain-c1")
    assert not mixed.uniform_image and len(mixed.image_categories.host_image_list) == 2
    assert mixed.image_categories.highest_versioned_image.host_list == {"host-1"}
    assert mixed.image_categories.highest_versioned_image.software_info.base_image.version == d.U3


def test_a_baseline_inventory_moves_to_images_through_the_sdk(fresh_server: Server) -> None:
    """Legacy (baselines, both hosts on 8.0 U1) and the standalone esx-edge2: their images are read,
    they transition, each takes the image its hosts ran as its commit 1; baseline operations are no
    longer needed once nothing uses baselines."""
    from com.vmware.esx.settings.clusters.enablement_client import Software as Enablement
    from com.vmware.esx.settings.inventory.reports.summary_client import Clusters as Summary
    from com.vmware.esx.settings.inventory.reports.transition_summary_client import Clusters as TransitionSummary
    from com.vmware.esx.settings_client import Inventory

    client = vsphere_client(fresh_server)
    stub = client._stub_config
    inventory = Inventory(stub)
    datacenter = Inventory.EntitySpec(type="DATACENTER", datacenters={"datacenter-1"})
    extracted = inventory.extract_installed_image_task(Inventory.ExtractInstalledImageSpec(entities=datacenter))
    assert wait(extracted).status == "SUCCEEDED"
    assert extracted.get_result().cluster_results["domain-c3"].uniform_image
    before = TransitionSummary(stub).get(TransitionSummary.GetParams(type="DATACENTER", datacenters={"datacenter-1"}))
    statuses = {s.cluster: s.status for s in before.cluster_summaries}
    assert statuses["domain-c3"] == "ELIGIBLE" and statuses["domain-c1"] == "CONVERTED"

    legacy = Inventory.EntitySpec(type="CLUSTER", clusters={"domain-c3"})
    moved = inventory.transition_task(Inventory.TransitionSpec(entities=legacy))
    assert wait(moved).status == "SUCCEEDED" and moved.get_result().cluster_results["domain-c3"].status == "COMPLETED"
    assert Enablement(stub).get("domain-c3").enabled is True
    assert Software(stub).get("domain-c3").base_image.version == d.U1
    capability = inventory.update_vum_capability_task()
    assert wait(capability).status == "SUCCEEDED" and capability.get_result().vum_operations_enabled is True

    edge2 = Inventory.EntitySpec(type="HOST", hosts={"host-11"})
    assert wait(inventory.transition_task(Inventory.TransitionSpec(entities=edge2))).status == "SUCCEEDED"
    capability = inventory.update_vum_capability_task()
    assert wait(capability).status == "SUCCEEDED" and capability.get_result().vum_operations_enabled is False

    summary = Summary(stub).get(Summary.GetParams(type="CLUSTER", clusters={"domain-c1", "domain-c3"}))
    by_cluster = {s.cluster: s for s in summary.cluster_summaries}
    assert by_cluster["domain-c3"].software_spec_info.id == "1"
    assert by_cluster["domain-c1"].compliance_summary.compliance_status == "NON_COMPLIANT"


def test_a_recommendation_from_newly_imported_depot_content(fresh_server: Server) -> None:
    """A newer Intel driver arrives in an offline bundle: the next recommendation for Cluster-A,
    whose image carries the driver, names it (the one before named the driver the depots had)."""
    from com.vmware.esx.settings.clusters.software_client import Recommendations

    from helpers import cli, wait_task

    newer = "1.13.0.0-1OEM.800.1.0.24000000"
    bundle = fresh_server.data_dir.parent / "intel.zip"
    built = cli("depot", "build", str(bundle), "--component", f"Intel-i40en:{newer}:Intel", "--payload-size", "4K")
    assert built.returncode == 0, built.stderr
    client = vsphere_client(fresh_server)
    recommendations = Recommendations(client._stub_config)
    assert wait(recommendations.generate_task("domain-c1")).status == "SUCCEEDED"
    before = recommendations.get("domain-c1").latest_recommendation.components["Intel-i40en"].version
    assert before == d.I40EN_NEW
    with fresh_server.client() as rest:
        task = rest.post(
            "/api/esx/settings/depots/offline?vmw-task=true",
            json={"source_type": "PULL", "location": bundle.as_uri()},
        ).json()
        assert wait_task(rest, task)["status"] == "SUCCEEDED"
    assert wait(recommendations.generate_task("domain-c1")).status == "SUCCEEDED"
    after = recommendations.get("domain-c1").latest_recommendation
    assert after.components["Intel-i40en"].version == newer and after.base_image.version == d.U3


@pytest.mark.parametrize("wire", ["rest", "jsonrpc"])
def test_the_hardware_compatibility_overrides_over_both_wires(fresh_server: Server, wire: str) -> None:
    from walk import Walk

    with fresh_server.client() as rest:
        call = Walk(rest, wire, "com.vmware.esx.settings.clusters.software.reports.hardware_compatibility.")
        hcl = "/api/esx/settings/clusters/domain-c1/software/reports/hardware-compatibility"
        rest.post(f"{hcl}?action=check&vmw-task=true")
        drive = {"model": "Dell Ent NVMe P5600 MU U.2 1.6TB", "vendor": "Dell", "capacity": 1_600_321_314_816}
        pick = {"product_selections": [{"key": drive, "vcg_product": "vcg-ssd-53601"}]}
        call(("storage_device_overrides.vcg_entries", "update$task"), "PATCH",
             f"{hcl}/storage-device-overrides/vcg-entries?vmw-task=true", pick)  # fmt: skip
        flag = {"device_reclassifications": [{"key": drive, "override": "FLAG_AS_INCOMPATIBLE"}]}
        call(("storage_device_overrides.compliance_status", "update$task"), "PATCH",
             f"{hcl}/storage-device-overrides/compliance-status?vmw-task=true", flag)  # fmt: skip
        x710 = {"vid": "8086", "did": "1572", "svid": "8086", "ssid": "0007"}
        pci = {"product_selections": [{"target": {"device": x710}, "vcg_product": "vcg-io-37976"}]}
        call(("pci_device_overrides.vcg_entries", "update$task"), "PATCH",
             f"{hcl}/pci-device-overrides/vcg-entries?vmw-task=true", pci)  # fmt: skip
        storage = rest.get(f"{hcl}/details").json()["storage_device_compliance"]
        assert storage["incompatible_devices"][0]["detail"] == "USER_FLAGGED"
        assert len(call.done) == 3


@pytest.mark.parametrize(
    ("kind", "query", "error"),
    [
        ("hosts", "type=HOST&hosts=host-404", "HostNotFound"),
        ("hosts", "type=HOST&hosts=", "HostNotFound"),
        ("hosts", "type=HOST&hosts=host-1", "NotStandalone"),
        ("clusters", "type=CLUSTER&clusters=domain-c404", "ClusterNotFound"),
    ],
)
def test_a_transition_summary_of_what_does_not_exist_is_refused(
    fresh_admin: httpx.Client, kind: str, query: str, error: str
) -> None:
    """A summary names only clusters and standalone hosts there are: an unknown id is NotFound,
    a clustered host is refused, and nothing is kept for either (the fuzzer's empty host id once
    answered 500)."""
    path = f"/api/esx/settings/inventory/reports/transition-summary/{kind}?{query}"
    answer = fresh_admin.get(path)
    assert answer.status_code in (400, 404), answer.text
    assert error in answer.json()["messages"][0]["id"]
    summaries = fresh_admin.get("/api/esx/settings/inventory/reports/transition-summary/hosts?type=HOST&hosts=host-11")
    assert [s["host"] for s in summaries.json()["host_summaries"]] == ["host-11"]
