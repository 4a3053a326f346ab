"""A read repeated by the same session while nothing was committed is answered
with the bytes of its last answer (vapi/read_cache.py); anything that changes
what the read would say — a write, a logout, another user, a body, time — makes
it go the full way again."""

from __future__ import annotations

import asyncio
import time

import pytest

from vlcmsim.tasks.manager import TaskContext
from vlcmsim.testing import READONLY, InProcessServer
from vlcmsim.vapi.errors import Message

pytestmark = pytest.mark.anyio

CLUSTERS = "/api/vcenter/cluster"
DRAFTS = "/api/esx/settings/clusters/domain-c1/software/drafts"
DEPOTS = "/api/esx/settings/depots/offline"


async def test_a_repeated_read_is_answered_again_with_the_same_bytes(app: InProcessServer) -> None:
    client = await app.client()
    cache = app.app.read_cache
    assert cache is not None
    first = await client.get(CLUSTERS)
    before = cache.hits
    again = await client.get(CLUSTERS)
    assert again.status_code == 200 and again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    assert cache.hits == before + 1
    metrics = (await client.get("/metrics")).text
    assert f'vlcmsim_read_cache_hits_total{{worker="{app.backend.tasks.worker_id}"}} {cache.hits}' in metrics


async def test_a_write_is_seen_by_the_next_read(app: InProcessServer) -> None:
    client = await app.client()
    assert (await client.get(DRAFTS)).json() == {}
    await client.get(DRAFTS)  # kept
    created = await client.post(DRAFTS)
    assert created.status_code == 201, created.text
    listed = await client.get(DRAFTS)
    assert list(listed.json()) == [created.json()]
    assert (await client.delete(f"{DRAFTS}/{created.json()}")).status_code == 204
    assert (await client.get(DRAFTS)).json() == {}


async def test_a_write_behind_the_apis_back_is_seen_too(app: InProcessServer) -> None:
    """A change made through /sim (not a vAPI write) commits like any other."""
    client = await app.client()
    hosts = (await client.get("/api/vcenter/host")).json()
    first = hosts[0]["host"]
    assert (await client.get("/api/vcenter/host")).json() == hosts  # kept
    changed = await client.patch(f"/sim/hosts/{first}", json={"connection_state": "DISCONNECTED"})
    assert changed.status_code == 200, changed.text
    after = {h["host"]: h["connection_state"] for h in (await client.get("/api/vcenter/host")).json()}
    assert after[first] == "DISCONNECTED"


async def test_a_logged_out_session_is_refused_not_answered(app: InProcessServer) -> None:
    client = await app.client()
    assert (await client.get(CLUSTERS)).status_code == 200
    await client.get(CLUSTERS)
    assert (await client.delete("/api/session")).status_code == 204
    assert (await client.get(CLUSTERS)).status_code == 401


async def test_each_session_has_its_own_answers(app: InProcessServer) -> None:
    """What one session was answered is never another's (a read-only user sees depot
    locations masked): the second session's first read goes the full way."""
    admin = await app.client()
    reader = await app.client(READONLY)
    cache = app.app.read_cache
    assert cache is not None
    await admin.get(DEPOTS)
    before = cache.hits
    await reader.get(DEPOTS)
    assert cache.hits == before
    await reader.get(DEPOTS)
    assert cache.hits == before + 1


async def test_a_read_with_a_body_or_a_query_is_keyed_apart(app: InProcessServer) -> None:
    """The SDK sends its filters as a GET body: such a read always goes the full way;
    a query string is part of the key."""
    client = await app.client()
    everything = (await client.get(CLUSTERS)).json()
    one = everything[0]["cluster"]
    filtered = await client.request("GET", CLUSTERS, json={"filter": {"clusters": [one]}})
    assert [c["cluster"] for c in filtered.json()] == [one]
    by_query = await client.get(f"{CLUSTERS}?clusters={one}")
    assert [c["cluster"] for c in by_query.json()] == [one]
    assert len((await client.get(CLUSTERS)).json()) == len(everything)


async def test_an_answer_is_kept_at_most_its_time_to_live(app: InProcessServer) -> None:
    client = await app.client()
    cache = app.app.read_cache
    assert cache is not None
    cache.ttl = 0.05
    await client.get(CLUSTERS)
    time.sleep(0.06)
    before = cache.hits
    await client.get(CLUSTERS)
    assert cache.hits == before


async def test_reads_of_live_state_are_never_kept(app: InProcessServer) -> None:
    """A running task's progress and a host's staging are not the store's alone: a task's info is
    stored only when its handler says so (the task has ended)."""
    table = app.app._table
    task_get = table.get("com.vmware.cis.tasks", "get")
    assert task_get is not None and not task_get.stored and task_get.stored_when_said
    assert table.get("com.vmware.vcenter.cluster", "list").stored  # type: ignore[union-attr]


async def test_a_running_tasks_poll_goes_the_full_way_and_an_ended_ones_is_answered_again(
    app: InProcessServer,
) -> None:
    client = await app.client()
    cache = app.app.read_cache
    assert cache is not None
    release = asyncio.Event()
    contexts: list[TaskContext] = []

    async def work(ctx: TaskContext) -> None:
        contexts.append(ctx)
        ctx.progress(10, 100, "Started")
        await release.wait()

    task = app.backend.tasks.start(
        service="com.vmware.esx.settings.clusters.software",
        operation="stage",
        description=Message("com.vmware.vlcmsim.test", "A task held running"),
        work=work,
    )
    while not contexts:
        await asyncio.sleep(0.01)
    assert (await client.get(f"/api/cis/tasks/{task}")).json()["progress"]["completed"] == 10
    contexts[0].progress(50, 100, "Halfway")  # in memory: its write comes within half a second
    before = cache.hits
    running = (await client.get(f"/api/cis/tasks/{task}")).json()
    assert running["status"] == "RUNNING" and running["progress"]["completed"] == 50 and cache.hits == before
    release.set()
    while (ended := await client.get(f"/api/cis/tasks/{task}")).json()["status"] == "RUNNING":
        await asyncio.sleep(0.01)
    assert ended.json()["status"] == "SUCCEEDED"
    before = cache.hits
    again = await client.get(f"/api/cis/tasks/{task}")
    assert again.content == ended.content and cache.hits == before + 1
