"""A write answers after one transaction and reads nothing back: the drafts and commits this
process just wrote are changed in its snapshot, not read again, and the event a task's start or
a host's change logs is written with it. Another writer between is noticed and everything read
again."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from vlcmsim.lifecycle.desired import DRAFTS_VERSION, DesiredStates
from vlcmsim.lifecycle.spec import SoftwareSpec
from vlcmsim.store.db import Store
from vlcmsim.testing import InProcessServer

pytestmark = pytest.mark.anyio

SOFTWARE = "/api/esx/settings/clusters/domain-c1/software"
DRAFTS = f"{SOFTWARE}/drafts"


@contextmanager
def statements(store: Store) -> Iterator[list[str]]:
    """The SQL statements run meanwhile, and how many transactions committed."""
    seen: list[str] = []

    def executed(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        seen.append(sql.split()[0].upper())

    def committed(_conn: object) -> None:
        seen.append("COMMIT")

    event.listen(store.engine, "before_cursor_execute", executed)
    event.listen(store.engine, "commit", committed)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", executed)
        event.remove(store.engine, "commit", committed)


def as_stored(desired: DesiredStates, cluster: str) -> list[tuple[str, str, object, str]]:
    """A cluster's drafts as a fresh read of the store gives them."""
    fresh = DesiredStates(desired.store)
    return [(d.id, d.owner, d.spec.to_json(), d.status) for d in fresh.drafts(cluster)]


def as_kept(desired: DesiredStates, cluster: str) -> list[tuple[str, str, object, str]]:
    return [(d.id, d.owner, d.spec.to_json(), d.status) for d in desired.drafts(cluster)]


async def test_a_draft_created_edited_and_deleted_is_one_transaction_each_and_nothing_read_back(
    app: InProcessServer,
) -> None:
    client = await app.client()
    store = app.app.started.store
    desired = app.backend.desired
    await client.get(DRAFTS)  # the snapshots taken
    await client.get(SOFTWARE)
    with statements(store) as created:
        draft = (await client.post(DRAFTS)).json()
    assert created == ["INSERT", "INSERT", "UPDATE", "COMMIT"]  # its number, its row, the version
    with statements(store) as edited:
        r = await client.put(f"{DRAFTS}/{draft}/software/components/bnxtnet", json="1.0")
        assert r.status_code == 204, r.text
        listed = (await client.get(DRAFTS)).json()
    assert "SELECT" not in edited and edited.count("COMMIT") == 1
    assert listed[draft]["metadata"]["owner"] == "administrator@vsphere.local"
    assert as_kept(desired, "domain-c1") == as_stored(desired, "domain-c1")
    second = desired.create_draft("domain-c1", "someone else", SoftwareSpec())  # one draft per user
    assert [d for d, *_ in as_kept(desired, "domain-c1")] == [draft, second]  # in their numbers' order
    with statements(store) as deleted:
        assert (await client.delete(f"{DRAFTS}/{draft}")).status_code == 204
    assert "SELECT" not in deleted
    assert as_kept(desired, "domain-c1") == as_stored(desired, "domain-c1")
    assert list((await client.get(DRAFTS)).json()) == [second]


async def test_a_commit_is_the_latest_at_once_and_its_draft_gone(app: InProcessServer) -> None:
    desired = app.backend.desired
    spec = SoftwareSpec.from_json({"base_image": {"version": "8.0.3-0.35.24280767"}, "components": {"a": "1"}})
    draft = desired.create_draft("domain-c1", "someone", spec)
    desired.latest_commit("domain-c1")  # the snapshots taken
    desired.drafts("domain-c1")
    with statements(app.app.started.store) as wrote:
        number = desired.add_commit("domain-c1", "someone", "why", spec, draft)
        latest = desired.latest_commit("domain-c1")
        drafts = desired.drafts("domain-c1")
    assert "SELECT" in wrote[:1]  # the commit's number, read in its transaction
    assert wrote.count("SELECT") == 1 and wrote.count("COMMIT") == 1
    assert latest is not None and (latest.id, latest.spec.to_json()) == (number, spec.to_json())
    assert latest == DesiredStates(desired.store).latest_commit("domain-c1")
    assert drafts == []


async def test_a_write_by_another_writer_between_reads_everything_again(app: InProcessServer) -> None:
    desired = app.backend.desired
    store = desired.store
    mine = desired.create_draft("domain-c1", "me", SoftwareSpec())
    other = DesiredStates(store)  # another process on the same store, as far as versions go
    theirs = other.create_draft("domain-c1", "them", SoftwareSpec())
    with store.engine.begin() as conn:  # and one more write nobody here made
        Store.bump(conn, DRAFTS_VERSION)
    desired.save_draft(desired.drafts("domain-c1")[0])  # the version moved by more than this write
    assert [d.id for d in desired.drafts("domain-c1")] == [mine, theirs]


async def test_a_stage_starts_in_one_transaction_with_the_event_of_its_task(app: InProcessServer) -> None:
    client = await app.client()
    app.backend.depot_overrides.of("domain-c1")  # the snapshots taken
    await client.get(SOFTWARE)
    with statements(app.app.started.store) as started:
        r = await client.post(f"{SOFTWARE}?action=stage&vmw-task=true", json={})
        assert r.status_code == 202, r.text
    assert started == ["INSERT", "INSERT", "INSERT", "COMMIT"]  # the task, its lock, its event
    task = r.json()
    events = app.app.started.soap.world.events.query(kinds={"TaskEvent"})
    assert any((e.details or {}).get("task") == task for e in events)


async def test_a_host_change_and_its_event_are_one_transaction(app: InProcessServer) -> None:
    inventory = app.backend.inventory
    inventory.hosts()  # the snapshot taken
    with statements(app.app.started.store) as wrote:
        host = inventory.update_host("host-1", in_maintenance_mode=True)
    assert wrote == ["UPDATE", "UPDATE", "INSERT", "COMMIT"]  # the host, the version, the event
    assert host is not None and host.in_maintenance_mode
    events = app.app.started.soap.world.events.query(kinds={"EnteredMaintenanceModeEvent"}, entities={"host-1"})
    assert [e.host for e in events] == ["host-1"]
