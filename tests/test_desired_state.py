"""The desired-state document: drafts, commits, validation against the depots,
import and export, compliance, and turning image management on."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import orjson
import pytest
from com.vmware.esx.settings.clusters.software.drafts.software_client import Components
from com.vmware.esx.settings.clusters.software_client import Drafts
from com.vmware.esx.settings.clusters_client import Software
from com.vmware.vapi.std.errors_client import AlreadyExists

from helpers import commit_draft, host_compliance, sim, wait_task
from sdk import vsphere_client
from vlcmsim.testing import Server, start_server

A = "/api/esx/settings/clusters/domain-c1/software"
U1, U2, U3 = "8.0.1-0.0.21495797", "8.0.2-0.0.22380479", "8.0.3-0.0.24022510"
BNXTNET = "227.0.130.0-1OEM.800.1.0.20613240"


def test_sdk_draft_component_commit_and_software_get(fresh_server: Server) -> None:
    client = vsphere_client(fresh_server)
    sc = client._stub_config
    draft = Drafts(sc).create("domain-c1")
    with pytest.raises(AlreadyExists):
        Drafts(sc).create("domain-c1")  # one draft per user per cluster
    Components(sc).set("domain-c1", draft, "bnxtnet", BNXTNET)
    task = Drafts(sc).commit_task("domain-c1", draft, Drafts.CommitSpec(message="add bnxtnet"))
    while task.get_info().status not in ("SUCCEEDED", "FAILED"):
        time.sleep(0.05)
    assert task.get_info().status == "SUCCEEDED"
    assert task.get_result() == "2"
    software = Software(sc).get("domain-c1")
    assert software.base_image.version == U3 and software.base_image.details.display_version == "8.0 U3"
    assert software.add_on.name == "DEL-ESXi"
    assert software.components["bnxtnet"].version == BNXTNET
    assert software.components["bnxtnet"].details.vendor == "Broadcom"
    assert Drafts(sc).list("domain-c1") == {}  # the committed draft is gone


def test_draft_lifecycle_over_rest(fresh_server: Server) -> None:
    with fresh_server.client() as c, fresh_server.client(("readonly@vsphere.local", "VMware1!")) as ro:
        r = c.post(f"{A}/drafts")
        assert r.status_code == 201
        draft = r.json()
        r = c.post(f"{A}/drafts")
        assert r.status_code == 400 and r.json()["error_type"] == "ALREADY_EXISTS"
        assert ro.post(f"{A}/drafts").status_code == 403
        listed = c.get(f"{A}/drafts", params={"owners": "administrator@vsphere.local"}).json()
        assert listed[draft]["metadata"]["owner"] == "administrator@vsphere.local"
        assert c.get(f"{A}/drafts", params={"owners": "someone@else"}).json() == {}
        info = c.get(f"{A}/drafts/{draft}").json()
        assert info["software"]["base_image"]["version"] == U3  # a copy of the latest commit
        d = f"{A}/drafts/{draft}/software"
        assert c.put(f"{d}/base-image", json={"version": U2}).status_code == 204
        assert c.get(f"{d}/base-image").json()["version"] == U2
        assert c.delete(f"{d}/add-on").status_code == 204
        assert c.get(f"{d}/add-on").status_code == 404
        assert c.put(f"{d}/add-on", json={"name": "DEL-ESXi", "version": "803.24022510-A03"}).status_code == 204
        assert c.get(f"{d}/add-on").json()["details"]["vendor"] == "Dell"
        assert c.put(f"{d}/components/bnxtnet", json=BNXTNET).status_code == 204
        assert c.get(f"{d}/components/bnxtnet").json()["version"] == BNXTNET
        assert c.patch(f"{d}/components", json={"components_to_delete": ["bnxtnet"]}).status_code == 204
        assert "bnxtnet" not in c.get(f"{d}/components").json()
        assert c.delete(f"{d}/components/bnxtnet").status_code == 404
        assert c.delete(f"{A}/drafts/{draft}").status_code == 204
        assert c.get(f"{A}/drafts/{draft}").status_code == 404


def test_commit_validates_against_the_depots(fresh_server: Server) -> None:
    with fresh_server.client() as c:
        draft = c.post(f"{A}/drafts").json()
        d = f"{A}/drafts/{draft}/software"
        c.put(f"{d}/components/bnxtnet", json="9.9.9-1OEM.800.1.0.1")
        c.put(f"{d}/components/Intel-i40en", json="1.11.3.0-1OEM.800.1.0.20143090")
        c.put(f"{d}/components/no-such-driver", json="1.0")
        c.put(f"{d}/components/VMware-vmkusb", json="0.1-2vmw.802.0.0.22380479")  # below what U3 carries
        validation = wait_task(c, c.post(f"{A}/drafts/{draft}?action=validate&vmw-task=true").json())
        assert validation["status"] == "SUCCEEDED"
        assert len(validation["result"]["notifications"]["errors"]) == 3
        info = wait_task(c, c.post(f"{A}/drafts/{draft}?action=commit&vmw-task=true", json={}).json())
        assert info["status"] == "FAILED"
        assert info["error"]["error_type"] == "INVALID_ARGUMENT"
        text = info["error"]["messages"][0]["default_message"]
        assert "component bnxtnet version 9.9.9-1OEM.800.1.0.1 is not in any depot" in text
        assert "component no-such-driver is not in any depot" in text
        assert "VMware-vmkusb version 0.1-2vmw.802.0.0.22380479 is older than 0.1-3vmw.803.0.0.24022510" in text
        assert "Intel-i40en" not in text  # an older independent component is allowed
        assert c.get(f"{A}/drafts/{draft}").status_code == 200  # a failed commit keeps the draft
        c.put(f"{d}/base-image", json={"version": "7.0.3-0.0.1"})
        info = wait_task(c, c.post(f"{A}/drafts/{draft}?action=commit&vmw-task=true", json={}).json())
        assert "base image version 7.0.3-0.0.1 is not in any depot" in info["error"]["messages"][0]["default_message"]
        c.delete(f"{A}/drafts/{draft}")
        commit = commit_draft(c, "domain-c1", {"bnxtnet": BNXTNET}, message="drivers")
        info = c.get(f"{A}/commits/{commit}").json()
        assert info["author"] == "administrator@vsphere.local" and info["description"] == "drivers"
        assert info["apply_status"] == "NOT_APPLIED"
        assert c.get(f"{A}/commits/99").status_code == 404
        assert c.get(f"{A}/drafts/1").status_code == 404  # the committed draft is gone


def test_export_and_import_of_the_software_spec(fresh_server: Server, tmp_path: Path) -> None:
    with fresh_server.client() as c:
        urls = c.post(
            f"{A}?action=export",
            json={"export_software_spec": True, "export_iso_image": False, "export_offline_bundle": False},
        ).json()
        doc = c.get(urls["SOFTWARE_SPEC"]).json()
        assert doc["base_image"] == {"version": U3}
        assert doc["add_on"] == {"name": "DEL-ESXi", "version": "803.24022510-A03"}
        iso = c.post(
            f"{A}?action=export",
            json={"export_software_spec": False, "export_iso_image": True, "export_offline_bundle": False},
        )
        assert iso.status_code == 200 and set(iso.json()) == {"ISO_IMAGE"}
        # import it into Cluster-B from the URL export answered (the server trusts its own certificate)
        b = "/api/esx/settings/clusters/domain-c2/software/drafts"
        pulled = c.post(
            f"{b}?action=import-software-spec", json={"source_type": "PULL", "location": urls["SOFTWARE_SPEC"]}
        )
        assert pulled.status_code == 200, pulled.text
        assert c.get(f"{b}/{pulled.json()}").json()["software"]["base_image"]["version"] == U3
        c.delete(f"{b}/{pulled.json()}")
        # import it into Cluster-B from a file (PULL), and from a string
        spec_file = tmp_path / "spec.json"
        spec_file.write_bytes(orjson.dumps(doc))
        b = "/api/esx/settings/clusters/domain-c2/software/drafts"
        draft = c.post(f"{b}?action=import-software-spec", json={"source_type": "PULL", "location": spec_file.as_uri()})
        assert draft.status_code == 200, draft.text
        assert c.get(f"{b}/{draft.json()}").json()["software"]["base_image"]["version"] == U3
        c.delete(f"{b}/{draft.json()}")
        text = orjson.dumps({"base_image": {"version": U1}, "components": {}}).decode()
        draft = c.post(f"{b}?action=import-software-spec", json={"source_type": "JSON_STRING", "software_spec": text})
        assert c.get(f"{b}/{draft.json()}/software/base-image").json()["version"] == U1
        c.delete(f"{b}/{draft.json()}")
        bad = c.post(f"{b}?action=import-software-spec", json={"source_type": "JSON_STRING", "software_spec": "{}"})
        # import declares no InvalidArgument: the std Error, saying what is wrong
        assert bad.status_code == 500 and "base_image.version" in bad.json()["messages"][0]["default_message"]


def test_compliance_statuses(fresh_server: Server) -> None:
    with fresh_server.client() as c:
        a = c.get(f"{A}/compliance").json()
        assert a["status"] == "NON_COMPLIANT" and a["impact"] == "REBOOT_REQUIRED"
        assert a["stage_status"] == "NOT_STAGED" and a["commit"] == "1"
        assert sorted(a["non_compliant_hosts"]) == ["host-1", "host-2", "host-3", "host-4"]
        host = a["hosts"]["host-1"]
        assert host["base_image"]["current"]["version"] == U2 and host["base_image"]["target"]["version"] == U3
        assert host["components"]["Intel-i40en"]["status"] == "NON_COMPLIANT"
        assert host["components"]["dell-configuration-vib"]["target_source"] == "ADD_ON"
        assert "current" not in host["components"]["dell-configuration-vib"]
        b = c.get("/api/esx/settings/clusters/domain-c2/software/compliance").json()
        assert b["status"] == "COMPLIANT" and b["impact"] == "NO_IMPACT" and "stage_status" not in b
        sim(c, "host-6", connection_state="NOT_RESPONDING")
        b = c.get("/api/esx/settings/clusters/domain-c2/software/compliance").json()
        assert b["unavailable_hosts"] == ["host-6"] and b["status"] == "UNAVAILABLE"
        assert "not responding" in b["hosts"]["host-6"]["notifications"]["errors"][0]["message"]["default_message"]
        # a downgrade of the base image is incompatible
        draft = c.post("/api/esx/settings/clusters/domain-c2/software/drafts").json()
        c.put(f"/api/esx/settings/clusters/domain-c2/software/drafts/{draft}/software/base-image", json={"version": U1})
        assert (
            wait_task(
                c,
                c.post(
                    f"/api/esx/settings/clusters/domain-c2/software/drafts/{draft}?action=commit&vmw-task=true", json={}
                ).json(),
            )["status"]
            == "SUCCEEDED"
        )
        host = host_compliance(c, "host-5", "domain-c2")
        assert host["status"] == "INCOMPATIBLE" and host["base_image"]["status"] == "INCOMPATIBLE"
        for member in ("host-5", "host-8"):  # host-level compliance is for vLCM managed standalone hosts
            r = c.get(f"/api/esx/settings/hosts/{member}/software/compliance")
            assert r.status_code == 400 and r.json()["error_type"] == "UNSUPPORTED"


def test_baseline_cluster_becomes_image_managed(fresh_server: Server) -> None:
    legacy = "/api/esx/settings/clusters/domain-c3"
    with fresh_server.client() as c:
        assert c.get(f"{legacy}/enablement/software").json() == {"enabled": False}
        r = c.get(f"{legacy}/software")  # software.get declares no InvalidArgument: the std Error
        assert r.status_code == 500 and "single software specification" in r.json()["messages"][0]["default_message"]
        r = c.put(f"{legacy}/enablement/software?vmw-task=true", json={"skip_software_check": False})
        assert r.status_code == 400 and "no desired software document" in r.json()["messages"][0]["default_message"]
        draft = c.post(f"{legacy}/software/drafts").json()
        assert c.get(f"{legacy}/software/drafts/{draft}").json()["software"]["base_image"]["version"] == ""
        c.put(f"{legacy}/software/drafts/{draft}/software/base-image", json={"version": U1})
        commit = c.post(f"{legacy}/software/drafts/{draft}?action=commit&vmw-task=true", json={"message": "take over"})
        assert wait_task(c, commit.json())["result"] == "1"
        info = wait_task(
            c, c.put(f"{legacy}/enablement/software?vmw-task=true", json={"skip_software_check": False}).json()
        )
        assert info["status"] == "SUCCEEDED"
        assert c.get(f"{legacy}/enablement/software").json() == {"enabled": True}
        assert c.get(f"{legacy}/software").json()["base_image"]["version"] == U1
        assert c.get(f"{legacy}/software/compliance").json()["status"] == "COMPLIANT"


def test_not_found_and_wrong_cluster_kinds(admin: httpx.Client) -> None:
    r = admin.get("/api/esx/settings/clusters/domain-c404/software")
    assert r.status_code == 404 and r.json()["messages"][0]["default_message"] == "Cluster domain-c404 not found."
    assert admin.post("/api/esx/settings/clusters/domain-c404/software/drafts").status_code == 404
    assert admin.get(f"{A}/components/nothing").status_code == 200  # an unset optional: JSON null
    assert admin.get(f"{A}/components/nothing").json() is None
    assert admin.get(f"{A}/components").json()["Intel-i40en"]["version"].startswith("1.12.3.0")


def test_only_its_owner_changes_a_draft(tmp_path: Path) -> None:
    config = tmp_path / "two.toml"
    config.write_text(
        '[users."ann@corp.local"]\npassword = "a"\nrole = "admin"\n'
        '[users."bob@corp.local"]\npassword = "b"\nrole = "admin"\n'
    )
    srv = start_server(tmp_path / "data", "--config", str(config))
    try:
        with srv.client(("ann@corp.local", "a")) as ann, srv.client(("bob@corp.local", "b")) as bob:
            draft = ann.post("/api/esx/settings/clusters/domain-c2/software/drafts").json()
            url = f"/api/esx/settings/clusters/domain-c2/software/drafts/{draft}"
            assert bob.get(url).status_code == 200  # anyone reads it
            r = bob.put(f"{url}/software/components/bnxtnet", json=BNXTNET)
            assert r.status_code == 403 and "ann@corp.local" in r.json()["messages"][0]["default_message"]
            assert bob.delete(url).status_code == 403
            other = bob.post("/api/esx/settings/clusters/domain-c2/software/drafts")  # one draft per user
            assert other.status_code == 201 and other.json() != draft
    finally:
        srv.stop()
