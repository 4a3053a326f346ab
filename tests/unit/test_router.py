"""Routing from the operation table, through the ASGI front end, without a socket."""

from __future__ import annotations

import pytest

from vlcmsim.server.asgi import request_from_scope
from vlcmsim.server.rsgi import request_from_rsgi
from vlcmsim.testing import InProcessServer

pytestmark = pytest.mark.anyio


async def test_literal_segments_route_before_variables(app: InProcessServer) -> None:
    client = await app.client()
    r = await client.get("/api/esx/settings/clusters/domain-c1/software/drafts")
    assert r.status_code == 200 and r.json() == {}
    r = await client.get("/api/esx/settings/clusters/domain-c1/software")
    assert r.status_code == 200 and "base_image" in r.json()


async def test_action_and_task_dispatch_pick_the_operation(app: InProcessServer) -> None:
    client = await app.client()
    r = await client.post("/api/esx/settings/clusters/domain-c3/software?action=stage&vmw-task=true", json={})
    assert r.status_code == 400 and "not managed with a single software" in r.json()["messages"][0]["default_message"]
    r = await client.post("/api/esx/settings/clusters/domain-c1/software?action=stage", json={})
    assert r.status_code == 404
    assert r.json()["messages"][0]["id"] == "com.vmware.vapi.rest.noMatchingMethod"
    r = await client.post("/api/esx/settings/clusters/domain-c1/software?action=stage&vmw-task=yes", json={})
    assert r.status_code == 400


async def test_an_unknown_path_is_a_vapi_not_found(app: InProcessServer) -> None:
    client = await app.client()
    r = await client.get("/api/nothing/here")
    assert r.status_code == 404 and r.json()["error_type"] == "NOT_FOUND"


async def test_a_percent_encoded_id_is_decoded_once(app: InProcessServer) -> None:
    client = await app.client()
    assert (await client.get("/api/vcenter/cluster/domain%2Dc1")).status_code == 200
    r = await client.get("/api/vcenter/cluster/domain%252Dc1")
    assert r.status_code == 404 and r.json()["messages"][0]["args"] == ["domain%2Dc1"]


class RsgiHeaders(dict[str, str]):
    pass


class RsgiScope:
    """What granian's RSGI hands over: the path decoded once, the query string as sent."""

    def __init__(self, path: str, query_string: str) -> None:
        self.method = "GET"
        self.path = path
        self.query_string = query_string
        self.headers = RsgiHeaders({"host": "x"})
        self.client = "127.0.0.1"


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("/api/vcenter/host/host-1", "/api/vcenter/host/host-1"),
        ("/api/vcenter/host/host%2D1", "/api/vcenter/host/host-1"),
        ("/api/vcenter/host/host%252D1", "/api/vcenter/host/host%2D1"),
        ("/api/vcenter/host/a%2Fb", "/api/vcenter/host/a/b"),
        ("/api/esx/settings/clusters/c/software/commits/%C2%B2", "/api/esx/settings/clusters/c/software/commits/²"),
    ],
)
def test_both_front_ends_give_the_same_request_path(raw: str, decoded: str) -> None:
    # ASGI servers give the decoded path in `path` and the bytes in `raw_path`; granian's RSGI only the former
    asgi = request_from_scope(
        {"method": "GET", "path": decoded, "raw_path": raw.encode(), "query_string": b"a=%2F", "headers": []}, b""
    )
    rsgi = request_from_rsgi(RsgiScope(decoded, "a=%2F"), b"")  # type: ignore[arg-type]
    assert asgi.path == rsgi.path == decoded
    assert asgi.query == rsgi.query == [("a", "/")]


async def test_tasks_are_listed_by_get_with_the_filter_in_the_query_as_the_91_bindings_do(
    app: InProcessServer,
) -> None:
    client = await app.client()
    task = (await client.post("/api/esx/settings/clusters/domain-c1/software?action=scan&vmw-task=true")).json()
    listed = (
        await client.get("/api/cis/tasks", params={"services": "com.vmware.esx.settings.clusters.software"})
    ).json()
    assert task in listed
    assert (await client.get("/api/cis/tasks", params={"services": "com.vmware.nothing"})).json() == {}
    posted = await client.post(
        "/api/cis/tasks?action=list", json={"filter_spec": {"services": ["com.vmware.esx.settings.clusters.software"]}}
    )
    assert task in posted.json()
