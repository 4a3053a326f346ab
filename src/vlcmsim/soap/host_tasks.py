"""A host's own tasks over SOAP — EnterMaintenanceMode_Task (DRS moves its
powered-on VMs to the other hosts of its cluster, or the task fails as
vSphere's does when they have nowhere to go), ExitMaintenanceMode_Task,
RebootHost_Task, DisconnectHost_Task, ReconnectHost_Task — each a task of the
store (one record, listed by CIS and vim alike) that holds its host, so that
vLCM's runs and these exclude each other as they do in vCenter."""

from __future__ import annotations

import asyncio
from typing import Any

from vlcmsim.config import Settings
from vlcmsim.hosts.simulated import SimulatedHosts
from vlcmsim.inventory.model import HOST_TYPE, Host
from vlcmsim.inventory.vms import MoveRefused
from vlcmsim.soap.tasks import VIM_SERVICE
from vlcmsim.soap.vim import moid, vim
from vlcmsim.soap.world import World
from vlcmsim.tasks.manager import TargetBusy, TaskContext
from vlcmsim.vapi.codec import now
from vlcmsim.vapi.errors import Message, VapiError

ID = "com.vmware.vlcmsim.vim"


def _error(name: str, message_id: str, text: str) -> VapiError:
    return VapiError(name, [Message(f"{ID}.{message_id}", text)])


def _state_error(text: str) -> VapiError:
    return _error("not_allowed_in_current_state", "InvalidState", text)


class HostTasks:
    def __init__(self, world: World, settings: Settings, hosts: Any) -> None:
        self.world = world
        self.settings = settings
        self.hosts = hosts  # SimulatedHosts (in-process) or the agents' RemoteHosts

    def _host(self, obj: Any) -> Host:
        host = self.world.inventory.host(moid(obj))
        if host is None:
            raise LookupError(moid(obj))
        return host

    async def _take(self, seconds: float) -> None:
        await asyncio.sleep(seconds * self.settings.sim_time_scale)

    def start(self, method: str, obj: Any, user: str, text: str, work: Any) -> Any:
        host = self._host(obj)
        try:
            task_id = self.world.tasks.start(
                service=f"{VIM_SERVICE}HostSystem",
                operation=method,
                description=Message(f"{ID}.{method}", text.format(name=host.name)),
                work=work,
                target=(HOST_TYPE, host.id),
                user=user,
                locks=[(HOST_TYPE, host.id)] + ([("ClusterComputeResource", host.cluster)] if host.cluster else []),
            )
        except TargetBusy as busy:
            raise vim.fault.TaskInProgress(
                msg=f"Another task is already in progress on {host.name}"
                + (f" or its cluster ({busy.holder.operation})." if busy.holder else "."),
                task=vim.Task(busy.holder.id) if busy.holder else None,
            ) from None
        return vim.Task(task_id)

    # -- the operations ------------------------------------------------------------

    def enter_maintenance_mode(self, obj: Any, user: str, evacuate_powered_off: bool) -> Any:
        host_id = moid(obj)

        async def work(ctx: TaskContext) -> None:
            host = self._host(obj)
            if host.connection_state != "CONNECTED":
                raise _state_error(f"The operation is not allowed in the current connection state of {host.name}.")
            if host.in_maintenance_mode:
                return
            ctx.progress(2, 100, "Entering maintenance mode")
            vms = self.world.vms.running(host_id)
            if self.world.knobs.take(host_id, "fail_maintenance_mode"):
                raise _error(
                    "timed_out",
                    "Timedout",
                    f"{host.name} could not enter maintenance mode: {vms} VM(s) could not be moved in time.",
                )
            targets = self.hosts.evacuation_targets(host) if isinstance(self.hosts, SimulatedHosts) else []
            cluster = self.world.inventory.cluster(host.cluster) if host.cluster else None
            if vms and (cluster is None or not cluster.drs_enabled):
                where = "it is standalone" if cluster is None else "DRS is off in its cluster"
                raise _error(
                    "timed_out",
                    "Timedout",
                    f"{host.name} cannot enter maintenance mode: {vms} powered-on "
                    f"VM(s) must be moved or powered off by hand ({where}).",
                )
            await self._take(
                self.settings.maintenance_mode_seconds + vms * self.settings.maintenance_mode_seconds_per_vm
            )
            try:
                moves = self.world.vms.evacuate(host_id, targets, None)
            except MoveRefused as refused:
                raise _error(
                    "timed_out", "Timedout", f"{host.name} cannot enter maintenance mode: {refused}."
                ) from None
            for vm, target in moves:
                self.world.events.post(
                    "VmMigratedEvent",
                    f"Migration of {vm.name} from {host.name} completed",
                    user=user,
                    datacenter=host.datacenter,
                    cluster=host.cluster,
                    host=target,
                    vm=vm.id,
                    details={"sourceHost": host_id},
                )
            self.world.inventory.update_host(host_id, in_maintenance_mode=True)

        return self.start("EnterMaintenanceMode_Task", obj, user, "Enter maintenance mode: {name}", work)

    def exit_maintenance_mode(self, obj: Any, user: str) -> Any:
        async def work(ctx: TaskContext) -> None:
            host = self._host(obj)
            if host.connection_state != "CONNECTED":
                raise _state_error(f"The operation is not allowed in the current connection state of {host.name}.")
            if not host.in_maintenance_mode:
                return
            await self._take(self.settings.exit_maintenance_mode_seconds)
            self.world.inventory.update_host(host.id, in_maintenance_mode=False)

        return self.start("ExitMaintenanceMode_Task", obj, user, "Exit maintenance mode: {name}", work)

    def reboot(self, obj: Any, user: str, force: bool) -> Any:
        host = self._host(obj)
        if not force and not host.in_maintenance_mode:
            raise vim.fault.InvalidState(msg=f"{host.name} is not in maintenance mode: reboot it with force.")

        async def work(ctx: TaskContext) -> None:
            current = self._host(obj)
            if current.connection_state != "CONNECTED":
                raise _state_error(f"The operation is not allowed in the current connection state of {current.name}.")
            self.world.knobs.set(current.id, rebooting=1)
            self.world.inventory.update_host(current.id, connection_state="NOT_RESPONDING")
            try:
                await self._take(self.settings.reboot_seconds)
            finally:
                self.world.knobs.set(current.id, rebooting=0)
                self.world.inventory.update_host(current.id, connection_state="CONNECTED", boot_time=now())

        return self.start("RebootHost_Task", obj, user, "Reboot host: {name}", work)

    def disconnect(self, obj: Any, user: str) -> Any:
        async def work(ctx: TaskContext) -> None:
            self.world.inventory.update_host(moid(obj), connection_state="DISCONNECTED")

        return self.start("DisconnectHost_Task", obj, user, "Disconnect host: {name}", work)

    def reconnect(self, obj: Any, user: str) -> Any:
        async def work(ctx: TaskContext) -> None:
            host = self._host(obj)
            if self.world.knobs.get(host.id).rebooting:
                raise _state_error(f"{host.name} is rebooting: it cannot be reconnected until it is up.")
            await self._take(self.settings.exit_maintenance_mode_seconds)
            self.world.inventory.update_host(host.id, connection_state="CONNECTED")

        return self.start("ReconnectHost_Task", obj, user, "Reconnect host: {name}", work)
