"""Properties of the inventory's containers: every entity's own (name, parent,
status), folders, datacenters, clusters and standalone compute resources,
resource pools, datastores and networks."""

from __future__ import annotations

from typing import Any

from vlcmsim.inventory.model import Host
from vlcmsim.soap.properties import prop
from vlcmsim.soap.tree import FOLDER_KINDS, ROOT_ID, refs
from vlcmsim.soap.vim import moid, vim
from vlcmsim.soap.world import HARDWARE, SHARED_DATASTORE_BYTES_PER_HOST, VM_DISK_BYTES, VM_MEMORY_MB, World

MB = 1024**2


def status_of(hosts: list[Host]) -> str:
    """green when every host is connected; yellow when some are not; gray for none or none connected."""
    if not hosts:
        return "gray"
    connected = sum(1 for h in hosts if h.connection_state == "CONNECTED")
    return "green" if connected == len(hosts) else "gray" if connected == 0 else "yellow"


# -- every entity ---------------------------------------------------------------------


@prop(vim.ManagedEntity, "name")
def _name(w: World, obj: Any) -> str:
    value = moid(obj)
    if isinstance(obj, vim.Folder):
        return "Datacenters" if value == ROOT_ID else FOLDER_KINDS[value[6]]
    if isinstance(obj, vim.Datacenter):
        return w.datacenter_name(value)
    if isinstance(obj, vim.ClusterComputeResource):
        c = w.inventory.cluster(value)
        return c.name if c else value
    if isinstance(obj, vim.ComputeResource):
        h = w.tree.standalone_of(value)
        return h.name if h else value
    if isinstance(obj, vim.ResourcePool):
        return "Resources"
    if isinstance(obj, vim.HostSystem):
        host = w.inventory.host(value)
        return host.name if host else value
    if isinstance(obj, vim.VirtualMachine):
        vm = w.vms.get(value)
        return vm.name if vm else value
    if isinstance(obj, vim.Datastore):
        owner = w.tree.datastore_owner(value)
        if owner and owner[0] == "cluster":
            c = w.inventory.cluster(owner[1])
            return f"{c.name if c else owner[1]}-shared"
        h = w.inventory.host(owner[1]) if owner else None
        return f"datastore1 ({h.name.split('.')[0] if h else value})"
    if isinstance(obj, vim.Network):
        return "VM Network"
    return value


@prop(vim.ManagedEntity, "parent")
def _parent(w: World, obj: Any) -> Any:
    return w.tree.parent(obj)


@prop(vim.ManagedEntity, "overallStatus", "configStatus")
def _status(w: World, obj: Any) -> str:
    if isinstance(obj, vim.HostSystem):
        host = w.inventory.host(moid(obj))
        return status_of([host] if host else [])
    if isinstance(obj, vim.ComputeResource):
        return status_of(w.tree.hosts_of(obj))
    return "green"


@prop(vim.ManagedEntity, "recentTask")
def _recent_tasks(w: World, obj: Any) -> list[Any]:
    from vlcmsim.soap.tasks import recent_tasks_of  # tasks' module registers properties of its own

    return recent_tasks_of(w, obj)


@prop(vim.ManagedEntity, "alarmActionsEnabled")
def _alarm_actions(w: World, obj: Any) -> bool:
    return True


@prop(
    vim.ManagedEntity,
    "declaredAlarmState",
    "triggeredAlarmState",
    "disabledMethod",
    "permission",
    "tag",
    "customValue",
    "availableField",
    "value",
)
def _none_yet(w: World, obj: Any) -> list[Any]:
    return []


# -- folders and datacenters ------------------------------------------------------------


@prop(vim.Folder, "childEntity")
def _child_entity(w: World, obj: Any) -> list[Any]:
    return w.tree.children(obj)


@prop(vim.Folder, "childType")
def _child_type(w: World, obj: Any) -> list[str]:
    value = moid(obj)
    if value == ROOT_ID:
        return ["Folder", "Datacenter"]
    return {
        "h": ["Folder", "ComputeResource"],
        "v": ["Folder", "VirtualMachine", "VirtualApp"],
        "s": ["Folder", "Datastore", "StoragePod"],
        "n": ["Folder", "Network", "DistributedVirtualSwitch"],
    }[value[6]]


