"""pyVmomi around a remediation, as automation scripts do it: connect and ask
the time, put a host into maintenance mode and wait for the task, watch every
host's connection state while vLCM's apply (started over REST) reboots them,
find the remediation among the recent tasks and in the event log, and read a
host's metrics."""

from __future__ import annotations

import ssl
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from vlcmsim.testing import ADMIN, Server, start_server

CLUSTER_A = ["host-1", "host-2", "host-3", "host-4"]


def connect(server: Server) -> vim.ServiceInstance:
    context = ssl.create_default_context(cafile=str(server.cert))
    port = int(server.url.rsplit(":", 1)[1])
    return SmartConnect(host="127.0.0.1", port=port, user=ADMIN[0], pwd=ADMIN[1], sslContext=context)


@pytest.fixture
def slow_server(tmp_path: Path) -> Iterator[Server]:
    """Reboots and maintenance mode take a little while (60 s x 0.02): a watcher can see them."""
    srv = start_server(tmp_path / "data", time_scale=0.02)
    yield srv
    srv.stop()


def test_hello_world_and_maintenance_mode_with_wait_for_task(fresh_server: Server) -> None:
    si = connect(fresh_server)
    assert abs(si.CurrentTime() - datetime.now(UTC)) < timedelta(seconds=5)
    host = si.content.searchIndex.FindByDnsName(dnsName="esx-a1.vlcmsim.local", vmSearch=False)
    assert host is not None and len(host.vm) == 4
    image = host.configManager.imageConfigManager  # what Ansible's vmware_host_package_info reads
    assert "esxi" in {p.name for p in image.FetchSoftwarePackages()}
    assert image.HostImageConfigGetProfile().name == "ESXi-8.0.2-22380479-standard"
    cluster = host.parent  # what Ansible's vmware_cluster_info reads of it
    das = cluster.configurationEx.dasConfig
    assert das.enabled and das.defaultVmSettings.vmToolsMonitoringSettings.vmMonitoring == "vmMonitoringDisabled"
    assert cluster.configurationEx.vsanConfigInfo.defaultConfig.autoClaimStorage is False
    usage = cluster.GetResourceUsage()
    assert usage.cpuCapacityMHz == cluster.summary.totalCpu and 0 < usage.storageUsedMB < usage.storageCapacityMB
    task = host.EnterMaintenanceMode_Task(timeout=0)
    assert WaitForTask(task) == "success"
    assert host.runtime.inMaintenanceMode and host.vm == []  # DRS moved its VMs away
    assert task.info.descriptionId == "HostSystem.enterMaintenanceMode" and task.info.entityName == host.name
    assert WaitForTask(host.ExitMaintenanceMode_Task(timeout=0)) == "success"
    assert not host.runtime.inMaintenanceMode
    Disconnect(si)


def test_a_watch_of_every_host_sees_the_reboots_of_an_apply(slow_server: Server) -> None:
    si = connect(slow_server)
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.HostSystem], True)
    pc = content.propertyCollector.CreatePropertyCollector()
    PC = vmodl.query.PropertyCollector
    pc.CreateFilter(
        PC.FilterSpec(
            objectSet=[
                PC.ObjectSpec(
                    obj=view, skip=True, selectSet=[PC.TraversalSpec(type=vim.view.ContainerView, path="view")]
                )
            ],
            propSet=[PC.PropertySpec(type=vim.HostSystem, pathSet=["runtime.connectionState", "runtime.bootTime"])],
        ),
        partialUpdates=True,
    )
    states: dict[str, list[str]] = defaultdict(list)
    boots: dict[str, list[datetime]] = defaultdict(list)

    def read(update: vmodl.query.PropertyCollector.UpdateSet) -> None:
        for filter_update in update.filterSet:
            for object_update in filter_update.objectSet:
                for change in object_update.changeSet:
                    target = states if change.name == "runtime.connectionState" else boots
                    target[object_update.obj._moId].append(change.val)

    first = pc.WaitForUpdatesEx("", PC.WaitOptions(maxWaitSeconds=5))
    read(first)
    version = first.version
    rest = slow_server.client()
    task = rest.post(
        "/api/esx/settings/clusters/domain-c1/software?action=apply&vmw-task=true", json={"accept_eula": True}
    ).json()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        update = pc.WaitForUpdatesEx(version, PC.WaitOptions(maxWaitSeconds=1))
        if update is not None:
            read(update)
            version = update.version
        elif rest.get(f"/api/cis/tasks/{task}").json()["status"] in ("SUCCEEDED", "FAILED"):
            break
    assert rest.get(f"/api/cis/tasks/{task}").json()["status"] == "SUCCEEDED"
    for host in CLUSTER_A:  # each rebooted: not responding, then connected, with a new boot time
        seen = states[host]
        assert seen[0] == "connected" and "notResponding" in seen and seen[-1] == "connected", (host, seen)
        assert len(boots[host]) == 2 and boots[host][1] > boots[host][0]
    assert states["host-5"] == ["connected"]  # Cluster-B was not remediated

    # the remediation is among the recent tasks, as vCenter lists vLCM's, and in the event log
    infos = [t.info for t in content.taskManager.recentTask]
    apply = [i for i in infos if i.key == task]
    assert apply and apply[0].state == "success" and apply[0].entity._moId == "domain-c1"
    assert apply[0].descriptionId == "com.vmware.esx.settings.clusters.software.apply"
    cluster = apply[0].entity
    events = content.eventManager.QueryEvents(
        vim.event.EventFilterSpec(entity=vim.event.EventFilterSpec.ByEntity(entity=cluster, recursion="all"))
    )
    messages = [e.fullFormattedMessage for e in events]
    assert "Remediation of Cluster-A started" in messages and "Remediation of Cluster-A succeeded" in messages
    assert any(m.startswith("Shut down of esx-a1.vlcmsim.local") for m in messages)
    assert any(isinstance(e, vim.event.TaskEvent) and e.info.key == task for e in events)
    Disconnect(si)


def test_a_hosts_metrics(fresh_server: Server) -> None:
    si = connect(fresh_server)
    perf = si.content.perfManager
    host = si.content.searchIndex.FindByDnsName(dnsName="esx-a1.vlcmsim.local", vmSearch=False)
    names = {c.key: f"{c.groupInfo.key}.{c.nameInfo.key}.{c.rollupType}" for c in perf.perfCounter}
    assert perf.QueryPerfProviderSummary(host).refreshRate == 20
    available = {names[m.counterId] for m in perf.QueryAvailablePerfMetric(host, intervalId=20)}
    assert {"cpu.usagemhz.average", "mem.usage.average", "sys.uptime.latest"} <= available
    key = next(k for k, n in names.items() if n == "cpu.usagemhz.average")
    spec = vim.PerformanceManager.QuerySpec(
        entity=host, metricId=[vim.PerformanceManager.MetricId(counterId=key, instance="")], maxSample=3
    )
    (metric,) = perf.QueryPerf([spec])
    assert len(metric.sampleInfo) == 3 and metric.value[0].value[-1] == host.summary.quickStats.overallCpuUsage
    Disconnect(si)
