"""Sessions over REST /api and the legacy /rest login that govc uses."""

from __future__ import annotations

import httpx

from vlcmsim.testing import ADMIN, Server


def test_login_answers_201_with_the_session_id_as_a_json_string(server: Server) -> None:
    with server.client(None) as c:
        r = c.post("/api/session", auth=ADMIN)
        assert r.status_code == 201
        assert isinstance(r.json(), str) and len(r.json()) == 32


def test_wrong_password_is_unauthenticated(anonymous: httpx.Client) -> None:
    r = anonymous.post("/api/session", auth=("administrator@vsphere.local", "nope"))
    assert r.status_code == 401
    body = r.json()
    assert body["error_type"] == "UNAUTHENTICATED"
    assert "invalid user name or password" in body["messages"][0]["default_message"]


def test_login_without_credentials_is_unauthenticated(anonymous: httpx.Client) -> None:
    assert anonymous.post("/api/session").status_code == 401


def test_calls_without_a_session_are_unauthenticated(anonymous: httpx.Client) -> None:
    r = anonymous.get("/api/vcenter/cluster")
    assert r.status_code == 401
    assert r.json()["error_type"] == "UNAUTHENTICATED"
    r = anonymous.get("/api/vcenter/cluster", headers={"vmware-api-session-id": "deadbeef"})
    assert r.status_code == 401


def test_session_info_and_logout(server: Server) -> None:
    with server.client() as c:
        info = c.get("/api/session").json()
        assert info["user"] == "VSPHERE.LOCAL\\Administrator"  # as vCenter spells it, tasks too
        assert info["created_time"].endswith("Z")
        assert c.delete("/api/session").status_code == 204
        assert c.get("/api/session").status_code == 401
        assert c.get("/api/vcenter/cluster").status_code == 401


def test_sessions_survive_a_restart(fresh_server: Server) -> None:
    from vlcmsim.testing import start_server

    with fresh_server.client() as c:
        sid = c.headers["vmware-api-session-id"]
    fresh_server.stop()
    again = start_server(fresh_server.data_dir)
    try:
        with again.client(None) as c:
            r = c.get("/api/vcenter/cluster", headers={"vmware-api-session-id": sid})
            assert r.status_code == 200
    finally:
        again.stop()


def test_legacy_rest_session_login_get_and_logout(anonymous: httpx.Client) -> None:
    r = anonymous.post("/rest/com/vmware/cis/session", auth=ADMIN)
    assert r.status_code == 200
    sid = r.json()["value"]
    r = anonymous.get("/rest/com/vmware/cis/session", headers={"vmware-api-session-id": sid})
    assert r.json()["value"]["user"] == "VSPHERE.LOCAL\\Administrator"
    # the legacy session is good for /api too (govc's way)
    assert anonymous.get("/api/vcenter/host", headers={"vmware-api-session-id": sid}).status_code == 200
    assert anonymous.delete("/rest/com/vmware/cis/session", headers={"vmware-api-session-id": sid}).status_code == 200
    r = anonymous.get("/rest/com/vmware/cis/session", headers={"vmware-api-session-id": sid})
    assert r.status_code == 401
    assert r.json()["type"] == "com.vmware.vapi.std.errors.unauthenticated"
    assert r.json()["value"]["error_type"] == "UNAUTHENTICATED"


def test_legacy_rest_bad_password(anonymous: httpx.Client) -> None:
    r = anonymous.post("/rest/com/vmware/cis/session", auth=("administrator@vsphere.local", "x"))
    assert r.status_code == 401
    assert r.json()["type"] == "com.vmware.vapi.std.errors.unauthenticated"