def _folder(kind: str) -> Any:
    def folder(w: World, obj: Any) -> Any:
        return refs.folder(moid(obj), kind)

    return folder


for _kind, _folder_name in (("h", "hostFolder"), ("v", "vmFolder"), ("s", "datastoreFolder"), ("n", "networkFolder")):
    prop(vim.Datacenter, _folder_name)(_folder(_kind))


@prop(vim.Datacenter, "datastore")
def _dc_datastores(w: World, obj: Any) -> list[Any]:
    return w.tree.datastores_of_datacenter(moid(obj))


@prop(vim.Datacenter, "network")
def _dc_networks(w: World, obj: Any) -> list[Any]:
    return [refs.network(moid(obj))]


@prop(vim.Datacenter, "configuration")
def _dc_configuration(w: World, obj: Any) -> Any:
    return vim.Datacenter.ConfigInfo(defaultHardwareVersionKey="vmx-21", maximumHardwareVersionKey="vmx-21")


# -- clusters and compute resources ---------------------------------------------------


@prop(vim.ComputeResource, "host")
def _cr_hosts(w: World, obj: Any) -> list[Any]:
    return [refs.host(h.id) for h in w.tree.hosts_of(obj)]


@prop(vim.ComputeResource, "resourcePool")
def _cr_pool(w: World, obj: Any) -> Any:
    return refs.resource_pool(obj)


@prop(vim.ComputeResource, "datastore")
def _cr_datastores(w: World, obj: Any) -> list[Any]:
    if isinstance(obj, vim.ClusterComputeResource):
        hosts = w.tree.hosts_of(obj)
        return [refs.shared_datastore(moid(obj))] + [refs.local_datastore(h.id) for h in hosts]
    return [refs.local_datastore(h.id) for h in w.tree.hosts_of(obj)]


@prop(vim.ComputeResource, "network")
def _cr_network(w: World, obj: Any) -> list[Any]:
    hosts = w.tree.hosts_of(obj)
    return [refs.network(hosts[0].datacenter)] if hosts else []


def _totals(w: World, hosts: list[Host]) -> tuple[int, int, int, int, int]:
    """(total CPU MHz, total memory bytes, effective CPU MHz, effective memory MB, effective hosts)."""
    up = [h for h in hosts if h.connection_state == "CONNECTED" and not h.in_maintenance_mode]
    cpu = HARDWARE.cores * HARDWARE.cpu_mhz
    return (
        cpu * len(hosts),
        HARDWARE.memory_bytes * len(hosts),
        cpu * len(up),
        HARDWARE.memory_bytes // MB * len(up),
        len(up),
    )


@prop(vim.ComputeResource, "summary")
def _cr_summary(w: World, obj: Any) -> Any:
    hosts = w.tree.hosts_of(obj)
    total_cpu, total_mem, eff_cpu, eff_mem, eff_hosts = _totals(w, hosts)
    fields: dict[str, Any] = {
        "totalCpu": total_cpu,
        "totalMemory": total_mem,
        "numCpuCores": HARDWARE.cores * len(hosts),
        "numCpuThreads": HARDWARE.threads * len(hosts),
        "effectiveCpu": eff_cpu,
        "effectiveMemory": eff_mem,
        "numHosts": len(hosts),
        "numEffectiveHosts": eff_hosts,
        "overallStatus": status_of(hosts),
    }
    if not isinstance(obj, vim.ClusterComputeResource):
        return vim.ComputeResource.Summary(**fields)
    running = [v for v in w.tree.vms_of_hosts(hosts) if v.power_state == "poweredOn"]
    cluster = w.inventory.cluster(moid(obj))
    usage = vim.cluster.UsageSummary(
        totalCpuCapacityMhz=total_cpu,
        totalMemCapacityMB=total_mem // MB,
        cpuReservationMhz=0,
        memReservationMB=0,
        cpuDemandMhz=len(running) * 400,
        memDemandMB=len(running) * VM_MEMORY_MB // 2,
        statsGenNumber=0,
        cpuEntitledMhz=len(running) * 400,
        memEntitledMB=len(running) * VM_MEMORY_MB // 2,
    )
    return vim.ClusterComputeResource.Summary(
        **fields,
        currentFailoverLevel=1 if cluster and cluster.ha_enabled else 0,
        numVmotions=0,
        usageSummary=usage,
        currentBalance=0,
        targetBalance=200,
    )


