"""Tasks as vim25 shows them: every task of the store (a vLCM stage, apply,
scan, check, commit, depot import or sync started over REST or JSON-RPC, and a
host's maintenance mode or reboot started over SOAP) is a vim.Task whose id is
the task's own; TaskManager.recentTask lists those running or ended in the last
RECENT_SECONDS, and each entity's recentTask those that target it."""

from __future__ import annotations

import zlib
from datetime import timedelta
from typing import Any

from vlcmsim.soap import properties
from vlcmsim.soap.properties import prop
from vlcmsim.soap.vim import VmomiSupport, managed_type, moid, vim, vmodl, wsdl_name
from vlcmsim.soap.world import World
from vlcmsim.tasks.manager import TaskRecord
from vlcmsim.vapi.codec import now

RECENT_SECONDS = 600
STATES = {"PENDING": "queued", "RUNNING": "running", "BLOCKED": "running", "SUCCEEDED": "success", "FAILED": "error"}
FAULTS = {
    "not_allowed_in_current_state": vim.fault.InvalidState,
    "canceled": vmodl.fault.RequestCanceled,
    "timed_out": vim.fault.Timedout,
    "not_found": vmodl.fault.ManagedObjectNotFound,
    "unauthorized": vim.fault.NoPermission,
}
VIM_SERVICE = "vim."  # the service of tasks started over SOAP: "vim.HostSystem"


def user_display(user: str | None) -> str:
    """How vCenter names a task's initiator: VSPHERE.LOCAL\\administrator."""
    if not user:
        return "com.vmware.vlcmsim"
    name, _, domain = user.partition("@")
    return f"{domain.upper()}\\{name}" if domain else name


def entity_of(record: TaskRecord) -> Any:
    if record.target is None:
        return None
    kind, value = record.target
    try:
        return managed_type(kind)(value)
    except KeyError:
        return None


def _fault(record: TaskRecord) -> Any:
    error = record.error
    if error is None:
        return None
    kind = FAULTS.get(error.name, vmodl.fault.SystemError)
    fault = kind(msg=error.text)
    if isinstance(fault, vmodl.fault.SystemError):
        fault.reason = error.text
    return fault


def info(w: World, record: TaskRecord) -> Any:
    entity = entity_of(record)
    name = None
    if record.service.startswith(VIM_SERVICE):
        name = VmomiSupport.GetWsdlMethod("urn:vim25", record.operation)  # "EnterMaintenanceMode_Task"
    state = STATES.get(record.status, "running")
    progress = None
    if record.progress is not None and state == "running":
        total, completed, _ = record.progress
        progress = int(completed * 100 / total) if total else 0
    entity_name = None
    if entity is not None:
        try:
            entity_name = str(properties.get(w, entity, "name"))
        except (LookupError, properties.InvalidProperty):
            entity_name = moid(entity)
    description = vim.LocalizableMessage(key=record.description.id, message=record.description.default_message)
    return vim.TaskInfo(
        key=record.id,
        task=vim.Task(record.id),
        description=description,
        name=name,
        descriptionId=description_id(record),
        entity=entity,
        entityName=entity_name,
        state=state,
        cancelled=record.error is not None and record.error.name == "canceled",
        cancelable=record.cancelable,
        error=_fault(record) if state == "error" else None,
        progress=progress,
        reason=vim.TaskReasonUser(userName=user_display(record.user)),
        queueTime=record.created_time,
        startTime=record.start_time,
        completeTime=record.end_time,
        eventChainId=zlib.crc32(record.id.encode()) & 0x7FFFFFFF,  # the same in every worker
    )


def recent(w: World) -> list[TaskRecord]:
    cutoff = now() - timedelta(seconds=RECENT_SECONDS)
    return w.tasks.list(since=cutoff)


def recent_tasks_of(w: World, obj: Any) -> list[Any]:
    target = (wsdl_name(type(obj)), moid(obj))
    return [vim.Task(r.id) for r in recent(w) if r.target == target]


@prop(vim.TaskManager, "recentTask")
def _recent(w: World, obj: Any) -> list[Any]:
    return [vim.Task(r.id) for r in recent(w)]


@prop(vim.TaskManager, "maxCollector")
def _max_collector(w: World, obj: Any) -> int:
    return 32


@prop(vim.Task, "info")
def _info(w: World, obj: Any) -> Any:
    record = w.tasks.get(moid(obj))
    if record is None:
        raise LookupError(moid(obj))
    return info(w, record)


def description_id(record: TaskRecord) -> str:
    """ "HostSystem.enterMaintenanceMode" for a vim25 task, "<service>.<operation>" for vLCM's."""
    if record.service.startswith(VIM_SERVICE):
        operation = record.operation.removesuffix("_Task")
        return f"{record.service.removeprefix(VIM_SERVICE)}.{operation[0].lower()}{operation[1:]}"
    return f"{record.service}.{record.operation}"


@prop(vim.TaskManager, "description")
def _description(w: World, obj: Any) -> Any:
    """What each kind of recent task is called (`govc tasks -l` prints these labels)."""
    labels: dict[str, str] = {}
    for record in recent(w):
        labels.setdefault(description_id(record), record.description.default_message.split(":")[0])
    return vim.TaskDescription(
        methodInfo=[vim.ElementDescription(key=k, label=v, summary=v) for k, v in sorted(labels.items())],
        state=[vim.ElementDescription(key=k, label=k.capitalize(), summary=k) for k in STATES.values()],
        reason=[vim.TypeDescription(key=vim.TaskReasonUser, label="User", summary="Started by a user")],
    )
