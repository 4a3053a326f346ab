"""Every operation of the image repository and of alternative images, over REST
and over JSON-RPC: a repository image with an alternative image built part by
part, committed, copied, assigned to a cluster; a cluster draft's alternative
image edited the same way and committed; the commit's images read back."""

from __future__ import annotations

import json

import httpx
import pytest
from walk import Walk

from vlcmsim.depot import defaults as d
from vlcmsim.vapi.model import model

S = "/api/esx/settings"
R = f"{S}/repository/software"
PREFIXES = (
    "com.vmware.esx.settings.repository.",
    "com.vmware.esx.settings.clusters.software.alternative_images",
    "com.vmware.esx.settings.clusters.software.drafts.software.alternative_images",
)
HPE = {"selection_type": "HOST_HARDWARE_SPEC", "host_hardware_spec": {"vendor": "HPE"}}
DELL_PACKAGE = {"packages": {"com.dell.omivv": {"pkg": "Dell-PowerEdge-Gen16", "version": "A02"}}}


def _image_parts(call: Walk, service: str, path: str) -> None:
    """Every part of one image (at `path`, its operations under `service`), edited and read."""
    if (f"com.vmware.esx.settings.{service}.base_image", "set") in model().operations:
        call((f"{service}.base_image", "set"), "PUT", f"{path}/base-image", {"version": d.U3})
    # (an alternative image's base image is the one it was created with: the bindings have no set)
    assert call((f"{service}.base_image", "get"), "GET", f"{path}/base-image")["version"] == d.U3
    add_on = {"name": d.DELL_ADDON[0], "version": d.DELL_ADDON[1]}
    call((f"{service}.add_on", "set"), "PUT", f"{path}/add-on", add_on)
    assert call((f"{service}.add_on", "get"), "GET", f"{path}/add-on")["name"] == d.DELL_ADDON[0]
    call((f"{service}.removed_components", "set"), "PUT", f"{path}/removed-components/qedentv")
    assert set(call((f"{service}.removed_components", "list"), "GET", f"{path}/removed-components")) == {"qedentv"}
    call((f"{service}.removed_components", "get"), "GET", f"{path}/removed-components/qedentv")
    call((f"{service}.removed_components", "delete"), "DELETE", f"{path}/removed-components/qedentv")
    call((f"{service}.add_on", "delete"), "DELETE", f"{path}/add-on")
    call((f"{service}.components", "set"), "PUT", f"{path}/components/bnxtnet", d.BNXTNET)
    update = {"components_to_set": {"Intel-i40en": d.I40EN_NEW}, "components_to_delete": []}
    call((f"{service}.components", "update"), "PATCH", f"{path}/components", update)
    assert set(call((f"{service}.components", "list"), "GET", f"{path}/components")) == {"bnxtnet", "Intel-i40en"}
    assert call((f"{service}.components", "get"), "GET", f"{path}/components/bnxtnet")["version"] == d.BNXTNET
    call((f"{service}.components", "delete"), "DELETE", f"{path}/components/Intel-i40en")
    effective = call((f"{service}.effective_components", "list"), "GET", f"{path}/effective-components")
    assert {"ESXi", "bnxtnet"} <= set(effective)
    if (
        f"com.vmware.esx.settings.{service}.effective_components",
        "list_with_removed_components",
    ) in model().operations:
        call(
            (f"{service}.effective_components", "list_with_removed_components"),
            "GET",
            f"{path}/effective-components?with-removed-components",
        )
    call((f"{service}.hardware_support", "set"), "PUT", f"{path}/hardware-support", DELL_PACKAGE)
    assert call((f"{service}.hardware_support", "get"), "GET", f"{path}/hardware-support")["packages"]
    call((f"{service}.hardware_support", "delete"), "DELETE", f"{path}/hardware-support")


