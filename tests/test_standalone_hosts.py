"""Standalone hosts with an image of their own, through the official SDK alone:
added to a datacenter's host folder, enabled, given a desired image by a
draft, scanned, checked, staged, remediated, reported on — and Unsupported
at host level once the host joins a cluster."""

from __future__ import annotations

import ssl
from typing import Any

import httpx
import pytest
from com.vmware.esx.settings.hosts.enablement_client import Software as Enablement
from com.vmware.esx.settings.hosts.policies_client import Apply as ApplyPolicy
from com.vmware.esx.settings.hosts.software.drafts.software_client import BaseImage, Components
from com.vmware.esx.settings.hosts.software.reports_client import ApplyImpact, LastApplyResult, LastCheckResult
from com.vmware.esx.settings.hosts.software_client import Compliance, Drafts
from com.vmware.esx.settings.hosts_client import Software
from com.vmware.esx.settings_client import BaseImageSpec
from com.vmware.vapi.std.errors_client import AlreadyExists, InvalidElementType, NotFound, Unsupported
from com.vmware.vcenter_client import Folder, Host

from helpers import sim, staged_files, wait_running, wait_task
from sdk import vsphere_client, wait
from vlcmsim.depot import defaults as d
from vlcmsim.testing import ADMIN, Server


def add_host(client: Any, name: str) -> str:
    folder = client.vcenter.Folder.list(Folder.FilterSpec(type=Folder.Type.HOST))[0].folder
    spec = Host.CreateSpec(
        hostname=name,
        user_name="root",
        password="secret",
        folder=folder,
        thumbprint_verification=Host.CreateSpec.ThumbprintVerification.NONE,
    )
    host: str = client.vcenter.Host.create(spec)
    return host


