"""The legacy /rest form of the same operations: {"value": ...} envelopes,
~action, bodies keyed by parameter name, maps as key/value lists."""

from __future__ import annotations

import ssl

import httpx

from helpers import wait_task
from vlcmsim.testing import ADMIN, Server


def test_legacy_lists_gets_and_filters(admin: httpx.Client) -> None:
    r = admin.get("/rest/vcenter/cluster", params={"filter.names": "Cluster-B"})
    assert r.status_code == 200
    assert r.json() == {
        "value": [{"cluster": "domain-c2", "name": "Cluster-B", "ha_enabled": True, "drs_enabled": True}]
    }
    software = admin.get("/rest/esx/settings/clusters/domain-c1/software").json()["value"]
    assert software["base_image"]["version"] == "8.0.3-0.0.24022510"
    assert software["components"][0]["key"] == "Intel-i40en"  # maps as key/value lists
    r = admin.get("/rest/esx/settings/clusters/domain-c404/software")
    assert r.status_code == 404
    assert r.json()["type"] == "com.vmware.vapi.std.errors.not_found"
    assert r.json()["value"]["messages"][0]["default_message"] == "Cluster domain-c404 not found."


def test_legacy_draft_commit_and_stage(fresh_server: Server) -> None:
    with fresh_server.client() as c:
        r = c.post("/rest/esx/settings/clusters/domain-c1/software/drafts")
        draft = r.json()["value"]
        r = c.patch(
            f"/rest/esx/settings/clusters/domain-c1/software/drafts/{draft}/software/components",
            json={"spec": {"components_to_set": [{"key": "bnxtnet", "value": "227.0.130.0-1OEM.800.1.0.20613240"}]}},
        )
        assert r.status_code == 200, r.text
        r = c.post(
            f"/rest/esx/settings/clusters/domain-c1/software/drafts/{draft}?~action=commit&vmw-task=true",
            json={"spec": {"message": "legacy"}},
        )
        task = r.json()["value"]
        assert wait_task(c, task)["result"] == "2"
        r = c.post("/rest/esx/settings/clusters/domain-c1/software?~action=stage&vmw-task=true", json={"spec": {}})
        info = wait_task(c, r.json()["value"])
        assert info["status"] == "SUCCEEDED"
        r = c.post("/rest/esx/settings/clusters/domain-c1/software?~action=stage&vmw-task=true", json={})
        assert r.status_code == 400 and "spec" in r.json()["value"]["messages"][0]["default_message"]
        r = c.post("/rest/esx/settings/clusters/domain-c1/software?~action=stage&vmw-task=true", json={"spek": {}})
        assert r.status_code == 400 and r.json()["value"]["error_type"] == "INVALID_ARGUMENT"


def test_a_saved_session_is_checked_with_post_action_get_as_govc_does(server: Server) -> None:
    verify = ssl.create_default_context(cafile=str(server.cert))
    with httpx.Client(base_url=server.url, verify=verify, trust_env=False) as c:
        sid = c.post("/rest/com/vmware/cis/session", auth=ADMIN).json()["value"]
        r = c.post("/rest/com/vmware/cis/session?~action=get", headers={"vmware-api-session-id": sid})
        assert r.status_code == 200, r.text
        assert r.json()["value"]["user"] == "VSPHERE.LOCAL\\Administrator"  # the session is good: no new login
        gone = c.post("/rest/com/vmware/cis/session?~action=get", headers={"vmware-api-session-id": "nope"})
        assert gone.status_code == 401
        assert c.delete("/rest/com/vmware/cis/session", headers={"vmware-api-session-id": sid}).status_code == 200
        r = c.post("/rest/com/vmware/cis/session?~action=get", headers={"vmware-api-session-id": sid})
        assert r.status_code == 401