def _alternative_images(call: Walk, service: str, path: str, parts: str) -> None:
    """An alternative image of the document at `path`: created, named, selecting HPE hosts, its parts edited."""
    image = call((service, "create"), "POST", f"{path}/alternative-images", {"display_name": "HPE"}, 201)
    assert image == "1"
    here = f"{path}/alternative-images/{image}"
    call((f"{service}.display_name", "set"), "PUT", f"{here}/display-name", {"display_name": "HPE servers"})
    assert call((f"{service}.display_name", "get"), "GET", f"{here}/display-name") == {"display_name": "HPE servers"}
    call((f"{service}.selection_criteria", "set"), "PUT", f"{here}/selection-criteria", HPE)
    selection = call((f"{service}.selection_criteria", "get"), "GET", f"{here}/selection-criteria")
    assert selection["host_hardware_spec"]["vendor"] == "HPE"
    part_path = f"{here}/software" if parts.endswith(".software") else here
    _image_parts(call, parts, part_path)
    listed = call((service, "list"), "GET", f"{path}/alternative-images")
    assert listed == {"alternative_images": {"1": {"display_name": "HPE servers"}}}
    assert call((service, "get"), "GET", here)["components"]["bnxtnet"]["version"] == d.BNXTNET
    extra = call((service, "create"), "POST", f"{path}/alternative-images", {"display_name": "spare"}, 201)
    call((service, "delete"), "DELETE", f"{path}/alternative-images/{extra}")


def implemented(prefixes: tuple[str, ...] = PREFIXES) -> set[tuple[str, str]]:
    from vlcmsim.app import OPERATION_SETS

    names = set()
    for s in OPERATION_SETS:
        for service, operation, _, _ in s.entries:
            if service.startswith(prefixes) or (service, operation) == (
                "com.vmware.esx.settings.inventory",
                "assign_entities$task",
            ):
                names.add((service.removeprefix("com.vmware.esx.settings."), operation))
    return names


@pytest.mark.parametrize("wire", ["rest", "jsonrpc"])
def test_every_repository_and_alternative_image_operation_over_both_wires(fresh_admin: httpx.Client, wire: str) -> None:
    repository_walk(fresh_admin, wire)


