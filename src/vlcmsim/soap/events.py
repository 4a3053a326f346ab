"""The event log as vim25's events (one pyVmomi type per kind, with the
entities it names as event arguments), EventManager's properties, and the
posting of events when a host's state changes, whoever changed it."""

from __future__ import annotations

from typing import Any

from vlcmsim.inventory.events import Event, EventLog
from vlcmsim.inventory.model import Host
from vlcmsim.sim.knobs import SimKnobs
from vlcmsim.soap.properties import prop
from vlcmsim.soap.tree import refs
from vlcmsim.soap.vim import VmomiSupport, vim
from vlcmsim.soap.world import World

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
    for name, field_value in (e.details or {}).items():
        if name == "sourceHost" and isinstance(field_value, str):
            source = w.inventory.host(field_value)
            value.sourceHost = vim.event.HostEventArgument(
                name=source.name if source else field_value, host=refs.host(field_value)
            )
        elif hasattr(value, name):
            setattr(value, name, field_value)
    return value


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

    def changed(old: Host | None, new: Host | None) -> None:
        if new is None:
            if old is not None:
                _post(log, "HostRemovedEvent", f"Removed host {old.name} in datacenter", old)
            return
        if old is None:
            _post(log, "HostAddedEvent", f"Added host {new.name} to datacenter", new)
            return
        if old.connection_state != new.connection_state:
            if new.connection_state == "NOT_RESPONDING":
                if knobs.get(new.id).rebooting:
                    _post(
                        log,
                        "HostShutdownEvent",
                        f"Shut down of {new.name}: Rebooting to remediate",
                        new,
                        {"reason": "Rebooting to remediate"},
                    )
                _post(log, "HostConnectionLostEvent", f"Host {new.name} is not responding", new)
            elif new.connection_state == "DISCONNECTED":
                _post(log, "HostDisconnectedEvent", f"Disconnected from {new.name}", new, {"reason": "userRequest"})
            else:
                _post(log, "HostConnectedEvent", f"Connected to {new.name}", new)
        if old.in_maintenance_mode != new.in_maintenance_mode:
            if new.in_maintenance_mode:
                _post(log, "EnteredMaintenanceModeEvent", f"Host {new.name} has entered maintenance mode", new)
            else:
                _post(log, "ExitMaintenanceModeEvent", f"Host {new.name} has exited maintenance mode", new)

    return changed


def _post(log: EventLog, kind: str, message: str, host: Host, details: dict[str, Any] | None = None) -> None:
    log.post(kind, message, datacenter=host.datacenter, cluster=host.cluster, host=host.id, details=details)
