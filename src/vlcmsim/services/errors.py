"""The errors of the vcenter and cis services, built from domain arguments."""

from __future__ import annotations

from vlcmsim.ids import VLCMSIM
from vlcmsim.vapi.errors import VapiError, not_allowed, not_found, unsupported


def datacenter_not_found(datacenter: str) -> VapiError:
    return not_found("com.vmware.vcenter.datacenter.NotFound", f"Datacenter {datacenter} not found.", datacenter)


def cluster_not_found(cluster: str) -> VapiError:
    return not_found("com.vmware.vcenter.cluster.NotFound", f"Cluster {cluster} not found.", cluster)


def host_not_found(host: str) -> VapiError:
    return not_found("com.vmware.vcenter.host.NotFound", f"Host {host} not found.", host)


def task_not_found(task: str) -> VapiError:
    return not_found("com.vmware.vapi.std.errors.not_found", f"Task {task} not found.", task)


def task_not_running(task: str) -> VapiError:
    return not_allowed(f"{VLCMSIM}.tasks.NotRunning", f"Task {task} is not running.", task)


def task_not_cancelable(task: str) -> VapiError:
    return unsupported(f"{VLCMSIM}.tasks.NotCancelable", f"Task {task} cannot be canceled.", task)
