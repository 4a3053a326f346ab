"""Inventory over REST /api: lists with their filters, gets, and the errors."""

from __future__ import annotations

from pathlib import Path

import httpx

from vlcmsim.testing import start_server


def test_default_inventory_clusters(admin: httpx.Client) -> None:
    r = admin.get("/api/vcenter/cluster")
    assert r.status_code == 200
    assert [(c["cluster"], c["name"]) for c in r.json()] == [
        ("domain-c1", "Cluster-A"),
        ("domain-c2", "Cluster-B"),
        ("domain-c3", "Legacy"),
    ]


def test_cluster_filter_is_form_exploded_in_the_query(admin: httpx.Client) -> None:
    r = admin.get("/api/vcenter/cluster", params=[("names", "Cluster-A"), ("names", "Legacy")])
    assert [c["name"] for c in r.json()] == ["Cluster-A", "Legacy"]
    r = admin.get("/api/vcenter/cluster", params={"datacenters": "datacenter-9"})
    assert r.json() == []


def test_get_with_a_json_body_is_tolerated(admin: httpx.Client) -> None:
    # the SDK's REST client sends every non-path input in a body, GETs included
    r = admin.request("GET", "/api/vcenter/cluster", json={"filter": {"names": ["Cluster-B"]}})
    assert [c["name"] for c in r.json()] == ["Cluster-B"]
    assert admin.request("GET", "/api/vcenter/cluster", json={}).status_code == 200


def test_cluster_get_and_not_found(admin: httpx.Client) -> None:
    assert admin.get("/api/vcenter/cluster/domain-c1").json() == {"name": "Cluster-A", "resource_pool": "resgroup-1"}
    r = admin.get("/api/vcenter/cluster/domain-c404")
    assert r.status_code == 404
    body = r.json()
    assert body["error_type"] == "NOT_FOUND"
    assert body["messages"][0]["default_message"] == "Cluster domain-c404 not found."
    assert body["messages"][0]["args"] == ["domain-c404"]


def test_hosts_by_cluster_and_state(admin: httpx.Client) -> None:
    hosts = admin.get("/api/vcenter/host", params={"clusters": "domain-c1"}).json()
    assert [h["name"] for h in hosts] == [f"esx-a{n}.vlcmsim.local" for n in (1, 2, 3, 4)]
    assert all(h["connection_state"] == "CONNECTED" and h["power_state"] == "POWERED_ON" for h in hosts)
    r = admin.get("/api/vcenter/host", params={"connection_states": "DISCONNECTED"})
    assert r.json() == []
    r = admin.get("/api/vcenter/host", params={"connection_states": "ASLEEP"})
    assert r.status_code == 400
    assert "ASLEEP" in r.json()["messages"][0]["default_message"]


def test_datacenters(admin: httpx.Client) -> None:
    assert admin.get("/api/vcenter/datacenter").json() == [{"datacenter": "datacenter-1", "name": "Datacenter"}]
    info = admin.get("/api/vcenter/datacenter/datacenter-1").json()
    assert info["name"] == "Datacenter" and info["host_folder"] == "group-h1"
    assert admin.get("/api/vcenter/datacenter/datacenter-7").status_code == 404


def test_read_only_user_reads_but_cannot_write(readonly: httpx.Client) -> None:
    assert readonly.get("/api/vcenter/host").status_code == 200
    r = readonly.post("/api/vcenter/host/host-9?action=disconnect")
    assert r.status_code == 403
    assert r.json()["error_type"] == "UNAUTHORIZED"


def test_disconnect_and_connect_a_host(admin: httpx.Client) -> None:
    assert admin.post("/api/vcenter/host/host-9?action=disconnect").status_code == 204
    summary = admin.get("/api/vcenter/host", params={"hosts": "host-9"}).json()[0]
    assert summary == {"host": "host-9", "name": "esx-legacy2.vlcmsim.local", "connection_state": "DISCONNECTED"}
    assert admin.post("/api/vcenter/host/host-9?action=connect").status_code == 204
    assert admin.get("/api/vcenter/host", params={"hosts": "host-9"}).json()[0]["power_state"] == "POWERED_ON"


def test_unknown_paths_get_a_vapi_404(admin: httpx.Client) -> None:
    r = admin.get("/api/vcenter/nothing-here")
    assert r.status_code == 404
    assert r.json()["error_type"] == "NOT_FOUND"
    r = admin.get("/elsewhere")
    assert r.status_code == 404 and r.json()["error_type"] == "NOT_FOUND"


