"""Every operation of esx.settings.hosts.*, walked on esx-edge1 (the default
inventory's standalone host with an image of its own) over REST and again over
JSON-RPC, and what the host-level operations answer for hosts they are not
for: a cluster's member, and a standalone host not managed with an image.

The walk is written as REST requests; over JSON-RPC each becomes the
invocation of the same operation with the inputs the request carries, typed
as the SDK types them, and its answer is read back as REST would show it."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from walk import Walk

from helpers import wait_task
from vlcmsim.app import OPERATION_SETS
from vlcmsim.depot import defaults as d
from vlcmsim.vapi.operations import OperationTable

EDGE1, EDGE2, MEMBER = "host-10", "host-11", "host-1"
H = f"/api/esx/settings/hosts/{EDGE1}"


def implemented_host_operations() -> set[tuple[str, str]]:
    return {
        (op.spec.service.removeprefix("com.vmware.esx.settings.hosts."), op.spec.operation)
        for op in OperationTable(OPERATION_SETS)
        if op.spec.service.startswith("com.vmware.esx.settings.hosts.")
    }


@pytest.mark.parametrize("wire", ["rest", "jsonrpc"])
def test_every_host_operation_over_both_wires(fresh_admin: httpx.Client, wire: str) -> None:
    call = Walk(fresh_admin, wire, "com.vmware.esx.settings.hosts.")
    # enablement: esx-edge1 is managed with an image already
    assert call(("enablement.software", "get"), "GET", f"{H}/enablement/software") == {"enabled": True}
    checked = call(
        ("enablement.software", "check$task"),
        "POST",
        f"{H}/enablement/software?action=check&vmw-task=true",
        {"checks_to_skip": ["VSAN_WITNESS_ELIGIBILITY"]},
    )
    assert "VSAN_WITNESS_ELIGIBILITY" not in checked["notifications"] and "VERSION" in checked["notifications"]
    call(
        ("enablement.software", "enable$task"),
        "PUT",
        f"{H}/enablement/software?vmw-task=true",
        {"skip_software_check": False},
        status=202,
    )

    # the desired image and its parts
    software = call(("software", "get"), "GET", f"{H}/software")
    assert software["base_image"]["version"] == d.U3
    assert call(("software", "get_display_name"), "GET", f"{H}/software/display-name")["display_name"]
    assert call(("software.base_image", "get"), "GET", f"{H}/software/base-image")["version"] == d.U3
    assert call(("software.add_on", "get"), "GET", f"{H}/software/add-on")["name"] == d.DELL_ADDON[0]
    components = call(("software.components", "list"), "GET", f"{H}/software/components")
    assert components["Intel-i40en"]["version"] == d.I40EN_NEW
    assert call(("software.components", "get"), "GET", f"{H}/software/components/Intel-i40en")["version"]
    assert call(("software.commits", "get"), "GET", f"{H}/software/commits/1")["apply_status"] == "NOT_APPLIED"
    effective = call(("software.effective_components", "list"), "GET", f"{H}/software/effective-components")
    assert "Intel-i40en" in effective
    call(
        ("software.effective_components", "list_with_removed_components"),
        "GET",
        f"{H}/software/effective-components?with-removed-components",
    )
    assert call(("software.removed_components", "list"), "GET", f"{H}/software/removed-components") == {}
    call(("software.removed_components", "get"), "GET", f"{H}/software/removed-components/bnxtnet", status=404)
    assert call(("software.solutions", "list"), "GET", f"{H}/software/solutions") == {}
    exported = call(
        ("software", "export"),
        "POST",
        f"{H}/software?action=export",
        {
            "export_software_spec": True,
            "export_iso_image": False,
            "export_offline_bundle": False,
        },
    )
    assert set(exported) == {"SOFTWARE_SPEC"}

    # compliance and the reports
    compliance = call(("software.compliance", "get"), "GET", f"{H}/software/compliance")
    assert compliance["status"] == "NON_COMPLIANT" and compliance["commit"] == "1"
    scanned = call(("software", "scan$task"), "POST", f"{H}/software?action=scan&vmw-task=true")
    assert scanned["status"] == "NON_COMPLIANT"
    impact = call(("software.reports.apply_impact", "get"), "GET", f"{H}/software/reports/apply-impact")
    assert impact["host_info"]["name"] == "esx-edge1.vlcmsim.local"

    # the apply policy: power the VMs off (a standalone host cannot move them)
    assert call(("policies.apply", "get"), "GET", f"/api/esx/settings/hosts/{EDGE1}/policies/apply") == {}
    call(
        ("policies.apply", "set"),
        "PUT",
        f"/api/esx/settings/hosts/{EDGE1}/policies/apply",
        {"pre_remediation_power_action": "POWER_OFF_VMS", "failure_action": {"action": "FAIL"}},
    )
    effective_policy = call(
        ("policies.apply.effective", "get"), "GET", f"/api/esx/settings/hosts/{EDGE1}/policies/apply/effective"
    )
    assert effective_policy["pre_remediation_power_action"] == "POWER_OFF_VMS"

    checked = call(("software", "check$task"), "POST", f"{H}/software?action=check&vmw-task=true", {})
    assert checked["status"] == "OK" and checked["entity_result"]["host"] == EDGE1
    assert (
        call(("software.reports.last_check_result", "get"), "GET", f"{H}/software/reports/last-check-result")["status"]
        == "OK"
    )

    # a draft: every edit, then validate, scan and commit
    D = f"{H}/software/drafts"
    draft = call(("software.drafts", "create"), "POST", D, status=201)
    assert set(call(("software.drafts", "list"), "GET", D)) == {draft}
    assert call(("software.drafts", "get"), "GET", f"{D}/{draft}")["metadata"]["status"] == "VALID"
    S = f"{D}/{draft}/software"
    call(("software.drafts.software.base_image", "set"), "PUT", f"{S}/base-image", {"version": d.U3})
    assert call(("software.drafts.software.base_image", "get"), "GET", f"{S}/base-image")["version"] == d.U3
    call(("software.drafts.software.add_on", "delete"), "DELETE", f"{S}/add-on")
    call(("software.drafts.software.add_on", "get"), "GET", f"{S}/add-on", status=404)
    call(
        ("software.drafts.software.add_on", "set"),
        "PUT",
        f"{S}/add-on",
        {"name": d.DELL_ADDON[0], "version": d.DELL_ADDON[1]},
    )
    call(("software.drafts.software.components", "set"), "PUT", f"{S}/components/bnxtnet", d.BNXTNET)
    assert call(("software.drafts.software.components", "get"), "GET", f"{S}/components/bnxtnet")["version"]
    call(
        ("software.drafts.software.components", "update"),
        "PATCH",
        f"{S}/components",
        {"components_to_set": {"Intel-i40en": d.I40EN_NEW}},
    )
    assert "bnxtnet" in call(("software.drafts.software.components", "list"), "GET", f"{S}/components")
    call(("software.drafts.software.components", "delete"), "DELETE", f"{S}/components/bnxtnet")
    call(("software.drafts.software.effective_components", "list"), "GET", f"{S}/effective-components")
    call(
        ("software.drafts.software.effective_components", "list_with_removed_components"),
        "GET",
        f"{S}/effective-components?with-removed-components",
    )
    carried = next(
        iter(call(("software.drafts.software.effective_components", "list"), "GET", f"{S}/effective-components"))
    )
    call(("software.drafts.software.removed_components", "set"), "PUT", f"{S}/removed-components/{carried}")
    assert carried in call(("software.drafts.software.removed_components", "list"), "GET", f"{S}/removed-components")
    call(("software.drafts.software.removed_components", "get"), "GET", f"{S}/removed-components/{carried}")
    call(("software.drafts.software.removed_components", "delete"), "DELETE", f"{S}/removed-components/{carried}")
    call(("software.drafts.display_name", "set"), "PUT", f"{D}/{draft}/display-name", {"display_name": "Edge image"})
    assert call(("software.drafts.display_name", "get"), "GET", f"{D}/{draft}/display-name") == {
        "display_name": "Edge image"
    }
    assert call(("software.drafts", "get"), "GET", f"{D}/{draft}")["display_name"] == "Edge image"
    validated = call(("software.drafts", "validate$task"), "POST", f"{D}/{draft}?action=validate&vmw-task=true")
    assert "errors" not in validated["notifications"]
    against_draft = call(("software.drafts", "scan$task"), "POST", f"{D}/{draft}?action=scan&vmw-task=true")
    assert against_draft["status"] == "NON_COMPLIANT" and against_draft.get("commit") is None
    commit = call(
        ("software.drafts", "commit$task"), "POST", f"{D}/{draft}?action=commit&vmw-task=true", {"message": "edge"}
    )
    assert commit == "2"
    # a second draft, imported from the exported document, then deleted
    document = fresh_admin.get(exported["SOFTWARE_SPEC"]).text
    imported = call(
        ("software.drafts", "import_software_spec"),
        "POST",
        f"{D}?action=import-software-spec",
        {"source_type": "JSON_STRING", "software_spec": document},
    )
    call(("software.drafts", "delete"), "DELETE", f"{D}/{imported}")

    # solutions: set and remove one (each makes a commit)
    call(
        ("software.solutions", "set$task"),
        "PUT",
        f"{H}/software/solutions/com.vmware.vsan.fileservices?vmw-task=true",
        {"version": "8.0.3", "components": [{"component": "vsan-fs-agent"}]},
    )
    assert call(("software.solutions", "get"), "GET", f"{H}/software/solutions/com.vmware.vsan.fileservices")
    call(
        ("software.solutions", "delete$task"),
        "DELETE",
        f"{H}/software/solutions/com.vmware.vsan.fileservices?vmw-task=true",
    )

    # stage, then apply: the host runs its latest commit
    staged = call(("software", "stage$task"), "POST", f"{H}/software?action=stage&vmw-task=true", {})
    assert staged["status"]["status"] == "OK" and staged["host_info"] == {"name": "esx-edge1.vlcmsim.local"}
    applied = call(
        ("software", "apply$task"), "POST", f"{H}/software?action=apply&vmw-task=true", {"accept_eula": True}
    )
    assert applied["status"]["status"] == "OK"
    last = call(("software.reports.last_apply_result", "get"), "GET", f"{H}/software/reports/last-apply-result")
    assert last["status"]["status"] == "OK" and last["commit"] == applied["commit"]
    assert fresh_admin.get(f"{H}/software/compliance").json()["status"] == "COMPLIANT"

    # what vLCM recommends for the host, and its image's metadata
    call(
        ("software.recommendations", "generate$task"),
        "POST",
        f"{H}/software/recommendations?action=generate&vmw-task=true",
    )
    recommended = call(("software.recommendations", "get"), "GET", f"{H}/software/recommendations")
    assert recommended["latest_recommendation"]["base_image"]["version"] == d.U3
    metadata = call(("software.software_spec_metadata", "get"), "GET", f"{H}/software/software-spec-metadata")
    assert metadata["software_spec_id"] == applied["commit"]

    # the host's actual configuration (Configuration Profiles), as its document's section
    extracted = call(("configuration", "extract"), "POST", f"{H}/configuration?action=extract")
    assert json.loads(extracted["config"])["esx"]["network"]["dns"]["host_name"] == "esx-edge1"

    # depots of the host's own site instead of vCenter's
    site = {"location": "https://depot.edge.example/index.xml"}
    call(("depot_overrides", "add"), "POST", f"{H}/depot-overrides?action=add", site, 204)
    assert call(("depot_overrides", "get"), "GET", f"{H}/depot-overrides") == {"depots": [site]}
    call(("depot_overrides", "remove"), "POST", f"{H}/depot-overrides?action=remove", site, 204)

    # every host operation vlcmsim implements was called
    assert implemented_host_operations() - call.done == set()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/software", None),
        ("GET", "/software/compliance", None),
        ("GET", "/software/drafts", None),
        ("POST", "/software?action=stage&vmw-task=true", {}),
        ("POST", "/software?action=scan&vmw-task=true", None),
        ("GET", "/policies/apply", None),
    ],
)
@pytest.mark.parametrize("host", [MEMBER, EDGE2])
def test_host_level_operations_are_unsupported_for_a_member_or_a_host_without_an_image(
    admin: httpx.Client, host: str, method: str, path: str, body: Any
) -> None:
    r = admin.request(method, f"/api/esx/settings/hosts/{host}{path}", json=body)
    assert r.status_code == 400, r.text
    assert r.json()["error_type"] == "UNSUPPORTED"
    text = r.json()["messages"][0]["default_message"]
    assert ("member of cluster domain-c1" if host == MEMBER else "not managed with an image") in text


def test_an_unknown_host_is_not_found(admin: httpx.Client) -> None:
    r = admin.get("/api/esx/settings/hosts/host-404/software")
    assert r.status_code == 404 and r.json()["error_type"] == "NOT_FOUND"


def test_enablement_of_a_member_is_unsupported_and_of_edge2_makes_its_first_commit(fresh_admin: httpx.Client) -> None:
    r = fresh_admin.get(f"/api/esx/settings/hosts/{MEMBER}/enablement/software")
    assert r.status_code == 400 and r.json()["error_type"] == "UNSUPPORTED"
    r = fresh_admin.put(
        f"/api/esx/settings/hosts/{EDGE2}/enablement/software?vmw-task=true", json={"skip_software_check": False}
    )
    assert wait_task(fresh_admin, r.json())["status"] == "SUCCEEDED"
    commit = fresh_admin.get(f"/api/esx/settings/hosts/{EDGE2}/software/commits/1").json()
    assert commit["author"] == "Administrator" or commit["author"]
    software = fresh_admin.get(f"/api/esx/settings/hosts/{EDGE2}/software").json()
    assert software["base_image"]["version"] == d.U2
    assert fresh_admin.get(f"/api/esx/settings/hosts/{EDGE2}/software/compliance").json()["status"] == "COMPLIANT"
