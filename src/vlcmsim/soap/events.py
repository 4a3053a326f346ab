"""The event log as vim25's events (one pyVmomi type per kind, with the
entities it names as event arguments), EventManager's properties, and the
posting of events when a host's state changes, whoever changed it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vlcmsim.inventory.events import Event, EventLog
from vlcmsim.inventory.model import CLUSTER_TYPE, HOST_TYPE, Host
from vlcmsim.inventory.store import Inventory
from vlcmsim.sim.knobs import SimKnobs
from vlcmsim.soap.properties import prop
from vlcmsim.soap.tree import refs
from vlcmsim.soap.vim import VmomiSupport, vim
from vlcmsim.soap.world import World
from vlcmsim.tasks.manager import TaskRecord

if TYPE_CHECKING:
    from sqlalchemy import Connection

LATEST_PAGE = 10


def event(w: World, e: Event) -> Any:
    """The pyVmomi event of a logged one (EventEx for a kind vim25 does not know)."""
    try:
        kind = VmomiSupport.GetWsdlType("urn:vim25", e.kind)
    except KeyError:
        kind = vim.event.EventEx
    value = kind(key=e.key, chainId=e.key, createdTime=e.created_time, userName=e.user, fullFormattedMessage=e.message)
    if e.datacenter:
        value.datacenter = vim.event.DatacenterEventArgument(
            name=w.datacenter_name(e.datacenter), datacenter=refs.datacenter(e.datacenter)
        )
    if e.cluster:
        cluster = w.inventory.cluster(e.cluster)
        value.computeResource = vim.event.ComputeResourceEventArgument(
            name=cluster.name if cluster else e.cluster, computeResource=refs.cluster(e.cluster)
        )
    if e.host:
        host = w.inventory.host(e.host)
        value.host = vim.event.HostEventArgument(name=host.name if host else e.host, host=refs.host(e.host))
    if e.vm:
        vm = w.vms.get(e.vm)
        value.vm = vim.event.VmEventArgument(name=vm.name if vm else e.vm, vm=refs.vm(e.vm))
    if isinstance(value, vim.event.TaskEvent):
        value.info = _task_info(w, str((e.details or {}).get("task", "")))
    for name, field_value in (e.details or {}).items():
        if name == "task":
            continue
        if name == "sourceHost" and isinstance(field_value, str):
            source = w.inventory.host(field_value)
            value.sourceHost = vim.event.HostEventArgument(
                name=source.name if source else field_value, host=refs.host(field_value)
            )
        elif hasattr(value, name):
            setattr(value, name, field_value)
    return value


def _task_info(w: World, task: str) -> Any:
    from vlcmsim.soap.tasks import info

    record = w.tasks.get(task)
    if record is not None:
        return info(w, record)
    # the task has been forgotten (tasks are kept for a while, events longer)
    return vim.TaskInfo(key=task, task=vim.Task(task), state="success", cancelled=False, cancelable=False)


# what each kind of event is, as EventManager.description tells (govc prints the category)
CATEGORIES = {
    "UserLoginSessionEvent": ("info", "User login"),
    "UserLogoutSessionEvent": ("info", "User logout"),
    "HostAddedEvent": ("info", "Host Added"),
    "HostRemovedEvent": ("info", "Host removed"),
    "HostConnectedEvent": ("info", "Host connected"),
    "HostDisconnectedEvent": ("info", "Host disconnected"),
    "HostConnectionLostEvent": ("error", "Host connection lost"),
    "HostShutdownEvent": ("info", "Host shut down"),
    "EnteredMaintenanceModeEvent": ("info", "Entered maintenance mode"),
    "ExitMaintenanceModeEvent": ("info", "Exit maintenance mode"),
    "VmMigratedEvent": ("info", "VM migrated"),
    "VmPoweredOffEvent": ("info", "VM powered off"),
    "VmSuspendedEvent": ("info", "VM suspended"),
    "TaskEvent": ("info", "Task"),
    "EventEx": ("info", "Event"),
}


@prop(vim.event.EventManager, "description")
def _description(w: World, obj: Any) -> Any:
    Detail = vim.event.EventDescription.EventDetail
    levels = [
        vim.ElementDescription(key=k, label=k.capitalize(), summary=k) for k in ("info", "warning", "error", "user")
    ]
    details = [
        Detail(
            key=VmomiSupport.GetWsdlType("urn:vim25", kind),  # a type name: pyVmomi takes the type
            description=label,
            category=category,
            formatOnDatacenter=label,
            formatOnComputeResource=label,
            formatOnHost=label,
            formatOnVm=label,
            fullFormat=label,
        )
        for kind, (category, label) in CATEGORIES.items()
    ]
    return vim.event.EventDescription(category=levels, eventInfo=details)


@prop(vim.event.EventManager, "latestEvent")
def _latest(w: World, obj: Any) -> Any:
    latest = w.events.latest()
    return event(w, latest) if latest else None


@prop(vim.event.EventManager, "maxCollector")
def _max_collector(w: World, obj: Any) -> int:
    return 32


# -- posting ---------------------------------------------------------------------------


def host_events(log: EventLog, knobs: SimKnobs) -> Any:
    """A listener of the inventory's host changes that logs what vCenter would."""

    def changed(conn: Connection, old: Host | None, new: Host | None) -> None:
        def _post(kind: str, message: str, host: Host, details: dict[str, Any] | None = None) -> None:
            log.post(
                kind,
                message,
                datacenter=host.datacenter,
                cluster=host.cluster,
                host=host.id,
                details=details,
                conn=conn,
            )

        if new is None:
            if old is not None:
                _post("HostRemovedEvent", f"Removed host {old.name} in datacenter", old)
            return
        if old is None:
            _post("HostAddedEvent", f"Added host {new.name} to datacenter", new)
            return
        if old.connection_state != new.connection_state:
            if new.connection_state == "NOT_RESPONDING":
                if knobs.get(new.id).rebooting:
                    _post(
                        "HostShutdownEvent",
                        f"Shut down of {new.name}: Rebooting to remediate",
                        new,
                        {"reason": "Rebooting to remediate"},
                    )
                _post("HostConnectionLostEvent", f"Host {new.name} is not responding", new)
            elif new.connection_state == "DISCONNECTED":
                _post("HostDisconnectedEvent", f"Disconnected from {new.name}", new, {"reason": "userRequest"})
            else:
                _post("HostConnectedEvent", f"Connected to {new.name}", new)
        if old.in_maintenance_mode != new.in_maintenance_mode:
            if new.in_maintenance_mode:
                _post("EnteredMaintenanceModeEvent", f"Host {new.name} has entered maintenance mode", new)
            else:
                _post("ExitMaintenanceModeEvent", f"Host {new.name} has exited maintenance mode", new)

    return changed