def repository_walk(fresh_admin: httpx.Client, wire: str) -> None:
    """The walk, on any server (tests/test_postgres.py runs it over PostgreSQL)."""
    call = Walk(fresh_admin, wire, "com.vmware.esx.settings.")
    drafts = "repository.software.drafts"

    # a repository image with an alternative image
    draft = call((drafts, "create"), "POST", f"{R}/drafts", {}, 201)
    call((f"{drafts}.display_name", "set"), "PUT", f"{R}/drafts/{draft}/display-name", {"display_name": "Gold"})
    assert call((f"{drafts}.display_name", "get"), "GET", f"{R}/drafts/{draft}/display-name")["display_name"] == "Gold"
    _image_parts(call, drafts, f"{R}/drafts/{draft}")
    _alternative_images(call, f"{drafts}.alternative_images", f"{R}/drafts/{draft}", f"{drafts}.alternative_images")
    assert call((drafts, "list"), "GET", f"{R}/drafts")[draft]["display_name"] == "Gold"
    assert call((drafts, "get"), "GET", f"{R}/drafts/{draft}")["metadata"]["owner"]
    assert call((drafts, "validate$task"), "POST", f"{R}/drafts/{draft}?action=validate&vmw-task=true") == {
        "notifications": {}
    }
    gold = call((drafts, "commit$task"), "POST", f"{R}/drafts/{draft}?action=commit&vmw-task=true", {"message": "m"})

    # the committed image
    record = call(("repository.software", "get"), "GET", f"{R}/{gold}")
    assert record["type"] == "COMPOSITE" and record["display_name"] == "Gold"
    assert [r["id"] for r in call(("repository.software", "list"), "GET", R)["records"]] == [gold]
    check = call(
        ("repository.software", "check_repository"), "POST", f"{R}?action=check-repository", {"display_name": "Gold"}
    )
    assert check["matches"][0]["match_types"] == ["NAME_MATCH"]
    call(("repository.software", "update"), "PATCH", f"{R}/{gold}", {"display_name": "Gold 8.0 U3"})
    assert "ESXi" in call(
        ("repository.software.effective_components", "list"), "GET", f"{R}/{gold}/effective-components"
    )
    alt = call(
        ("repository.software.alternative_images.effective_components", "list"),
        "GET",
        f"{R}/{gold}/alternative-images/1/effective-components",
    )
    assert "bnxtnet" in alt
    export = {
        "export_software_spec": True,
        "export_iso_image": False,
        "export_offline_bundle": False,
        "export_only_default_image": True,
    }
    assert "SOFTWARE_SPEC" in call(("repository.software", "export"), "POST", f"{R}/{gold}?action=export", export)

    # a copy, edited, then deleted; an imported image; an edit left as a draft, then deleted
    copy = call(("repository.software", "copy"), "POST", f"{R}/{gold}?action=copy", {"delete_existing_draft": True})
    call((f"{drafts}.display_name", "set"), "PUT", f"{R}/drafts/{copy}/display-name", {"display_name": "Copy"})
    copied = call((drafts, "commit$task"), "POST", f"{R}/drafts/{copy}?action=commit&vmw-task=true", {})
    call(("repository.software", "delete"), "DELETE", f"{R}/{copied}", None)
    spec = {
        "display_name": "Imported",
        "source_type": "JSON_STRING",
        "software_spec": json.dumps({"base_image": {"version": d.U2}}),
    }
    imported = call((drafts, "import_software_spec"), "POST", f"{R}/drafts?action=import-software-spec", spec)
    call((drafts, "delete"), "DELETE", f"{R}/drafts/{imported}", None)
    edit = call(("repository.software", "edit"), "POST", f"{R}/{gold}?action=edit", {})
    call((drafts, "delete"), "DELETE", f"{R}/drafts/{edit}", None)

    # assigned to Cluster-B (its hosts are Dell servers: the default image is theirs)
    assign = {"software_spec_id": gold, "entities": {"type": "CLUSTER", "clusters": ["domain-c2"]}}
    result = call(
        ("inventory", "assign_entities$task"), "POST", f"{S}/inventory?action=assign-entities&vmw-task=true", assign
    )
    assert result["cluster_results"]["domain-c2"]["status"] == "COMPLETED"

    # a cluster draft's alternative image, committed, read back from the commit
    cdrafts = "clusters.software.drafts.software.alternative_images"
    cluster_draft = fresh_admin.post(f"{S}/clusters/domain-c1/software/drafts").json()
    path = f"{S}/clusters/domain-c1/software/drafts/{cluster_draft}/software"
    _alternative_images(call, cdrafts, path, f"{cdrafts}.software")
    task = fresh_admin.post(
        f"{S}/clusters/domain-c1/software/drafts/{cluster_draft}?action=commit&vmw-task=true", json={}
    ).json()
    from helpers import wait_task

    assert wait_task(fresh_admin, task)["status"] == "SUCCEEDED"
    ci = "clusters.software.alternative_images"
    here = f"{S}/clusters/domain-c1/software/alternative-images"
    assert call((ci, "list"), "GET", here)["alternative_images"]["1"]["display_name"] == "HPE servers"
    assert call((ci, "get"), "GET", f"{here}/1")["selection_criteria"]["selection_type"] == "HOST_HARDWARE_SPEC"
    assert call((f"{ci}.display_name", "get"), "GET", f"{here}/1/display-name")["display_name"] == "HPE servers"
    assert call((f"{ci}.selection_criteria", "get"), "GET", f"{here}/1/selection-criteria")["host_hardware_spec"]
    sw = f"{here}/1/software"
    assert call((f"{ci}.software.base_image", "get"), "GET", f"{sw}/base-image")["version"] == d.U3
    assert set(call((f"{ci}.software.components", "list"), "GET", f"{sw}/components")) == {"bnxtnet"}
    assert call((f"{ci}.software.components", "get"), "GET", f"{sw}/components/bnxtnet")["version"] == d.BNXTNET
    assert call((f"{ci}.software.add_on", "get"), "GET", f"{sw}/add-on", status=404)
    assert "bnxtnet" in call((f"{ci}.software.effective_components", "list"), "GET", f"{sw}/effective-components")
    call(
        (f"{ci}.software.effective_components", "list_with_removed_components"),
        "GET",
        f"{sw}/effective-components?with-removed-components",
    )
    assert call((f"{ci}.software.removed_components", "list"), "GET", f"{sw}/removed-components") == {}
    call((f"{ci}.software.removed_components", "get"), "GET", f"{sw}/removed-components/ESXi", status=404)
    call((f"{ci}.software.hardware_support", "get"), "GET", f"{sw}/hardware-support", status=404)
    assert call((f"{ci}.software.solutions", "list"), "GET", f"{sw}/solutions") == {}
    call((f"{ci}.software.solutions", "get"), "GET", f"{sw}/solutions/vsan", status=404)
    exported = call(
        (f"{ci}.software", "export"),
        "POST",
        f"{sw}?action=export",
        {"export_software_spec": True, "export_iso_image": False, "export_offline_bundle": False},
    )
    assert "SOFTWARE_SPEC" in exported

    assert implemented() - call.done == set()
