"""The official SDK, unchanged, as a user's script calls it: what broke it
before (union rules the server did not honour, a required field) works."""

from __future__ import annotations

import time

import pytest
from com.vmware.esx.settings.clusters.enablement_client import Software as Enablement
from com.vmware.esx.settings.depots_client import Offline
from com.vmware.vapi.std.errors_client import NotFound

from sdk import vsphere_client, wait
from vlcmsim.testing import Server


def test_the_embedded_depot_reads_through_the_sdk(server: Server) -> None:
    client = vsphere_client(server)
    offline = Offline(client._stub_config)
    depots = offline.list()
    assert depots
    depot_id, summary = next(iter(depots.items()))
    assert summary.source_type == Offline.SourceType.PULL and summary.location.startswith("vlcmsim://embedded/")
    assert offline.get(depot_id).location == summary.location


def test_enabling_image_management_through_the_sdk(server: Server) -> None:
    client = vsphere_client(server)
    enablement = Enablement(client._stub_config)
    task = enablement.enable_task("domain-c1", Enablement.EnableSpec(skip_software_check=False))
    assert wait(task).status == "SUCCEEDED"
    assert enablement.get("domain-c1").enabled is True


def test_scan_check_impact_apply_and_reports_through_the_sdk(fresh_server: Server) -> None:
    from com.vmware.esx.settings.clusters.software.reports_client import (
        ApplyImpact,
        LastApplyResult,
        LastCheckResult,
    )
    from com.vmware.esx.settings.clusters_client import Software

    client = vsphere_client(fresh_server)
    config = client._stub_config
    software = Software(config)
    scan = software.scan_task("domain-c1")
    assert wait(scan).status == "SUCCEEDED"
    assert scan.get_result().status == "NON_COMPLIANT"
    assert scan.get_result().hosts["host-1"].stage_status == "NOT_STAGED"
    impact = ApplyImpact(config).get("domain-c1")
    assert set(impact.host_impact) == {"host-1", "host-2", "host-3", "host-4"}
    check = software.check_task("domain-c1", Software.CheckSpec())
    assert wait(check).status == "SUCCEEDED"
    assert check.get_result().status == "OK"
    assert LastCheckResult(config).get("domain-c1").status == "OK"
    applied = software.apply_task("domain-c1", Software.ApplySpec(accept_eula=True))
    assert wait(applied).status == "SUCCEEDED"
    last = LastApplyResult(config).get("domain-c1")
    assert last.successful_hosts == {"host-1", "host-2", "host-3", "host-4"}
    scan = software.scan_task("domain-c1")
    assert wait(scan).status == "SUCCEEDED"
    assert scan.get_result().status == "COMPLIANT"


