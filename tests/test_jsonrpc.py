"""vAPI JSON-RPC on POST /api: the official SDK, and the envelope's edge cases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from com.vmware.cis_client import Session, Tasks
from com.vmware.vapi.std.errors_client import NotFound, Unauthenticated, Unauthorized
from com.vmware.vcenter_client import Cluster, Host

from sdk import stub_config, vsphere_client
from vlcmsim.testing import Server


def test_sdk_login_lists_and_logout(server: Server) -> None:
    client = vsphere_client(server)
    clusters = client.vcenter.Cluster.list()
    assert [(c.cluster, c.name) for c in clusters] == [
        ("domain-c1", "Cluster-A"),
        ("domain-c2", "Cluster-B"),
        ("domain-c3", "Legacy"),
    ]
    only_a = client.vcenter.Cluster.list(Cluster.FilterSpec(names={"Cluster-A"}, datacenters={"datacenter-1"}))
    assert [c.name for c in only_a] == ["Cluster-A"]
    hosts = client.vcenter.Host.list(Host.FilterSpec(clusters={"domain-c2"}))
    assert [h.name for h in hosts] == ["esx-b1.vlcmsim.local", "esx-b2.vlcmsim.local", "esx-b3.vlcmsim.local"]
    assert hosts[0].connection_state == Host.ConnectionState.CONNECTED
    assert client.vcenter.Cluster.get("domain-c1").name == "Cluster-A"
    assert [d.name for d in client.vcenter.Datacenter.list()] == ["Datacenter"]
    with pytest.raises(NotFound):
        Tasks(client._stub_config).get("52d1f4ee-0000-4f36-9a65-0b1f5e7e2c11:com.vmware.esx.settings.clusters.software")
    with pytest.raises(NotFound) as missing:
        client.vcenter.Cluster.get("domain-c404")
    assert missing.value.messages[0].default_message == "Cluster domain-c404 not found."
    session = Session(client._stub_config)
    assert session.get().user == "VSPHERE.LOCAL\\Administrator"
    session.delete()
    with pytest.raises(Unauthenticated):
        client.vcenter.Cluster.list()


def test_sdk_bad_password(server: Server) -> None:
    # Not through create_vsphere_client: when its login fails, the half-built
    # client's __del__ recurses until the interpreter aborts (an SDK bug).
    with pytest.raises(Unauthenticated):
        Session(stub_config(server, password="wrong")).create()


def test_sdk_read_only_user_cannot_write(server: Server) -> None:
    client = vsphere_client(server, user="readonly@vsphere.local")
    assert len(client.vcenter.Host.list()) == 11  # 9 in clusters, 2 standalone
    with pytest.raises(Unauthorized):
        client.vcenter.Host.disconnect("host-1")


def rpc(anonymous: httpx.Client, body: Any) -> Any:
    r = anonymous.post("/api", json=body)
    assert r.status_code == 200  # the SDK raises on any other status before reading the body
    return r.json()


def invoke(
    service: str, operation: str, input_fields: dict[str, Any], security: dict[str, Any] | None, rid: Any
) -> dict[str, Any]:
    ctx: dict[str, Any] = {"appCtx": {"opId": "t"}}
    if security:
        ctx["securityCtx"] = security
    return {
        "jsonrpc": "2.0",
        "method": "invoke",
        "params": {
            "serviceId": service,
            "operationId": operation,
            "input": {"STRUCTURE": {"operation-input": input_fields}},
            "ctx": ctx,
        },
        "id": rid,
    }


LOGIN = {
    "schemeId": "com.vmware.vapi.std.security.user_pass",
    "userName": "administrator@vsphere.local",
    "password": "VMware1!",
}


def login(anonymous: httpx.Client) -> dict[str, str]:
    out = rpc(anonymous, invoke("com.vmware.cis.session", "create", {}, LOGIN, "0"))
    return {"schemeId": "com.vmware.vapi.std.security.session_id", "sessionId": out["result"]["output"]["SECRET"]}


@pytest.mark.parametrize("rid", ["7", 7, None, "x-1"])
def test_request_id_is_echoed_with_its_json_type(anonymous: httpx.Client, rid: Any) -> None:
    out = rpc(anonymous, invoke("com.vmware.cis.session", "create", {}, LOGIN, rid))
    assert out["jsonrpc"] == "2.0"
    assert out["id"] == rid and type(out["id"]) is type(rid)
    assert set(out["result"]["output"]) == {"SECRET"}


def test_unknown_operation_is_operation_not_found(anonymous: httpx.Client) -> None:
    sec = login(anonymous)
    out = rpc(anonymous, invoke("com.vmware.vcenter.cluster", "explode", {}, sec, "1"))
    assert "com.vmware.vapi.std.errors.operation_not_found" in out["result"]["error"]["ERROR"]
    out = rpc(anonymous, invoke("com.vmware.nothing", "get", {}, sec, "2"))
    assert "com.vmware.vapi.std.errors.operation_not_found" in out["result"]["error"]["ERROR"]


def test_bad_session_is_unauthenticated(anonymous: httpx.Client) -> None:
    bad = {"schemeId": "com.vmware.vapi.std.security.session_id", "sessionId": "nope"}
    out = rpc(anonymous, invoke("com.vmware.vcenter.cluster", "list", {"filter": {"OPTIONAL": None}}, bad, "1"))
    error = out["result"]["error"]["ERROR"]["com.vmware.vapi.std.errors.unauthenticated"]
    assert error["error_type"] == {"OPTIONAL": "UNAUTHENTICATED"}
    out = rpc(anonymous, invoke("com.vmware.vcenter.cluster", "list", {}, None, "2"))
    assert "com.vmware.vapi.std.errors.unauthenticated" in out["result"]["error"]["ERROR"]


def test_typed_values_are_checked(anonymous: httpx.Client) -> None:
    sec = login(anonymous)
    # a bare value where an OPTIONAL is expected
    out = rpc(anonymous, invoke("com.vmware.vcenter.cluster", "list", {"filter": {"names": ["a"]}}, sec, "1"))
    err = out["result"]["error"]["ERROR"]["com.vmware.vapi.std.errors.invalid_argument"]
    assert "filter" in err["messages"][0]["STRUCTURE"]["com.vmware.vapi.std.localizable_message"]["default_message"]
    # a missing required input
    out = rpc(anonymous, invoke("com.vmware.vcenter.cluster", "get", {}, sec, "2"))
    assert "com.vmware.vapi.std.errors.invalid_argument" in out["result"]["error"]["ERROR"]
    # an unknown input
    out = rpc(anonymous, invoke("com.vmware.vcenter.cluster", "get", {"cluster": "domain-c1", "x": 1}, sec, "3"))
    assert "com.vmware.vapi.std.errors.invalid_argument" in out["result"]["error"]["ERROR"]


def test_map_output_uses_map_entries(anonymous: httpx.Client, admin: httpx.Client) -> None:
    # at least one task to list: enabling image management on a cluster that has it changes nothing
    task = admin.put(
        "/api/esx/settings/clusters/domain-c1/enablement/software?vmw-task=true", json={"skip_software_check": False}
    ).json()
    sec = login(anonymous)
    out = rpc(
        anonymous,
        invoke(
            "com.vmware.cis.tasks",
            "list",
            {"filter_spec": {"OPTIONAL": None}, "result_spec": {"OPTIONAL": None}},
            sec,
            "1",
        ),
    )
    entries = out["result"]["output"]
    assert isinstance(entries, list) and entries
    keys = [e["STRUCTURE"]["map-entry"]["key"] for e in entries]
    assert task in keys
    info = entries[keys.index(task)]["STRUCTURE"]["map-entry"]["value"]
    assert set(info["STRUCTURE"]) == {"com.vmware.cis.task.info"}


def test_malformed_envelopes_get_json_rpc_errors_in_http_200(anonymous: httpx.Client) -> None:
    r = anonymous.post("/api", content=b"{oops", headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["error"]["code"] == -32700
    assert rpc(anonymous, [1, 2])["error"]["code"] == -32600
    assert rpc(anonymous, {"jsonrpc": "1.0", "id": "1", "method": "invoke"})["error"]["code"] == -32600
    assert rpc(anonymous, {"jsonrpc": "2.0", "id": "1", "method": "call"})["error"]["code"] == -32601
    assert rpc(anonymous, {"jsonrpc": "2.0", "id": "1", "method": "invoke", "params": {}})["error"]["code"] == -32602