def test_a_standalone_host_from_added_to_compliant_through_the_sdk(fresh_server: Server) -> None:
    client = vsphere_client(fresh_server)
    config = client._stub_config
    host = add_host(client, "esx-new1.vlcmsim.local")
    summary = client.vcenter.Host.list(Host.FilterSpec(hosts={host}, standalone=True))
    assert [s.name for s in summary] == ["esx-new1.vlcmsim.local"]

    # not managed with an image yet: host-level documents are Unsupported
    software = Software(config)
    with pytest.raises(Unsupported):
        software.get(host)
    enablement = Enablement(config)
    assert enablement.get(host).enabled is False
    assert wait(enablement.check_task(host)).status == "SUCCEEDED"  # the spec is optional: every check runs
    checked = enablement.check_task(host, Enablement.CheckSpec(checks_to_skip=set()))
    assert wait(checked).status == "SUCCEEDED"
    assert set(checked.get_result().notifications) >= {"SOFTWARE", "VERSION", "SOFTWARE_SPECIFICATION_EXISTENCE"}
    assert not {k: n.errors for k, n in checked.get_result().notifications.items() if n.errors}
    assert wait(enablement.enable_task(host, Enablement.EnableSpec(skip_software_check=False))).status == "SUCCEEDED"
    assert enablement.get(host).enabled is True
    # its first desired image is the one it runs: 8.0 U2
    assert software.get(host).base_image.version == d.U2

    # a draft from its current image: 8.0 U3 and a newer Intel driver
    drafts = Drafts(config)
    draft = drafts.create(host)
    BaseImage(config).set(host, draft, BaseImageSpec(version=d.U3))
    Components(config).set(host, draft, "Intel-i40en", d.I40EN_NEW)
    validated = drafts.validate_task(host, draft)
    assert wait(validated).status == "SUCCEEDED"
    assert not validated.get_result().notifications.errors
    committed = drafts.commit_task(host, draft, Drafts.CommitSpec(message="8.0 U3 for the edge"))
    assert wait(committed).status == "SUCCEEDED"
    commit = committed.get_result()
    assert software.get(host).base_image.version == d.U3

    scan = software.scan_task(host)
    assert wait(scan).status == "SUCCEEDED"
    assert scan.get_result().status == "NON_COMPLIANT"
    assert scan.get_result().commit == commit

    # a standalone host has nowhere to move its VMs: the check says so until the policy powers them off
    check = software.check_task(host, Software.CheckSpec())
    assert wait(check).status == "SUCCEEDED"
    assert check.get_result().status == "ERROR"
    failing = [s for s in check.get_result().entity_result.check_statuses if s.status == "ERROR"]
    assert [s.check.check.rsplit(".", 1)[-1] for s in failing] == ["StandaloneMaintenanceModeCheck"]
    assert "no other host" in failing[0].check_issues[0].description.default_message
    policies = ApplyPolicy(config)
    policies.set(
        host,
        ApplyPolicy.ConfiguredPolicySpec(
            pre_remediation_power_action=ApplyPolicy.ConfiguredPolicySpec.PreRemediationPowerAction.POWER_OFF_VMS
        ),
    )
    check = software.check_task(host, Software.CheckSpec())
    assert wait(check).status == "SUCCEEDED"
    assert check.get_result().status == "OK"
    assert LastCheckResult(config).get(host).status == "OK"
    impact = ApplyImpact(config).get(host)
    assert any("powered off" in i.message.default_message for i in impact.impact)

    staged = software.stage_task(host, Software.StageSpec())
    info = wait(staged)
    assert info.status == "SUCCEEDED", info.error
    result = staged.get_result()
    assert result.status.status == "OK" and result.host_info.name == "esx-new1.vlcmsim.local"
    assert result.status.progress.completed == result.status.progress.total > 0
    assert len(staged_files(fresh_server.data_dir, host)) >= 2  # the base image and the driver

    applied = software.apply_task(host, Software.ApplySpec(accept_eula=True))
    info = wait(applied)
    assert info.status == "SUCCEEDED", info.error
    assert applied.get_result().status.status == "OK"
    assert Compliance(config).get(host).status == "COMPLIANT"
    last = LastApplyResult(config).get(host)
    assert last.commit == commit and last.status.status == "OK"
    assert not staged_files(fresh_server.data_dir, host)  # installed: the staging area is empty again

    # moved into Cluster-A, the host follows the cluster's image
    with httpx.Client(
        base_url=fresh_server.url, verify=ssl.create_default_context(cafile=str(fresh_server.cert)), trust_env=False
    ) as admin:
        admin.headers["vmware-api-session-id"] = admin.post("/api/session", auth=ADMIN).json()
        r = admin.patch(f"/sim/hosts/{host}", json={"cluster": "domain-c1"})
        assert r.status_code == 200, r.text
        compliance = admin.get("/api/esx/settings/clusters/domain-c1/software/compliance").json()
        assert host in compliance["hosts"]
    with pytest.raises(Unsupported):
        software.stage_task(host, Software.StageSpec())
    with pytest.raises(Unsupported):
        Compliance(config).get(host)


def test_adding_hosts_refuses_what_vcenter_refuses(fresh_server: Server) -> None:
    client = vsphere_client(fresh_server)
    folders = client.vcenter.Folder.list()
    vm_folder = next(f.folder for f in folders if f.type == Folder.Type.VIRTUAL_MACHINE)

    def spec(name: str, folder: str | None) -> Any:
        return Host.CreateSpec(
            hostname=name,
            user_name="root",
            password="secret",
            folder=folder,
            thumbprint_verification=Host.CreateSpec.ThumbprintVerification.NONE,
        )

    with pytest.raises(InvalidElementType):
        client.vcenter.Host.create(spec("esx-x.vlcmsim.local", vm_folder))
    with pytest.raises(NotFound):
        client.vcenter.Host.create(spec("esx-x.vlcmsim.local", "group-h999"))
    with pytest.raises(AlreadyExists):
        client.vcenter.Host.create(spec("esx-a1.vlcmsim.local", "group-h1"))
    host = client.vcenter.Host.create(spec("esx-x.vlcmsim.local", "group-h1"))
    client.vcenter.Host.delete(host)
    assert host not in {h.host for h in client.vcenter.Host.list()}


EDGE1 = "host-10"


