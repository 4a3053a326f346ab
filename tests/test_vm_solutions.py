"""System VM solutions, every operation over REST and JSON-RPC: an agent pinned
to every host of Cluster-A is applied and waits in its post-power-on hook until
the solution processes it (one VM with a dynamic update); its VMs appear in
vim25; a new spec makes them obsolete; a cluster VM set whose OVF cannot be
read fails with an issue; it moves to Cluster-B; a taken-over EAM solution
adopts the VMs named after it; deleting a solution removes its VMs."""

from __future__ import annotations

import time

import httpx
import pytest
from pyVim.connect import Disconnect
from pyVmomi import vim
from test_soap_remediation import connect
from walk import Walk

from helpers import wait_task
from vlcmsim.testing import Server

V = "/api/esx/settings/clusters/domain-c1/vms"
AGENT = "com.example.agent"
SET = "com.example.set"


def solution_spec(kind: str = "EVERY_HOST_PINNED", version: str = "1.0", **extra: object) -> dict[str, object]:
    spec: dict[str, object] = {
        "deployment_type": kind,
        "display_name": "Example agent",
        "display_version": version,
        "vm_name_template": {"prefix": "example-agent-", "suffix": "COUNTER"},
        "ovf_resource": {"location_type": "LOCAL_FILE", "url": "file:///var/lib/vlcmsim/agent.ovf"},
        "vm_storage_policy": "DEFAULT",
    }
    if kind == "EVERY_HOST_PINNED":
        spec["host_solution_spec"] = {}
    spec.update(extra)
    return spec


def _hooks(client: httpx.Client, count: int) -> list[dict[str, object]]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        hooks: list[dict[str, object]] = client.get(f"{V}/lifecycle-hooks/{AGENT}").json()["hooks"]
        if len(hooks) == count:
            return hooks
        time.sleep(0.05)
    raise AssertionError("the hooks were not activated")