def test_a_remediation_script_through_the_sdk_from_policy_to_compliant(fresh_server: Server) -> None:
    """The walk of a vLCM automation: policy, scan, impact, check, stage (one canceled), apply
    with an install failure retried by the policy, reports, and a final scan."""
    from com.vmware.cis_client import Tasks
    from com.vmware.esx.settings.clusters.policies_client import Apply
    from com.vmware.esx.settings.clusters.software.reports_client import (
        ApplyImpact,
        LastApplyResult,
        LastCheckResult,
    )
    from com.vmware.esx.settings.clusters_client import Software

    from helpers import sim, staged_files

    client = vsphere_client(fresh_server)
    config = client._stub_config
    software = Software(config)
    Apply(config).set(
        "domain-c1",
        Apply.ConfiguredPolicySpec(
            failure_action=Apply.FailureAction(action=Apply.FailureAction.Action.RETRY, retry_delay=0, retry_count=1),
            parallel_remediation_action=Apply.ParallelRemediationAction(enabled=True, max_hosts=2),
        ),
    )
    assert Apply(config).get("domain-c1").parallel_remediation_action.max_hosts == 2
    scan = software.scan_task("domain-c1")
    assert wait(scan).status == "SUCCEEDED" and scan.get_result().status == "NON_COMPLIANT"
    impact = ApplyImpact(config).get("domain-c1")
    assert all(len(messages) == 2 for messages in impact.host_impact.values())  # maintenance mode and reboot
    with fresh_server.client() as rest:
        sim(rest, "host-3", connection_state="DISCONNECTED")
        check = software.check_task("domain-c1", Software.CheckSpec())
        assert wait(check).status == "SUCCEEDED" and check.get_result().status == "ERROR"
        sim(rest, "host-3", connection_state="CONNECTED")
        check = software.check_task("domain-c1", Software.CheckSpec())
        assert wait(check).status == "SUCCEEDED" and check.get_result().status == "OK"
        assert LastCheckResult(config).get("domain-c1").status == "OK"
        sim(rest, "host-1", bandwidth_bytes_per_s=256 * 1024)
        slow = software.stage_task("domain-c1", Software.StageSpec(hosts={"host-1"}))
        while not list((fresh_server.data_dir / "hosts" / "host-1" / "staging").glob("*")):
            time.sleep(0.05)
        Tasks(config).cancel(slow.get_task_id())
        canceled = wait(slow)
        assert canceled.status == "FAILED" and canceled.error.error_type == "CANCELED"
        staged_files(fresh_server.data_dir, "host-1")  # nothing partial left
        sim(rest, "host-1", bandwidth_bytes_per_s=0)
        assert wait(software.stage_task("domain-c1", Software.StageSpec())).status == "SUCCEEDED"
        sim(rest, "host-2", fail_installs=1)
    applied = software.apply_task("domain-c1", Software.ApplySpec(accept_eula=True))
    assert wait(applied).status == "SUCCEEDED"
    result = applied.get_result()
    notes = [n.message.default_message for n in result.host_status["host-2"].notifications.info]
    assert any("try 2 of 2" in n for n in notes)
    last = LastApplyResult(config).get("domain-c1")
    assert last.successful_hosts == result.successful_hosts == {"host-1", "host-2", "host-3", "host-4"}
    scan = software.scan_task("domain-c1")
    assert wait(scan).status == "SUCCEEDED" and scan.get_result().status == "COMPLIANT"


def test_solutions_hardware_support_compatibility_and_names_through_the_sdk(fresh_server: Server) -> None:
    from com.vmware.esx.settings.clusters.policies.apply_client import Effective
    from com.vmware.esx.settings.clusters.software.reports_client import HardwareCompatibility
    from com.vmware.esx.settings.clusters.software_client import (
        EffectiveComponents,
        HardwareSupport,
        Solutions,
    )
    from com.vmware.esx.settings.clusters_client import Software
    from com.vmware.esx.settings.hardware_support_client import Managers
    from com.vmware.esx.settings_client import SolutionComponentSpec, SolutionSpec

    client = vsphere_client(fresh_server)
    config = client._stub_config
    assert Effective(config).get("domain-c1").parallel_remediation_action.max_hosts == 1
    assert [m.manager for m in Managers(config).list()] == ["com.dell.omivv"]
    assert Software(config).get_display_name("domain-c1").display_name.startswith("Cluster-A image")
    spec = SolutionSpec(version="8.0.3", components=[SolutionComponentSpec(component="vsan-fs-agent")])
    task = Solutions(config).set_task("domain-c2", "com.vmware.vsan.fileservices", spec)
    assert wait(task).status == "SUCCEEDED"
    assert Solutions(config).get("domain-c2", "com.vmware.vsan.fileservices").version == "8.0.3"
    assert EffectiveComponents(config).list("domain-c2")["vsan-fs-agent"].details.source == "SOLUTION"
    check = HardwareCompatibility(config).check_task("domain-c1")
    assert wait(check).status == "SUCCEEDED"
    assert check.get_result().pci_device_compliance.status == "INCOMPATIBLE"
    assert HardwareCompatibility(config).get("domain-c1").status == "INCOMPATIBLE"
    with pytest.raises(NotFound) as missing:  # no hardware support package is configured
        HardwareSupport(config).get("domain-c1")
    assert "names no hardware support package" in missing.value.messages[0].default_message