def _cluster_settings(w: World, obj: Any) -> tuple[Any, Any]:
    """(HA's settings, DRS's settings) of a cluster."""
    cluster = w.inventory.cluster(moid(obj))
    ha = bool(cluster and cluster.ha_enabled)
    drs = bool(cluster and cluster.drs_enabled)
    das = vim.cluster.DasConfigInfo(
        enabled=ha,
        vmMonitoring="vmMonitoringDisabled",
        hostMonitoring="enabled",
        vmComponentProtecting="disabled",
        failoverLevel=1,
        admissionControlEnabled=ha,
        admissionControlPolicy=vim.cluster.FailoverLevelAdmissionControlPolicy(failoverLevel=1) if ha else None,
        defaultVmSettings=vim.cluster.DasVmSettings(
            restartPriority="medium",
            isolationResponse="none",
            vmToolsMonitoringSettings=vim.cluster.VmToolsMonitoringSettings(
                enabled=False,
                vmMonitoring="vmMonitoringDisabled",
                clusterSettings=True,
                failureInterval=30,
                minUpTime=120,
                maxFailures=3,
                maxFailureWindow=3600,
            ),
        ),
        hBDatastoreCandidatePolicy="allFeasibleDsWithUserPreference",
    )
    drs_config = vim.cluster.DrsConfigInfo(
        enabled=drs,
        enableVmBehaviorOverrides=True,
        defaultVmBehavior="fullyAutomated",
        vmotionRate=3,
    )
    return das, drs_config


@prop(vim.ClusterComputeResource, "configuration")
def _cluster_configuration(w: World, obj: Any) -> Any:
    das, drs = _cluster_settings(w, obj)
    return vim.cluster.ConfigInfo(dasConfig=das, drsConfig=drs, rule=[], dasVmConfig=[], drsVmConfig=[])


@prop(vim.ClusterComputeResource, "configurationEx")
def _cluster_configuration_ex(w: World, obj: Any) -> Any:
    das, drs_config = _cluster_settings(w, obj)
    return vim.cluster.ConfigInfoEx(
        dasConfig=das,
        drsConfig=drs_config,
        dpmConfigInfo=vim.cluster.DpmConfigInfo(enabled=False, defaultDpmBehavior="automated"),
        vsanConfigInfo=vim.vsan.cluster.ConfigInfo(
            enabled=False, defaultConfig=vim.vsan.cluster.ConfigInfo.HostDefaultInfo(autoClaimStorage=False)
        ),
        rule=[],
        group=[],
        dasVmConfig=[],
        drsVmConfig=[],
    )


# -- resource pools ---------------------------------------------------------------------


@prop(vim.ResourcePool, "owner")
def _pool_owner(w: World, obj: Any) -> Any:
    return w.tree.owner_of_pool(moid(obj))


@prop(vim.ResourcePool, "resourcePool")
def _pool_children(w: World, obj: Any) -> list[Any]:
    return []


@prop(vim.ResourcePool, "vm")
def _pool_vms(w: World, obj: Any) -> list[Any]:
    owner = w.tree.owner_of_pool(moid(obj))
    return [refs.vm(v.id) for v in w.tree.vms_of_hosts(w.tree.hosts_of(owner))]


# -- datastores and networks --------------------------------------------------------------


def _datastore_size(w: World, obj: Any) -> tuple[int, int, bool]:
    """(capacity, free, shared)."""
    hosts = w.tree.hosts_of(obj)
    owner = w.tree.datastore_owner(moid(obj))
    shared = owner is not None and owner[0] == "cluster"
    vms = w.tree.vms_of_hosts(hosts) if shared else []
    capacity = SHARED_DATASTORE_BYTES_PER_HOST * max(1, len(hosts)) if shared else HARDWARE.local_datastore_bytes
    used = len(vms) * VM_DISK_BYTES if shared else 12 * 1024**3
    return capacity, capacity - used, shared