# -- tasks and remediations -----------------------------------------------------------

REMEDIATION = "apply"  # the operation of clusters.software / hosts.software that remediates
REMEDIATION_EVENT = "com.vmware.vlcmsim.remediation"  # our event type ids (vLCM's own are not public)


def task_events(log: EventLog, inventory: Inventory) -> Any:
    """A listener of the task manager's transitions: a TaskEvent when a task is created (as
    vCenter logs every task), and an EventEx when a remediation starts, succeeds or fails."""

    def transitioned(conn: Connection, record: TaskRecord) -> None:
        where = _where(inventory, record)
        description = record.description.default_message
        if record.status == "PENDING":
            details = {"task": record.id}
            log.post("TaskEvent", f"Task: {description}", user=record.user or "", details=details, conn=conn, **where)
            return
        if record.operation != REMEDIATION or not record.service.endswith(".software"):
            return
        name = _target_name(inventory, record)
        if record.status == "RUNNING":
            outcome, severity, text = "started", "info", f"Remediation of {name} started"
        elif record.status == "SUCCEEDED":
            outcome, severity, text = "succeeded", "info", f"Remediation of {name} succeeded"
        elif record.status == "FAILED":
            reason = record.error.text if record.error else "unknown error"
            outcome, severity, text = "failed", "error", f"Remediation of {name} failed: {reason}"
        else:
            return
        log.post(
            "EventEx",
            text,
            user=record.user or "",
            details={"eventTypeId": f"{REMEDIATION_EVENT}.{outcome}", "severity": severity, "objectId": record.id},
            conn=conn,
            **where,
        )

    return transitioned


def _where(inventory: Inventory, record: TaskRecord) -> dict[str, str | None]:
    if record.target is None:
        return {}
    kind, value = record.target
    if kind == CLUSTER_TYPE:
        cluster = inventory.cluster(value)
        return {"cluster": value, "datacenter": cluster.datacenter if cluster else None}
    if kind == HOST_TYPE:
        host = inventory.host(value)
        if host is not None:
            return {"host": value, "cluster": host.cluster, "datacenter": host.datacenter}
    return {}


def _target_name(inventory: Inventory, record: TaskRecord) -> str:
    if record.target is None:
        return "the inventory"
    kind, value = record.target
    found = inventory.cluster(value) if kind == CLUSTER_TYPE else inventory.host(value)
    return found.name if found is not None else value
