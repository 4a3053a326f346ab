"""Several workers on one store, as two task managers over the same database:
a cluster is held by one task at a time, a cancel reaches the worker running
the task, and the tasks of a worker that stopped end FAILED exactly once."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from vlcmsim.store.db import Store
from vlcmsim.tasks.manager import TargetBusy, TaskContext, TaskManager
from vlcmsim.vapi.errors import Message

pytestmark = pytest.mark.anyio
CLUSTER = ("ClusterComputeResource", "domain-c1")


def workers(tmp_path: Path) -> tuple[TaskManager, TaskManager]:
    store = Store.open(None, tmp_path)
    return (
        TaskManager(store, 3600, shared=True, dead_after_seconds=0.2),
        TaskManager(store, 3600, shared=True, dead_after_seconds=0.2),
    )


def start(manager: TaskManager, work: Any, locks: list[tuple[str, str]] | None = None) -> str:
    return manager.start(
        service="com.vmware.esx.settings.clusters.software",
        operation="stage",
        description=Message("stage", "Stage"),
        work=work,
        target=CLUSTER,
        cancelable=True,
        locks=locks if locks is not None else [CLUSTER],
    )


async def forever(ctx: TaskContext) -> None:
    await asyncio.sleep(3600)


async def test_a_cluster_held_by_one_workers_task_refuses_anothers(tmp_path: Path) -> None:
    one, two = workers(tmp_path)
    first = start(one, forever)
    with pytest.raises(TargetBusy) as busy:
        start(two, forever)
    assert busy.value.holder is not None and busy.value.holder.id == first
    one.cancel(first)
    await asyncio.sleep(0.05)
    second = start(two, forever)  # the lock went with the task
    assert two.get(second) is not None
    await two.shutdown()
    await one.shutdown()


async def test_a_cancel_asked_of_another_worker_reaches_the_task(tmp_path: Path) -> None:
    one, two = workers(tmp_path)
    task = start(one, forever)
    await asyncio.sleep(0.05)
    assert two.cancel(task)  # a request in the store
    one.cancel_requests()  # what the running worker's heartbeat does
    await asyncio.sleep(0.05)
    record = two.get(task)
    assert record is not None and record.status == "FAILED"
    assert record.error is not None and "canceled" in record.error.text
    await one.shutdown()


async def test_the_tasks_of_a_stopped_worker_end_failed_once(tmp_path: Path) -> None:
    one, two = workers(tmp_path)
    one.heartbeat()
    two.heartbeat()
    task = start(one, forever)
    await asyncio.sleep(0.05)
    assert two.sweep() == 0  # its worker is alive
    await asyncio.sleep(0.3)  # ... and then silent past dead_after
    two.heartbeat()
    assert two.sweep() == 1
    assert two.sweep() == 0  # never twice
    record = two._load(task)
    assert record is not None and record.status == "FAILED"
    assert record.error is not None and "server stopped" in record.error.text
    start(two, forever)  # the cluster is free again
    for runner in list(one._runners.values()):  # the "dead" worker's coroutine, for the test's sake
        runner.cancel()
    await two.shutdown()


async def test_a_tasks_work_does_not_read_the_versions_of_the_request_that_started_it(tmp_path: Path) -> None:
    from vlcmsim.store.db import _versions, request_scope

    one, _ = workers(tmp_path)
    seen: list[object] = []

    async def work(ctx: TaskContext) -> None:
        seen.append(_versions.get())

    with request_scope():
        assert _versions.get() == {}
        task = start(one, work, locks=[])
    await asyncio.sleep(0.05)
    assert seen == [None]  # the work checks the store itself, as long as it runs
    record = one.get(task)
    assert record is not None and record.status == "SUCCEEDED"