@prop(vim.Datastore, "summary")
def _ds_summary(w: World, obj: Any) -> Any:
    capacity, free, shared = _datastore_size(w, obj)
    return vim.Datastore.Summary(
        datastore=obj,
        name=_name(w, obj),
        url=f"ds:///vmfs/volumes/{w.uuid_of('datastore', moid(obj))}/",
        capacity=capacity,
        freeSpace=free,
        uncommitted=0,
        accessible=True,
        multipleHostAccess=shared,
        type="VMFS",
        maintenanceMode="normal",
    )


@prop(vim.Datastore, "info")
def _ds_info(w: World, obj: Any) -> Any:
    capacity, free, _ = _datastore_size(w, obj)
    volume_uuid = w.uuid_of("datastore", moid(obj))
    return vim.host.VmfsDatastoreInfo(
        name=_name(w, obj),
        url=f"ds:///vmfs/volumes/{volume_uuid}/",
        freeSpace=free,
        maxFileSize=62 * 1024**4,
        maxVirtualDiskCapacity=62 * 1024**4,
        maxMemoryFileSize=62 * 1024**4,
        timestamp=w.started,
        containerId=volume_uuid,
        vmfs=vim.host.VmfsVolume(
            type="VMFS",
            name=_name(w, obj),
            capacity=capacity,
            blockSizeMb=1,
            blockSize=1024,
            maxBlocks=63 * 1024**2,
            majorVersion=6,
            version="6.82",
            uuid=volume_uuid,
            extent=[vim.host.ScsiDisk.Partition(diskName=f"naa.{volume_uuid.replace('-', '')}", partition=1)],
            vmfsUpgradable=False,
            ssd=True,
            local=not _datastore_size(w, obj)[2],
        ),
    )


@prop(vim.Datastore, "host")
def _ds_hosts(w: World, obj: Any) -> list[Any]:
    url = f"/vmfs/volumes/{w.uuid_of('datastore', moid(obj))}"
    return [
        vim.Datastore.HostMount(
            key=refs.host(h.id),
            mountInfo=vim.host.MountInfo(path=url, accessMode="readWrite", mounted=True, accessible=True),
        )
        for h in w.tree.hosts_of(obj)
    ]


@prop(vim.Datastore, "vm")
def _ds_vms(w: World, obj: Any) -> list[Any]:
    owner = w.tree.datastore_owner(moid(obj))
    if owner is None or owner[0] != "cluster":
        return []
    return [refs.vm(v.id) for v in w.tree.vms_of_hosts(w.tree.hosts_of(obj))]


@prop(vim.Datastore, "capability")
def _ds_capability(w: World, obj: Any) -> Any:
    return vim.Datastore.Capability(
        directoryHierarchySupported=True,
        rawDiskMappingsSupported=True,
        perFileThinProvisioningSupported=True,
        storageIORMSupported=True,
        nativeSnapshotSupported=False,
    )


@prop(vim.Network, "summary")
def _net_summary(w: World, obj: Any) -> Any:
    return vim.Network.Summary(network=obj, name="VM Network", accessible=True)


@prop(vim.Network, "host")
def _net_hosts(w: World, obj: Any) -> list[Any]:
    return [refs.host(h.id) for h in w.tree.hosts_of(obj)]


@prop(vim.Network, "vm")
def _net_vms(w: World, obj: Any) -> list[Any]:
    return [refs.vm(v.id) for v in w.tree.vms_of_hosts(w.tree.hosts_of(obj))]


def resource_usage(w: World, cluster: Any) -> Any:
    """ClusterComputeResource.GetResourceUsage: what its hosts' VMs use of what they have."""
    hosts = w.tree.hosts_of(cluster)
    total_cpu, total_mem, *_ = _totals(w, hosts)
    running = [v for v in w.tree.vms_of_hosts(hosts) if v.power_state == "poweredOn"]
    datastores = _cr_datastores(w, cluster)
    capacity = sum(_datastore_size(w, d)[0] for d in datastores)
    free = sum(_datastore_size(w, d)[1] for d in datastores)
    return vim.cluster.ResourceUsageSummary(
        cpuUsedMHz=len(running) * 400,
        cpuCapacityMHz=total_cpu,
        memUsedMB=len(running) * VM_MEMORY_MB // 2,
        memCapacityMB=total_mem // MB,
        storageUsedMB=(capacity - free) // MB,
        storageCapacityMB=capacity // MB,
    )
