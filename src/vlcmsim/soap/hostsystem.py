"""HostSystem's properties: what a host runs (its installed image's base image
is its product version and build), its state (connection, power, maintenance
mode, boot time — the same the vAPI side and vLCM's runs change), its
simulated hardware and load, its VMs, datastores, network, and its config
managers (the image config manager lists the VIBs of its installed image)."""

from __future__ import annotations

from typing import Any

from vlcmsim.inventory.model import Host
from vlcmsim.soap.entities import status_of
from vlcmsim.soap.properties import prop
from vlcmsim.soap.tree import refs
from vlcmsim.soap.vim import moid, vim
from vlcmsim.soap.world import HARDWARE, VM_MEMORY_MB, World
from vlcmsim.vapi.codec import now

CONNECTION_STATES = {"CONNECTED": "connected", "DISCONNECTED": "disconnected", "NOT_RESPONDING": "notResponding"}
POWER_STATES = {"POWERED_ON": "poweredOn", "POWERED_OFF": "poweredOff", "STANDBY": "standBy"}
VCENTER_IP = "127.0.0.1"


def _host(w: World, obj: Any) -> Host:
    host = w.inventory.host(moid(obj))
    if host is None:
        raise LookupError(moid(obj))
    return host


def product(w: World, host: str) -> Any:
    """What an ESXi host says it is: the base image it runs ("8.0.2-0.0.22380479")."""
    full = w.base_image(host)
    version = full.split("-")[0]
    build = full.rsplit(".", 1)[-1]
    return vim.AboutInfo(
        name="VMware ESXi",
        fullName=f"VMware ESXi {version} build-{build}",
        vendor="VMware, Inc.",
        version=version,
        build=build,
        localeVersion="INTL",
        localeBuild="000",
        osType="vmnix-x86",
        productLineId="embeddedEsx",
        apiType="HostAgent",
        apiVersion=f"{version}.0",
        licenseProductName="VMware ESX Server",
        licenseProductVersion=version.split(".")[0] + ".0",
    )


def runtime(w: World, host: Host) -> Any:
    return vim.host.RuntimeInfo(
        connectionState=CONNECTION_STATES[host.connection_state],
        powerState=POWER_STATES.get(host.power_state, "unknown"),
        inMaintenanceMode=host.in_maintenance_mode,
        inQuarantineMode=False,
        standbyMode="none",
        bootTime=w.boot_time(host),
        dasHostState=vim.cluster.DasFdmHostState(state="connectedToMaster" if host.cluster else "fdmUnreachable"),
    )


def hardware_summary(w: World, host: Host) -> Any:
    return vim.host.Summary.HardwareSummary(
        vendor=host.vendor,
        model=host.model,
        uuid=host.uuid,
        memorySize=HARDWARE.memory_bytes,
        cpuModel=HARDWARE.cpu_model,
        cpuMhz=HARDWARE.cpu_mhz,
        numCpuPkgs=HARDWARE.packages,
        numCpuCores=HARDWARE.cores,
        numCpuThreads=HARDWARE.threads,
        numNics=HARDWARE.nics,
        numHBAs=HARDWARE.hbas,
    )


def quick_stats(w: World, host: Host) -> Any:
    """A running VM costs 400 MHz and half its memory; an idle host a little of both."""
    if host.connection_state != "CONNECTED":
        return vim.host.Summary.QuickStats()
    running = sum(1 for v in w.vms.on_host(host.id) if v.power_state == "poweredOn")
    return vim.host.Summary.QuickStats(
        overallCpuUsage=300 + 400 * running,
        overallMemoryUsage=6144 + running * VM_MEMORY_MB // 2,
        distributedCpuFairness=1000,
        distributedMemoryFairness=1000,
        uptime=int((now() - w.boot_time(host)).total_seconds()),
    )


@prop(vim.HostSystem, "runtime")
def _runtime(w: World, obj: Any) -> Any:
    return runtime(w, _host(w, obj))


@prop(vim.HostSystem, "summary")
def _summary(w: World, obj: Any) -> Any:
    host = _host(w, obj)
    return vim.host.Summary(
        host=obj,
        hardware=hardware_summary(w, host),
        runtime=runtime(w, host),
        config=vim.host.Summary.ConfigSummary(
            name=host.name,
            port=443,
            product=product(w, host.id),
            vmotionEnabled=True,
            faultToleranceEnabled=False,
        ),
        quickStats=quick_stats(w, host),
        overallStatus=status_of([host]),
        rebootRequired=False,
        managementServerIp=VCENTER_IP,
    )


