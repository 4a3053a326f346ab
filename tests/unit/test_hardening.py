"""What an adversarial run broke, each pinned: the answers are vAPI errors that
say what is wrong, and nothing is left half-done."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest
from async_helpers import wait_task
from sqlalchemy.exc import OperationalError

from vlcmsim.testing import InProcessServer

pytestmark = pytest.mark.anyio

STAGE = "/api/esx/settings/clusters/domain-c1/software?action=stage&vmw-task=true"


async def test_a_failed_task_insert_leaves_no_trace_and_says_the_store_is_full(
    app: InProcessServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = await app.client()
    tasks = app.backend.tasks
    real = tasks._write

    def disk_full(record: Any, insert: bool = False, **kwargs: Any) -> None:
        if insert:
            raise OperationalError("INSERT INTO tasks", {}, sqlite3.OperationalError("database or disk is full"))
        real(record, insert, **kwargs)

    monkeypatch.setattr(tasks, "_write", disk_full)
    r = await client.post(STAGE, json={})
    assert r.status_code == 503, r.text
    assert "the store is full" in r.json()["messages"][0]["default_message"]
    assert tasks.live == {}
    assert (await client.get("/api/vcenter/cluster")).status_code == 200  # reads keep working
    monkeypatch.setattr(tasks, "_write", real)
    r = await client.post(STAGE, json={})  # the cluster is not locked by a ghost
    assert r.status_code == 202, r.text


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (STAGE, {"commit": "²"}),
        (STAGE, {"commit": "١"}),
        (STAGE, {"commit": "9" * 25}),
        (STAGE, {"commit": "9" * 5000}),
        (
            "/api/esx/settings/clusters/domain-c1/software?action=apply&vmw-task=true",
            {"commit": "²", "accept_eula": True},
        ),
    ],
)
async def test_a_commit_that_is_not_ascii_digits_or_too_long_is_an_invalid_commit(
    app: InProcessServer, path: str, body: dict[str, Any]
) -> None:
    client = await app.client()
    r = await client.post(path, json=body)
    assert r.status_code == 400, r.text
    assert r.json()["messages"][0]["id"] == "com.vmware.vcIntegrity.lifecycle.InvalidCommit"


@pytest.mark.parametrize("commit", ["%C2%B2", "%D9%A1", "9" * 25])
async def test_a_commit_path_that_names_no_commit_is_not_found(app: InProcessServer, commit: str) -> None:
    client = await app.client()
    r = await client.get(f"/api/esx/settings/clusters/domain-c1/software/commits/{commit}")
    assert r.status_code == 404, r.text
    r = await client.get(f"/vum/repository/software-specs/domain-c1/{commit}.json")
    assert r.status_code in (401, 404), r.text


async def test_a_deeply_nested_value_is_refused_saying_where(app: InProcessServer) -> None:
    client = await app.client()
    body = '{"hosts": ' + "[" * 1000 + "]" * 1000 + "}"
    r = await client.post(STAGE, content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["messages"][0]["args"] == ["hosts[0]"]


async def test_sim_integers_are_bounded(app: InProcessServer) -> None:
    client = await app.client()
    r = await client.patch("/sim/hosts/host-1", json={"bandwidth_bytes_per_s": 2**63})
    assert r.status_code == 400 and "from 0 to" in r.json()["messages"][0]["default_message"]


async def test_json_rpc_answers_an_envelope_even_for_an_internal_error(
    app: InProcessServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = await app.client(None)

    def broken(*_: Any) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(app.backend.inventory, "clusters", broken)
    login = {"schemeId": "com.vmware.vapi.std.security.user_pass", "userName": "administrator@vsphere.local"}
    envelope = {
        "jsonrpc": "2.0",
        "id": "1",
        "method": "invoke",
        "params": {
            "serviceId": "com.vmware.vcenter.cluster",
            "operationId": "list",
            "input": {"STRUCTURE": {"operation-input": {}}},
            "ctx": {"securityCtx": {**login, "password": "VMware1!"}},
        },
    }
    session = (
        await client.post(
            "/api",
            json={
                **envelope,
                "params": {**envelope["params"], "serviceId": "com.vmware.cis.session", "operationId": "create"},
            },
        )
    ).json()
    sid = session["result"]["output"]["SECRET"]
    envelope["params"]["ctx"] = {
        "securityCtx": {"schemeId": "com.vmware.vapi.std.security.session_id", "sessionId": sid}
    }
    r = await client.post("/api", json=envelope)
    assert r.status_code == 200
    assert "com.vmware.vapi.std.errors.error" in r.json()["result"]["error"]["ERROR"]


async def test_an_exported_spec_needs_a_session_or_the_token_of_its_url(app: InProcessServer) -> None:
    admin = await app.client()
    anonymous = await app.client(None)
    body = {"export_software_spec": True, "export_iso_image": False, "export_offline_bundle": False}
    url = (await admin.post("/api/esx/settings/clusters/domain-c1/software?action=export", json=body)).json()
    path = url["SOFTWARE_SPEC"].split("://", 1)[1].split("/", 1)[1]
    assert (await anonymous.get(f"/{path}")).status_code == 200  # the URL export answered
    bare = f"/{path.split('?')[0]}"
    assert (await anonymous.get(bare)).status_code == 401
    assert (await anonymous.get(bare + "?token=" + "0" * 32)).status_code == 401
    assert (await anonymous.get(bare.replace("/1.json", "/2.json") + "?" + path.split("?")[1])).status_code == 401
    assert (await admin.get(bare)).status_code == 200


async def test_a_password_in_a_depot_location_is_masked_for_the_read_only_user(app: InProcessServer) -> None:
    from vlcmsim.depot.model import DepotContent
    from vlcmsim.testing import READONLY
    from vlcmsim.vapi.codec import now

    depot = app.backend.depots.add(
        DepotContent(),
        description="mirror",
        location="https://mirror:s3cret@depot.example:8443/bundle.zip",
        file_name="bundle.zip",
        owner="administrator@vsphere.local",
        create_time=now(),
    )
    readonly, admin = await app.client(READONLY), await app.client()
    path = f"/api/esx/settings/depots/offline/{depot}"
    assert (await readonly.get(path)).json()["location"] == "https://mirror:****@depot.example:8443/bundle.zip"
    listed = (await readonly.get("/api/esx/settings/depots/offline")).json()[depot]["location"]
    assert "s3cret" not in listed
    assert (await admin.get(path)).json()["location"] == "https://mirror:s3cret@depot.example:8443/bundle.zip"


async def test_a_depot_whose_payloads_a_running_stage_moves_cannot_be_deleted(app: InProcessServer) -> None:
    import foreign_bundle
    from vlcmsim.hosts.fake import FakeHosts

    imports = app.app.settings.data_dir / "import"
    client = await app.client()
    first = foreign_bundle.build(imports / "i40en-a.zip")
    # the same component and VIB with other payload bytes: the later depot's payload is the one staged
    second = foreign_bundle.build(imports / "i40en-b.zip", payload=b"\x1f\x8b" + bytes(range(255, -1, -1)) * 300)
    depots = []
    for bundle in (first, second):
        r = await client.post(
            "/api/esx/settings/depots/offline?vmw-task=true", json={"source_type": "PULL", "location": bundle.as_uri()}
        )
        info = await wait_task(client, r.json())
        assert info["status"] == "SUCCEEDED", info
        depots.append(info["result"]["depot"])
    drafts = "/api/esx/settings/clusters/domain-c1/software/drafts"
    draft = (await client.post(drafts)).json()
    r = await client.patch(
        f"{drafts}/{draft}/software/components",
        json={"components_to_set": {foreign_bundle.NAME: foreign_bundle.VERSION}},
    )
    assert r.status_code == 204, r.text
    info = await wait_task(client, (await client.post(f"{drafts}/{draft}?action=commit&vmw-task=true", json={})).json())
    assert info["status"] == "SUCCEEDED", info
    agent = FakeHosts()
    agent["host-1"].hang = True
    app.backend.hosts = agent
    task = (await client.post(STAGE, json={"hosts": ["host-1"]})).json()
    await asyncio.sleep(0.1)
    r = await client.delete(f"/api/esx/settings/depots/offline/{depots[1]}")
    assert r.status_code == 400 and r.json()["error_type"] == "RESOURCE_IN_USE", r.text
    assert "a running stage or apply" in r.json()["messages"][0]["default_message"]
    await client.post(f"/api/cis/tasks/{task}?action=cancel")
    await wait_task(client, task)
    assert (await client.delete(f"/api/esx/settings/depots/offline/{depots[1]}")).status_code == 204


async def test_repeated_wrong_passwords_make_the_next_tries_wait(
    app: InProcessServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vlcmsim.sessions as sessions_module

    clock = [1000.0]
    monkeypatch.setattr(sessions_module.time, "monotonic", lambda: clock[0])
    client = await app.client(None)
    wrong = ("administrator@vsphere.local", "guess")
    for _ in range(5):
        r = await client.post("/api/session", auth=wrong)
        assert r.status_code == 401 and "invalid user name or password" in r.text
    r = await client.post("/api/session", auth=("administrator@vsphere.local", "VMware1!"))
    assert r.status_code == 401 and "Too many failed logins" in r.text  # even the right password waits
    clock[0] += 1.5
    assert (await client.post("/api/session", auth=wrong)).status_code == 401  # a sixth failure: 2 s now
    clock[0] += 1.5
    assert "Too many" in (await client.post("/api/session", auth=("administrator@vsphere.local", "VMware1!"))).text
    clock[0] += 1.0
    assert (await client.post("/api/session", auth=("administrator@vsphere.local", "VMware1!"))).status_code == 201
    # a success clears the streak
    assert "invalid user name" in (await client.post("/api/session", auth=wrong)).text


def test_failures_are_counted_per_user_and_per_address() -> None:
    from vlcmsim.sessions import LoginFailures

    failures = LoginFailures(allowed=2, max_wait=60)
    for _ in range(2):
        failures.failed("user:a")
    assert failures.wait("user:a") > 0 and failures.wait("user:b") == 0
    for _ in range(40):
        failures.failed("address:10.0.0.1")
    assert 59 < failures.wait("address:10.0.0.1") <= 60


@pytest.mark.parametrize("settings", [{"header_read_timeout_seconds": 0.3, "depot_max_connections": 2}])
async def test_the_depot_port_times_out_half_sent_heads_and_caps_connections(
    tmp_path: Any, settings: dict[str, Any]
) -> None:
    from vlcmsim.testing import in_process

    async with in_process(tmp_path / "data", **settings) as server:
        listener = server.app.payload_listener
        assert listener is not None
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        writer.write(b"GET /vum/repository/payloads/ab")  # never finished
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed by the server after 0.3 s
        writer.close()
        held = [await asyncio.open_connection("127.0.0.1", listener.port) for _ in range(2)]
        await asyncio.sleep(0.05)
        third_reader, third_writer = await asyncio.open_connection("127.0.0.1", listener.port)
        assert await asyncio.wait_for(third_reader.read(), 0.2) == b""  # over the cap: closed at once
        for _, w in [*held, (third_reader, third_writer)]:
            w.close()


async def test_a_large_set_filter_is_answered_and_one_past_the_bound_is_refused(app: InProcessServer) -> None:
    from vlcmsim.vapi.codec import MAX_ITEMS

    client = await app.client()
    ids = ["host-1", *(f"host-{n}" for n in range(100, 100 + MAX_ITEMS - 3)), "host-1", "host-2"]
    r = await client.request("GET", "/api/vcenter/host", json={"filter": {"hosts": ids}})
    assert r.status_code == 200, r.text
    assert [h["host"] for h in r.json()] == ["host-1", "host-2"]
    r = await client.request("GET", "/api/vcenter/host", json={"filter": {"hosts": [*ids, "one-more"]}})
    assert r.status_code == 400 and r.json()["messages"][0]["id"] == "com.vmware.vlcmsim.input.TooManyItems"
    r = await client.post(STAGE, json={"hosts": [f"host-{n}" for n in range(MAX_ITEMS + 1)]})
    assert r.status_code == 400 and "at most" in r.json()["messages"][0]["default_message"]
