"""com.vmware.cis.session and com.vmware.cis.tasks."""

from __future__ import annotations

import asyncio
from typing import Any

from vlcmsim.backend import Call
from vlcmsim.services.errors import task_not_cancelable, task_not_found, task_not_running
from vlcmsim.services.filters import allows, as_sets
from vlcmsim.tasks.manager import RUNNING_STATES, TaskRecord
from vlcmsim.vapi.codec import Frozen
from vlcmsim.vapi.errors import unauthenticated
from vlcmsim.vapi.operations import OperationSet, Privilege

ops = OperationSet()

SESSION = "com.vmware.cis.session"
TASKS = "com.vmware.cis.tasks"


@ops.operation(SESSION, "create", Privilege.NONE)
async def create_session(call: Call) -> str:
    # The wire adapter authenticated the user/password credentials into call.user.
    if call.user is None:
        raise unauthenticated()
    return call.backend.sessions.create(call.user).id


@ops.operation(SESSION, "get", Privilege.READ)
async def get_session(call: Call) -> dict[str, Any]:
    session = call.backend.sessions.lookup(call.session_id or "")
    if session is None:
        raise unauthenticated()
    return {
        "user": session.user.display_name,  # as vCenter spells it, in tasks too
        "created_time": session.created_time,
        "last_accessed_time": session.last_accessed_time,
    }


@ops.operation(SESSION, "delete", Privilege.READ)
async def delete_session(call: Call) -> None:
    if call.session_id is None:
        raise unauthenticated()
    call.backend.sessions.delete(call.session_id)


@ops.operation(TASKS, "get", Privilege.READ, stored_when_said=True)
async def get_task(call: Call, task: str, spec: dict[str, Any] | None = None) -> dict[str, Any] | Frozen:
    record = call.backend.tasks.get(task)
    if record is None:
        raise task_not_found(task)
    # an ended task's info is its stored record for good (a purge is a commit): polls of it may be
    # answered again; a running one's progress lives in memory between writes, so it is read each time
    call.stored = record.status not in RUNNING_STATES
    return record.info(with_result=not (spec or {}).get("exclude_result", False))


@ops.operation(TASKS, "list", Privilege.READ)
async def list_tasks(
    call: Call, filter_spec: dict[str, Any] | None = None, result_spec: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The newest tasks that match (at most MAX_LISTED), read and encoded beside the loop."""
    with_result = not (result_spec or {}).get("exclude_result", False)
    f = as_sets(filter_spec)
    targets = {(t["type"], t["id"]) for t in f.get("targets") or ()}
    tasks = call.backend.tasks

    def listed() -> dict[str, Any]:
        records = tasks.list(
            services=f.get("services") or None,
            statuses=f.get("status") or None,
            users=f.get("users") or None,
            ids=f.get("tasks") or None,
        )
        return {r.id: r.info(with_result=with_result) for r in records if _matches(r, f, targets)}

    return await asyncio.to_thread(listed)


def _matches(r: TaskRecord, f: dict[str, Any], targets: set[tuple[str, str]]) -> bool:
    operations = f.get("operations")
    return (
        allows(f.get("tasks"), r.id)
        and allows(f.get("services"), r.service)
        and (not operations or r.operation in operations or f"{r.operation}$task" in operations)
        and allows(f.get("status"), r.status)
        and allows(f.get("users"), r.user or "")
        and (not targets or r.target in targets)
    )


@ops.operation(TASKS, "cancel", Privilege.WRITE)
async def cancel_task(call: Call, task: str) -> None:
    tasks = call.backend.tasks
    record = tasks.get(task)
    if record is None:
        raise task_not_found(task)
    if record.status not in ("PENDING", "RUNNING"):
        raise task_not_running(task)
    if not record.cancelable:
        raise task_not_cancelable(task)
    if not tasks.cancel(task):  # ended meanwhile, or left by a stopped server
        raise task_not_running(task)
