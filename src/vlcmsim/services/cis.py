"""com.vmware.cis.session and com.vmware.cis.tasks."""

from __future__ import annotations

from typing import Any

from vlcmsim.tasks.manager import TaskRecord, not_found_task
from vlcmsim.vapi.errors import unauthenticated
from vlcmsim.vapi.operations import Call, OperationSet, Privilege

ops = OperationSet()

SESSION = "com.vmware.cis.session"
TASKS = "com.vmware.cis.tasks"


@ops.operation(SESSION, "create", Privilege.NONE)
async def create_session(call: Call) -> str:
    # The wire adapter authenticated the user/password credentials into call.user.
    if call.user is None:
        raise unauthenticated()
    return call.app.sessions.create(call.user).id


@ops.operation(SESSION, "get", Privilege.READ)
async def get_session(call: Call) -> dict[str, Any]:
    session = call.app.sessions.lookup(call.session_id or "")
    if session is None:
        raise unauthenticated()
    return {
        "user": session.user.name,
        "created_time": session.created_time,
        "last_accessed_time": session.last_accessed_time,
    }


@ops.operation(SESSION, "delete", Privilege.READ)
async def delete_session(call: Call) -> None:
    if call.session_id is None:
        raise unauthenticated()
    call.app.sessions.delete(call.session_id)


@ops.operation(TASKS, "get", Privilege.READ)
async def get_task(call: Call, task: str, spec: dict[str, Any] | None = None) -> dict[str, Any]:
    record = call.app.tasks.get(task)
    if record is None:
        raise not_found_task(task)
    return record.info(with_result=not (spec or {}).get("exclude_result", False))


@ops.operation(TASKS, "list", Privilege.READ)
async def list_tasks(
    call: Call, filter_spec: dict[str, Any] | None = None, result_spec: dict[str, Any] | None = None
) -> dict[str, Any]:
    with_result = not (result_spec or {}).get("exclude_result", False)
    return {r.id: r.info(with_result=with_result) for r in call.app.tasks.list() if _matches(r, filter_spec or {})}


def _matches(r: TaskRecord, f: dict[str, Any]) -> bool:
    if f.get("tasks") and r.id not in f["tasks"]:
        return False
    if f.get("services") and r.service not in f["services"]:
        return False
    if f.get("operations") and r.operation not in f["operations"] and f"{r.operation}$task" not in f["operations"]:
        return False
    if f.get("status") and r.status not in f["status"]:
        return False
    if f.get("users") and (r.user or "") not in f["users"]:
        return False
    if f.get("targets"):
        if r.target is None or {"type": r.target[0], "id": r.target[1]} not in f["targets"]:
            return False
    return True


@ops.operation(TASKS, "cancel", Privilege.WRITE)
async def cancel_task(call: Call, task: str) -> None:
    call.app.tasks.cancel(task)