def test_unknown_action_or_method(admin: httpx.Client) -> None:
    r = admin.post("/api/vcenter/host/host-1?action=explode")
    assert r.status_code == 404
    assert "No matching method" in r.json()["messages"][0]["default_message"]
    assert admin.delete("/api/vcenter/cluster").status_code == 404


def test_bad_vmw_task_value(admin: httpx.Client) -> None:
    r = admin.post("/api/vcenter/host/host-1?action=connect&vmw-task=maybe")
    assert r.status_code == 400
    assert "vmw-task" in r.json()["messages"][0]["default_message"]


def test_unknown_query_parameters_are_ignored_as_vcenter_does(admin: httpx.Client) -> None:
    r = admin.get("/api/vcenter/cluster", params={"colour": "blue"})
    assert r.status_code == 200 and len(r.json()) == 3


def test_malformed_json_and_unknown_fields(admin: httpx.Client) -> None:
    r = admin.request("GET", "/api/vcenter/cluster", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json()["error_type"] == "INVALID_ARGUMENT"
    assert "Invalid JSON" in r.json()["messages"][0]["default_message"]
    r = admin.request("GET", "/api/vcenter/cluster", json={"filter": {"nmes": ["x"]}})
    assert r.status_code == 400
    assert "filter.nmes" in r.json()["messages"][0]["default_message"]
    r = admin.request("GET", "/api/vcenter/cluster", json={"filter": {"names": "Cluster-A"}})
    assert r.status_code == 400
    assert "filter.names" in r.json()["messages"][0]["default_message"]


def test_over_long_bodies_are_refused(admin: httpx.Client) -> None:
    r = admin.post("/api/cis/tasks?action=list", content=b"[" + b"1," * 600_000 + b"1]")
    assert r.status_code == 413
    assert r.json()["error_type"] == "INVALID_REQUEST"
    assert admin.get("/api/vcenter/cluster").status_code == 200


def test_a_body_is_read_however_it_is_framed(admin: httpx.Client) -> None:
    """By its length (read in one wait), in chunks of unknown total, or not at all."""
    by_length = admin.post("/api/cis/tasks?action=list", content=b'{"filter_spec": {}}')
    chunked = admin.post("/api/cis/tasks?action=list", content=iter([b'{"filter_spec"', b": {}}"]))
    assert by_length.status_code == chunked.status_code == 200
    assert "transfer-encoding" not in by_length.request.headers
    assert chunked.request.headers["transfer-encoding"] == "chunked"
    bad = admin.post("/api/cis/tasks?action=list", content=iter([b'{"filter_spec"', b": {"]))
    assert bad.status_code == 400 and "Invalid JSON" in bad.json()["messages"][0]["default_message"]
    drafts = "/api/esx/settings/clusters/domain-c1/software/drafts"
    empty = admin.post(drafts, content=b"")
    assert empty.status_code == 201 and empty.request.headers["content-length"] == "0"
    assert admin.delete(f"{drafts}/{empty.json()}").status_code == 204


def test_unknown_task_is_not_found(admin: httpx.Client) -> None:
    r = admin.get("/api/cis/tasks/52d1f4ee-0000-0000-0000-000000000000:com.vmware.esx.settings.clusters.software")
    assert r.status_code == 404
    assert r.json()["error_type"] == "NOT_FOUND"
    assert admin.post("/api/cis/tasks/nosuch?action=cancel").status_code == 404


def test_task_list_with_an_empty_filter(admin: httpx.Client) -> None:
    r = admin.post("/api/cis/tasks?action=list", json={"filter_spec": {"services": ["com.vmware.nothing"]}})
    assert r.status_code == 200 and r.json() == {}


def test_a_list_past_vcenters_bound_asks_to_narrow_the_filter(tmp_path: Path) -> None:
    """vCenter lists at most 2,500 hosts and 1,000 clusters at once; more answer
    UnableToAllocateResource (a narrower filter gets them)."""
    srv = start_server(tmp_path / "data", "--clusters", "26", "--hosts-per-cluster", "100", tls=False)
    try:
        with srv.client() as client:
            r = client.get("/api/vcenter/host")
            assert r.status_code == 500 and r.json()["error_type"] == "UNABLE_TO_ALLOCATE_RESOURCE"
            assert "narrow the filter" in r.json()["messages"][0]["default_message"]
            assert len(client.get("/api/vcenter/host", params={"clusters": "domain-c1"}).json()) == 100
    finally:
        srv.stop()