@prop(vim.HostSystem, "hardware")
def _hardware(w: World, obj: Any) -> Any:
    host = _host(w, obj)
    hz = HARDWARE.cpu_mhz * 1_000_000
    per_package = HARDWARE.threads // HARDWARE.packages
    return vim.host.HardwareInfo(
        systemInfo=vim.host.SystemInfo(
            vendor=host.vendor,
            model=host.model,
            uuid=host.uuid,
            serialNumber=w.uuid_of("serial", host.id)[:7].upper(),
        ),
        cpuInfo=vim.host.CpuInfo(
            numCpuPackages=HARDWARE.packages, numCpuCores=HARDWARE.cores, numCpuThreads=HARDWARE.threads, hz=hz
        ),
        cpuPkg=[
            vim.host.CpuPackage(
                index=i,
                vendor="intel",
                hz=hz,
                busHz=100_000_000,
                description=HARDWARE.cpu_model,
                threadId=list(range(i * per_package, (i + 1) * per_package)),
            )
            for i in range(HARDWARE.packages)
        ],
        memorySize=HARDWARE.memory_bytes,
        biosInfo=vim.host.BIOSInfo(biosVersion="2.2.5", vendor=host.vendor),
    )


@prop(vim.HostSystem, "config")
def _config(w: World, obj: Any) -> Any:
    host = _host(w, obj)
    return vim.host.ConfigInfo(
        host=obj,
        product=product(w, host.id),
        hyperThread=vim.host.CpuSchedulerSystem.HyperThreadScheduleInfo(available=True, active=True, config=True),
        adminDisabled=False,
        network=vim.host.NetworkInfo(),
    )


@prop(vim.HostSystem, "capability")
def _capability(w: World, obj: Any) -> Any:
    return vim.host.Capability(
        maintenanceModeSupported=True,
        rebootSupported=True,
        shutdownSupported=True,
        vmotionSupported=True,
        recursiveResourcePoolsSupported=True,
        cpuMemoryResourceConfigurationSupported=True,
    )


@prop(vim.HostSystem, "vm")
def _vms(w: World, obj: Any) -> list[Any]:
    return [refs.vm(v.id) for v in w.vms.on_host(moid(obj))]


@prop(vim.HostSystem, "datastore")
def _datastores(w: World, obj: Any) -> list[Any]:
    return w.tree.datastores_of_host(_host(w, obj))


@prop(vim.HostSystem, "network")
def _network(w: World, obj: Any) -> list[Any]:
    return [refs.network(_host(w, obj).datacenter)]


@prop(vim.HostSystem, "configManager")
def _config_manager(w: World, obj: Any) -> Any:
    value = moid(obj)
    return vim.host.ConfigManager(
        imageConfigManager=vim.host.ImageConfigManager(f"imageConfigManager-{value}"),
        advancedOption=vim.option.OptionManager(f"EsxHostAdvSettings-{value}"),
    )


def installed_vibs(w: World, host: str) -> list[tuple[Any, Any]]:
    """(component, VIB) of every VIB of the host's installed image."""
    from vlcmsim.lifecycle.spec import image_vibs

    spec = w.installed(host)
    return image_vibs(spec, w.catalog()) if spec is not None else []


def software_packages(w: World, host: str) -> list[Any]:
    """The VIBs of the host's installed image (HostImageConfigManager.fetchSoftwarePackages)."""
    return [
        vim.host.SoftwarePackage(
            name=vib.name,
            version=vib.version,
            type=vib.vib_type,
            vendor=vib.vendor,
            acceptanceLevel=vib.acceptance_level,
            summary=vib.summary or vib.name,
            description=vib.summary or vib.name,
            referenceURL=[],
            creationDate=component.release_date,
            depends=[],
            conflicts=[],
            replaces=[],
            provides=[],
            maintenanceModeRequired=True,
            hardwarePlatformsRequired=[],
            capability=vim.host.SoftwarePackage.Capability(
                liveInstallAllowed=False, liveRemoveAllowed=False, statelessReady=True, overlay=False
            ),
            tag=[],
            payload=[],
        )
        for component, vib in installed_vibs(w, host)
    ]


ADVANCED_OPTIONS = {
    "Config.HostAgent.log.level": "info",
    "Net.TcpipHeapSize": 0,
    "Syslog.global.logHost": "",
    "UserVars.SuppressShellWarning": 0,
    "Misc.HostName": "",
}


def advanced_options(w: World, host: str, name: str | None) -> list[Any]:
    h = w.inventory.host(host)
    values = dict(ADVANCED_OPTIONS, **{"Misc.HostName": h.name.split(".")[0] if h else host})
    if name is not None:
        prefix = name.rstrip(".")
        if name.endswith("."):
            values = {k: v for k, v in values.items() if k.startswith(prefix + ".")}
        elif name in values:
            values = {name: values[name]}
        else:
            raise vim.fault.InvalidName(msg=f"No option {name}.", name=name)
    return [vim.option.OptionValue(key=k, value=v) for k, v in values.items()]


@prop(vim.option.OptionManager, "setting")
def _settings(w: World, obj: Any) -> list[Any]:
    return advanced_options(w, "host-" + moid(obj).rsplit("-host-", 1)[1], None)