@pytest.mark.parametrize("wire", ["rest", "jsonrpc"])
def test_every_solution_operation_over_both_wires(fresh_server: Server, wire: str) -> None:
    client = fresh_server.client()
    call = Walk(client, wire, "com.vmware.esx.settings.clusters.vms.")
    hooked = solution_spec(hook_configurations={"POST_POWER_ON": {"timeout": 60}})
    call(("solutions", "set$task"), "PUT", f"{V}/solutions/{AGENT}?vmw-task=true", hooked)
    assert call(("solutions", "get"), "GET", f"{V}/solutions/{AGENT}")["host_solution_info"]["vm_networks"] == []
    assert set(call(("solutions", "list"), "GET", f"{V}/solutions")["solutions"]) == {AGENT}

    # the apply waits in each VM's post-power-on hook until the solution processes it
    task = client.post(f"{V}/solutions?action=apply&vmw-task=true", json={}).json()
    hooks = _hooks(client, 4)
    assert {h["lifecycle_state"] for h in hooks} == {"POST_POWER_ON"}
    call(("lifecycle_hooks", "list"), "GET", f"{V}/lifecycle-hooks/{AGENT}")
    first = str(hooks[0]["vm"])
    update = {"vm": first, "solution": AGENT, "lifecycle_state": "POST_POWER_ON"}
    call(("lifecycle_hooks", "process_dynamic_update"), "POST", f"{V}/lifecycle-hooks?action=process-dynamic-update",
         update, 204)  # fmt: skip
    for h in hooks:
        done = {"vm": h["vm"], "lifecycle_state": "POST_POWER_ON", "processed_successfully": True}
        call(("lifecycle_hooks", "mark_as_processed"), "POST", f"{V}/lifecycle-hooks?action=mark-as-processed",
             done, 204)  # fmt: skip
    again = {"vm": first, "lifecycle_state": "POST_POWER_ON", "processed_successfully": True}
    refused = client.post(f"{V}/lifecycle-hooks?action=mark-as-processed", json=again)
    assert refused.status_code == 400 and refused.json()["error_type"] == "NOT_ALLOWED_IN_CURRENT_STATE"
    info = wait_task(client, task)
    assert info["status"] == "SUCCEEDED", info
    assert set(info["result"]["host_solutions_status"]["host_statuses"]) == {"host-1", "host-2", "host-3", "host-4"}

    check = f"{V}/solutions?action=check-compliance&vmw-task=true"
    compliance = call(("solutions", "check_compliance$task"), "POST", check, {})
    assert compliance["status"] == "COMPLIANT"
    vms = {
        h: c["compliances"][AGENT]["deployment"]["vm"]
        for h, c in compliance["host_solutions_status"]["compliances"].items()
    }
    assert len(set(vms.values())) == 4

    # the agents are VMs of vim25, powered on, one on each host
    si = connect(fresh_server)
    try:
        view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [vim.VirtualMachine], True)
        agents = {
            v.name: (v.runtime.host.name, v.runtime.powerState) for v in view.view if v.name.startswith("example")
        }
    finally:
        Disconnect(si)
    assert agents["example-agent-esx-a1"] == ("esx-a1.vlcmsim.local", "poweredOn") and len(agents) == 4

    # a new version: every VM is of an obsolete spec until applied again
    call(("solutions", "set$task"), "PUT", f"{V}/solutions/{AGENT}?vmw-task=true", solution_spec(version="1.1"))
    compliance = call(("solutions", "check_compliance$task"), "POST", check, {"hosts": ["host-1"]})
    deployment = compliance["host_solutions_status"]["compliances"]["host-1"]["compliances"][AGENT]["deployment"]
    assert compliance["status"] == "NON_COMPLIANT" and deployment["status"] == "OBSOLETE_SPEC"

    # two VMs for the cluster, apart; their OVF cannot be read: the apply fails, saying why
    remote = {
        "location_type": "REMOTE_FILE",
        "url": "http://127.0.0.1:9/agent.ovf",
        "ssl_certificate_validation": "DISABLED",
    }
    cluster_spec = {"vm_count": 2, "vm_placement_policies": ["VM_VM_ANTI_AFFINITY"]}
    vm_set = solution_spec("CLUSTER_VM_SET", ovf_resource=remote, cluster_solution_spec=cluster_spec)
    call(("solutions", "set$task"), "PUT", f"{V}/solutions/{SET}?vmw-task=true", vm_set)
    only_set = {"cluster_solutions": {"solutions": [SET]}}
    failed = wait_task(client, client.post(f"{V}/solutions?action=apply&vmw-task=true", json=only_set).json())
    assert failed["status"] == "FAILED" and "2 deployment unit(s)" in failed["error"]["messages"][0]["default_message"]
    call(("solutions", "apply$task"), "POST", f"{V}/solutions?action=apply&vmw-task=true",
         {"host_solutions": {"solutions": [AGENT], "hosts": ["host-1"]}})  # fmt: skip
    compliance = call(("solutions", "check_compliance$task"), "POST", check, {"solutions": [SET]})
    unit = compliance["cluster_solutions_status"]["compliances"][SET]["compliances"]["1"]["deployment"]
    assert unit["status"] == "ISSUE" and unit["issues"][0]["type"] == "OVF_CANNOT_ACCESS"

    # the VM set moves to Cluster-B; Cluster-B takes over an EAM solution whose VMs are named after it
    move = {"source_cluster": "domain-c1", "solution": vm_set}
    b = "/api/esx/settings/clusters/domain-c2/vms"
    call(("transition", "transition$task"), "POST", f"{b}/transition/{SET}?action=transition&vmw-task=true", move)
    assert set(client.get(f"{V}/solutions").json()["solutions"]) == {AGENT}
    assert set(client.get(f"{b}/solutions").json()["solutions"]) == {SET}
    workloads = solution_spec(vm_name_template={"prefix": "esx-b1-vm", "suffix": "COUNTER"})
    enable = {"eam_agency_id": "agency-7", "solution": workloads}
    call(("transition", "enable$task"), "POST", f"{b}/transition/{AGENT}?action=enable&vmw-task=true", enable)
    adopted = wait_task(client, client.post(f"{b}/solutions?action=check-compliance&vmw-task=true", json={}).json())
    per_host = adopted["result"]["host_solutions_status"]["compliances"]
    assert per_host["host-5"]["compliances"][AGENT]["deployment"]["status"] == "COMPLIANT"  # its VMs, untouched
    many = {"eam_agency_ids": ["agency-8", "agency-9"], "solution": solution_spec(
        "CLUSTER_VM_SET", cluster_solution_spec={"vm_count": 1})}  # fmt: skip
    call(("transition", "multi_source_enable$task"), "POST",
         f"{b}/transition/com.example.pair?action=multi-source-enable&vmw-task=true", many)  # fmt: skip

    # deleting a solution removes its VMs
    call(("solutions", "delete$task"), "DELETE", f"{V}/solutions/{AGENT}?vmw-task=true")
    assert client.get(f"{V}/solutions").json() == {"solutions": {}}
    si = connect(fresh_server)
    try:
        view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [vim.VirtualMachine], True)
        assert not [v for v in view.view if v.name.startswith("example-agent")]
    finally:
        Disconnect(si)
    assert len(call.done) == 12
    client.close()
