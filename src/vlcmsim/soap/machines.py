"""VirtualMachine's properties: where a VM runs (runtime.host: maintenance mode
moves it), its power state (the apply policy powers it off or suspends it), and
a small fixed shape (4 vCPUs, 8 GiB, a 40 GiB disk on its cluster's datastore)."""

from __future__ import annotations

import ipaddress
from typing import Any

from vlcmsim.inventory.vms import VirtualMachine
from vlcmsim.soap.properties import prop
from vlcmsim.soap.tree import refs
from vlcmsim.soap.vim import moid, vim
from vlcmsim.soap.world import VM_CPUS, VM_DISK_BYTES, VM_MEMORY_MB, World

GUEST_ID = "ubuntu64Guest"
GUEST_NAME = "Ubuntu Linux (64-bit)"


def _vm(w: World, obj: Any) -> VirtualMachine:
    vm = w.vms.get(moid(obj))
    if vm is None:
        raise LookupError(moid(obj))
    return vm


def _ip(vm: VirtualMachine) -> str:
    n = int(vm.id.rsplit("-", 1)[-1])
    return str(ipaddress.IPv4Address("10.20.0.0") + n)


def _datastore(w: World, vm: VirtualMachine) -> Any:
    host = w.inventory.host(vm.host)
    if host is not None and host.cluster:
        return refs.shared_datastore(host.cluster)
    return refs.local_datastore(vm.host)


def runtime(w: World, vm: VirtualMachine) -> Any:
    host = w.inventory.host(vm.host)
    reachable = host is not None and host.connection_state == "CONNECTED"
    return vim.vm.RuntimeInfo(
        host=refs.host(vm.host),
        connectionState="connected" if reachable else "disconnected",
        powerState=vm.power_state,
        bootTime=w.boot_time(host) if host is not None and vm.power_state == "poweredOn" else None,
        faultToleranceState="notConfigured",
        toolsInstallerMounted=False,
        suspendInterval=0,
        consolidationNeeded=False,
        numMksConnections=0,
        onlineStandby=False,
        recordReplayState="inactive",
        quiescedForkParent=False,
        instantCloneFrozen=False,
        paused=False,
        snapshotInBackground=False,
    )


def _guest(vm: VirtualMachine) -> Any:
    on = vm.power_state == "poweredOn"
    return vim.vm.Summary.GuestSummary(
        guestId=GUEST_ID,
        guestFullName=GUEST_NAME,
        toolsStatus="toolsOk" if on else "toolsNotRunning",
        toolsRunningStatus="guestToolsRunning" if on else "guestToolsNotRunning",
        hostName=vm.name,
        ipAddress=_ip(vm) if on else None,
    )


@prop(vim.VirtualMachine, "summary")
def _summary(w: World, obj: Any) -> Any:
    vm = _vm(w, obj)
    on = vm.power_state == "poweredOn"
    return vim.vm.Summary(
        vm=obj,
        runtime=runtime(w, vm),
        guest=_guest(vm),
        config=vim.vm.Summary.ConfigSummary(
            name=vm.name,
            template=False,
            vmPathName=f"[{_datastore_name(w, vm)}] {vm.name}/{vm.name}.vmx",
            memorySizeMB=VM_MEMORY_MB,
            numCpu=VM_CPUS,
            numEthernetCards=1,
            numVirtualDisks=1,
            uuid=w.uuid_of("vm-bios", vm.id),
            instanceUuid=vm.uuid,
            guestId=GUEST_ID,
            guestFullName=GUEST_NAME,
            hwVersion="vmx-21",
        ),
        storage=vim.vm.Summary.StorageSummary(
            committed=VM_DISK_BYTES, uncommitted=0, unshared=VM_DISK_BYTES, timestamp=w.started
        ),
        quickStats=vim.vm.Summary.QuickStats(
            overallCpuUsage=400 if on else 0,
            guestMemoryUsage=VM_MEMORY_MB // 4 if on else 0,
            hostMemoryUsage=VM_MEMORY_MB // 2 if on else 0,
            uptimeSeconds=0,
            guestHeartbeatStatus="green" if on else "gray",
        ),
        overallStatus="green",
    )


def _datastore_name(w: World, vm: VirtualMachine) -> str:
    from vlcmsim.soap import properties

    return str(properties.get(w, _datastore(w, vm), "name"))


@prop(vim.VirtualMachine, "runtime")
def _runtime(w: World, obj: Any) -> Any:
    return runtime(w, _vm(w, obj))


@prop(vim.VirtualMachine, "guest")
def _guest_info(w: World, obj: Any) -> Any:
    vm = _vm(w, obj)
    on = vm.power_state == "poweredOn"
    return vim.vm.GuestInfo(
        guestId=GUEST_ID,
        guestFullName=GUEST_NAME,
        guestState="running" if on else "notRunning",
        toolsStatus="toolsOk" if on else "toolsNotRunning",
        toolsRunningStatus="guestToolsRunning" if on else "guestToolsNotRunning",
        hostName=vm.name,
        ipAddress=_ip(vm) if on else None,
        net=[],
        disk=[],
        screen=None,
    )


@prop(vim.VirtualMachine, "config")
def _config(w: World, obj: Any) -> Any:
    vm = _vm(w, obj)
    path = f"[{_datastore_name(w, vm)}] {vm.name}/{vm.name}.vmx"
    return vim.vm.ConfigInfo(
        changeVersion="1",
        modified=w.started,
        name=vm.name,
        guestFullName=GUEST_NAME,
        version="vmx-21",
        uuid=w.uuid_of("vm-bios", vm.id),
        instanceUuid=vm.uuid,
        template=False,
        guestId=GUEST_ID,
        alternateGuestName="",
        files=vim.vm.FileInfo(vmPathName=path),
        hardware=vim.vm.VirtualHardware(numCPU=VM_CPUS, numCoresPerSocket=1, memoryMB=VM_MEMORY_MB, device=[]),
        extraConfig=[],
        tools=vim.vm.ToolsConfigInfo(toolsVersion=12352, afterPowerOn=True, afterResume=True),
        flags=vim.vm.FlagInfo(),
        defaultPowerOps=vim.vm.DefaultPowerOpInfo(),
        cpuAllocation=vim.ResourceAllocationInfo(),
        memoryAllocation=vim.ResourceAllocationInfo(),
        cpuFeatureMask=[],
        datastoreUrl=[],
    )


@prop(vim.VirtualMachine, "resourcePool")
def _pool(w: World, obj: Any) -> Any:
    host = w.inventory.host(_vm(w, obj).host)
    if host is None:
        return None
    owner = refs.cluster(host.cluster) if host.cluster else refs.compute_resource(host.id)
    return refs.resource_pool(owner)


@prop(vim.VirtualMachine, "datastore")
def _datastores(w: World, obj: Any) -> list[Any]:
    return [_datastore(w, _vm(w, obj))]


@prop(vim.VirtualMachine, "network")
def _networks(w: World, obj: Any) -> list[Any]:
    host = w.inventory.host(_vm(w, obj).host)
    return [refs.network(host.datacenter)] if host else []
