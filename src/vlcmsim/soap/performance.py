"""PerformanceManager: the counters vCenter keeps for hosts, VMs and clusters
(the few a remediation dashboard watches: CPU, memory, network, disk, uptime),
which of them an entity has, and their samples — computed from the same state
`summary.quickStats` shows (the VMs a host runs, its boot time), so that a
host that enters maintenance mode or reboots shows it in its metrics too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from vlcmsim.soap.properties import prop
from vlcmsim.soap.vim import moid, vim, vmodl
from vlcmsim.soap.world import HARDWARE, VM_CPUS, VM_MEMORY_MB, World
from vlcmsim.vapi.codec import now

if TYPE_CHECKING:
    from vlcmsim.soap.endpoint import Context
    from vlcmsim.soap.wire import Call

REALTIME_SECONDS = 20  # hosts and VMs sample every 20 s
MAX_SAMPLES = 180  # an hour of real-time samples, as vCenter keeps
DEFAULT_SAMPLES = 15


@dataclass(frozen=True)
class Counter:
    key: int
    group: str
    name: str
    rollup: str
    unit: str
    stats: str
    label: str


COUNTERS = [
    Counter(2, "cpu", "usage", "average", "percent", "rate", "Usage"),
    Counter(6, "cpu", "usagemhz", "average", "megaHertz", "rate", "Usage in MHz"),
    Counter(24, "mem", "usage", "average", "percent", "absolute", "Usage"),
    Counter(98, "mem", "consumed", "average", "kiloBytes", "absolute", "Consumed"),
    Counter(125, "disk", "usage", "average", "kiloBytesPerSecond", "rate", "Usage"),
    Counter(143, "net", "usage", "average", "kiloBytesPerSecond", "rate", "Usage"),
    Counter(155, "sys", "uptime", "latest", "second", "absolute", "Uptime"),
]
BY_KEY = {c.key: c for c in COUNTERS}
GROUPS = {"cpu": "CPU", "mem": "Memory", "disk": "Disk", "net": "Network", "sys": "System"}
UNITS = {
    "percent": "%",
    "megaHertz": "MHz",
    "kiloBytes": "KB",
    "kiloBytesPerSecond": "KBps",
    "second": "s",
}
INTERVALS = [  # (key, sampling period s, name, length s)
    (1, 300, "Past day", 86400),
    (2, 1800, "Past week", 604800),
    (3, 7200, "Past month", 2592000),
    (4, 86400, "Past year", 31536000),
]


def _description(key: str, label: str) -> Any:
    return vim.ElementDescription(key=key, label=label, summary=label)


def counter_info(c: Counter) -> Any:
    return vim.PerformanceManager.CounterInfo(
        key=c.key,
        nameInfo=_description(c.name, c.label),
        groupInfo=_description(c.group, GROUPS[c.group]),
        unitInfo=_description(c.unit, UNITS[c.unit]),
        rollupType=c.rollup,
        statsType=c.stats,
        level=1,
        perDeviceLevel=3,
    )


def _counters_of(entity: Any) -> list[Counter]:
    if isinstance(entity, vim.HostSystem | vim.VirtualMachine):
        return COUNTERS
    if isinstance(entity, vim.ClusterComputeResource):
        return [BY_KEY[6], BY_KEY[24], BY_KEY[98]]
    return []


def _realtime(entity: Any) -> bool:
    return isinstance(entity, vim.HostSystem | vim.VirtualMachine)


@prop(vim.PerformanceManager, "perfCounter")
def _perf_counter(w: World, obj: Any) -> list[Any]:
    return [counter_info(c) for c in COUNTERS]


@prop(vim.PerformanceManager, "historicalInterval")
def _intervals(w: World, obj: Any) -> list[Any]:
    return [
        vim.HistoricalInterval(key=k, samplingPeriod=p, name=n, length=length, level=1, enabled=True)
        for k, p, n, length in INTERVALS
    ]


@prop(vim.PerformanceManager, "description")
def _perf_description(w: World, obj: Any) -> Any:
    return vim.PerformanceDescription(
        counterType=[_description(k, k.capitalize()) for k in ("absolute", "delta", "rate")],
        statsType=[_description(k, k.capitalize()) for k in ("average", "latest", "maximum", "minimum", "summation")],
    )


# -- values: from the state quickStats shows --------------------------------------------


def _value(w: World, entity: Any, counter: Counter) -> int:
    """One sample of a counter (vim25's units: a percent in hundredths)."""
    if isinstance(entity, vim.HostSystem):
        host = w.inventory.host(moid(entity))
        if host is None or host.connection_state != "CONNECTED":
            return -1
        running = sum(1 for v in w.vms.on_host(host.id) if v.power_state == "poweredOn")
        mhz = 300 + 400 * running
        mem_mb = 6144 + running * VM_MEMORY_MB // 2
        values = {
            2: mhz * 10000 // (HARDWARE.cpu_mhz * HARDWARE.cores),
            6: mhz,
            24: mem_mb * 10000 // (HARDWARE.memory_bytes // 1024**2),
            98: mem_mb * 1024,
            125: 120 + 850 * running,
            143: 40 + 300 * running,
            155: int((now() - w.boot_time(host)).total_seconds()),
        }
        return values[counter.key]
    if isinstance(entity, vim.VirtualMachine):
        vm = w.vms.get(moid(entity))
        if vm is None or vm.power_state != "poweredOn":
            return -1
        values = {2: 400 * 10000 // (HARDWARE.cpu_mhz * VM_CPUS), 6: 400, 24: 5000, 98: VM_MEMORY_MB * 512}
        values.update({125: 850, 143: 300, 155: 3600})
        return values[counter.key]
    if isinstance(entity, vim.ClusterComputeResource):
        hosts = [h for h in w.inventory.hosts() if h.cluster == moid(entity)]
        return sum(max(_value(w, vim.HostSystem(h.id), counter), 0) for h in hosts)
    return -1


# -- the methods -----------------------------------------------------------------------


def _entity(ctx: Context, call: Call) -> Any:
    entity = call.args.get("entity")
    if entity is None or not ctx.exists(entity):
        raise vmodl.fault.ManagedObjectNotFound(msg="The entity does not exist.", obj=entity)
    return entity


def query_provider_summary(ctx: Context, call: Call) -> Any:
    entity = _entity(ctx, call)
    realtime = _realtime(entity)
    return vim.PerformanceManager.ProviderSummary(
        entity=entity,
        currentSupported=realtime,
        summarySupported=True,
        refreshRate=REALTIME_SECONDS if realtime else -1,
    )


def query_available(ctx: Context, call: Call) -> Any:
    entity = _entity(ctx, call)
    interval = call.args.get("intervalId")
    if interval is not None and interval != REALTIME_SECONDS and interval not in {p for _, p, _, _ in INTERVALS}:
        raise vmodl.fault.InvalidArgument(msg=f"No interval {interval}.", invalidProperty="intervalId")
    if interval == REALTIME_SECONDS and not _realtime(entity):
        return []
    return [vim.PerformanceManager.MetricId(counterId=c.key, instance="") for c in _counters_of(entity)]


def query_counter(ctx: Context, call: Call) -> Any:
    keys = list(call.args.get("counterId") or [])
    unknown = [k for k in keys if k not in BY_KEY]
    if unknown:
        raise vmodl.fault.InvalidArgument(msg=f"No counter {unknown[0]}.", invalidProperty="counterId")
    return [counter_info(BY_KEY[k]) for k in keys]


def query_perf(ctx: Context, call: Call) -> Any:
    out = []
    for spec in call.args.get("querySpec") or []:
        if spec.entity is None or not ctx.exists(spec.entity):
            raise vmodl.fault.ManagedObjectNotFound(msg="The entity does not exist.", obj=spec.entity)
        available = {c.key for c in _counters_of(spec.entity)}
        wanted = [m.counterId for m in spec.metricId or []] or sorted(available)
        counters = [BY_KEY[k] for k in wanted if k in available]
        period = spec.intervalId or REALTIME_SECONDS
        count = min(max(spec.maxSample or DEFAULT_SAMPLES, 1), MAX_SAMPLES)
        end = spec.endTime or now()
        times = [end - timedelta(seconds=period * i) for i in reversed(range(count))]
        sample_info = [vim.PerformanceManager.SampleInfo(timestamp=t, interval=period) for t in times]
        if spec.format == "csv":
            values: list[Any] = [
                vim.PerformanceManager.MetricSeriesCSV(
                    id=vim.PerformanceManager.MetricId(counterId=c.key, instance=""),
                    value=",".join([str(_value(ctx.world, spec.entity, c))] * count),
                )
                for c in counters
            ]
            out.append(
                vim.PerformanceManager.EntityMetricCSV(
                    entity=spec.entity,
                    sampleInfoCSV=",".join(f"{period},{t.strftime('%Y-%m-%dT%H:%M:%SZ')}" for t in times),
                    value=values,
                )
            )
            continue
        series = [
            vim.PerformanceManager.IntSeries(
                id=vim.PerformanceManager.MetricId(counterId=c.key, instance=""),
                value=[_value(ctx.world, spec.entity, c)] * count,
            )
            for c in counters
        ]
        out.append(vim.PerformanceManager.EntityMetric(entity=spec.entity, sampleInfo=sample_info, value=series))
    return out


METHODS = {
    "QueryPerfProviderSummary": query_provider_summary,
    "QueryAvailablePerfMetric": query_available,
    "QueryPerfCounter": query_counter,
    "QueryPerf": query_perf,
}