def test_a_standalone_hosts_stage_fails_when_it_is_disconnected_and_can_be_canceled(fresh_admin: httpx.Client) -> None:
    stage = f"/api/esx/settings/hosts/{EDGE1}/software?action=stage&vmw-task=true"
    sim(fresh_admin, EDGE1, connection_state="DISCONNECTED")
    info = wait_task(fresh_admin, fresh_admin.post(stage, json={}).json())
    assert info["status"] == "FAILED"
    status = info["result"]["status"]
    assert status["status"] == "ERROR" and status["notifications"]["errors"]
    assert "esx-edge1" in status["notifications"]["errors"][0]["message"]["default_message"]

    sim(fresh_admin, EDGE1, connection_state="CONNECTED", bandwidth_bytes_per_s=1024)
    task = fresh_admin.post(stage, json={}).json()
    wait_running(fresh_admin, task)
    busy = fresh_admin.post(stage, json={})
    assert busy.status_code == 400 and busy.json()["error_type"] == "NOT_ALLOWED_IN_CURRENT_STATE"
    assert fresh_admin.post(f"/api/cis/tasks/{task}?action=cancel").status_code == 204
    info = wait_task(fresh_admin, task)
    assert info["status"] == "FAILED" and info["error"]["error_type"] == "CANCELED"
    assert info["result"]["status"]["status"] == "ERROR"  # the host's work stopped, saying why


def test_hosts_join_and_leave_clusters_and_the_inventory(fresh_admin: httpx.Client) -> None:
    # a cluster's connected host serves it: it cannot be removed until it is in maintenance mode or disconnected
    r = fresh_admin.delete("/api/vcenter/host/host-4")
    assert r.status_code == 400 and r.json()["error_type"] == "RESOURCE_IN_USE"
    sim(fresh_admin, "host-4", connection_state="DISCONNECTED")
    assert fresh_admin.delete("/api/vcenter/host/host-4").status_code == 204
    compliance = fresh_admin.get("/api/esx/settings/clusters/domain-c1/software/compliance").json()
    assert set(compliance["hosts"]) == {"host-1", "host-2", "host-3"}
    assert fresh_admin.get("/sim/hosts/host-4").status_code == 404

    # moving a member out makes it a standalone host without an image of its own
    assert sim(fresh_admin, "host-3", cluster=None)["cluster"] is None
    r = fresh_admin.get("/api/esx/settings/hosts/host-3/software")
    assert r.status_code == 400 and "not managed with an image" in r.json()["messages"][0]["default_message"]
    hosts = fresh_admin.get("/api/vcenter/host", params={"standalone": "true"}).json()
    assert {h["host"] for h in hosts} == {"host-3", "host-10", "host-11"}

    # a standalone host with its own image loses it when it joins a cluster
    r = fresh_admin.patch(f"/sim/hosts/{EDGE1}", json={"cluster": "domain-c404"})
    assert r.status_code == 404
    sim(fresh_admin, EDGE1, cluster="domain-c2")
    r = fresh_admin.get(f"/api/esx/settings/hosts/{EDGE1}/software/commits/1")
    assert r.status_code == 400 and r.json()["error_type"] == "UNSUPPORTED"
    back = sim(fresh_admin, EDGE1, cluster=None)
    assert back["cluster"] is None
    enablement = fresh_admin.get(f"/api/esx/settings/hosts/{EDGE1}/enablement/software").json()
    assert enablement == {"enabled": False}  # its former document is gone with its membership


def test_folders_are_the_datacenters_and_theirs(admin: httpx.Client) -> None:
    folders = admin.get("/api/vcenter/folder").json()
    assert {(f["folder"], f["type"]) for f in folders} == {
        ("group-d1", "DATACENTER"),
        ("group-h1", "HOST"),
        ("group-v1", "VIRTUAL_MACHINE"),
        ("group-s1", "DATASTORE"),
        ("group-n1", "NETWORK"),
    }
    hosts_only = admin.get("/api/vcenter/folder", params={"type": "HOST", "datacenters": "datacenter-1"}).json()
    assert hosts_only == [{"folder": "group-h1", "name": "host", "type": "HOST"}]
