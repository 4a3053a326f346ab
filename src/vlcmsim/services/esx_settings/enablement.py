"""Managing with a single image: esx.settings.clusters.enablement.software (a
baseline cluster with a desired document turns image-managed) and
esx.settings.hosts.enablement.software (a standalone host does, its first
commit being the image it runs)."""

from __future__ import annotations

from typing import Any

from vlcmsim.backend import Call
from vlcmsim.ids import LIFECYCLE
from vlcmsim.inventory.model import Host
from vlcmsim.lifecycle import errors
from vlcmsim.lifecycle.notifications import notification, notifications
from vlcmsim.lifecycle.spec import SoftwareSpec
from vlcmsim.services.common import CLUSTER_TYPE, HOST_TYPE, start_task
from vlcmsim.services.esx_settings.common import require_cluster, require_host
from vlcmsim.tasks.manager import TaskContext, TaskRecord
from vlcmsim.vapi.operations import OperationSet, Privilege

ops = OperationSet()

CLUSTER = "com.vmware.esx.settings.clusters.enablement.software"
HOST = "com.vmware.esx.settings.hosts.enablement.software"


@ops.operation(CLUSTER, "get", stored=True)
async def get_cluster_enablement(call: Call, cluster: str) -> dict[str, Any]:
    return {"enabled": require_cluster(call, cluster).image_managed}


@ops.operation(CLUSTER, "enable$task", Privilege.WRITE)
async def enable_cluster(call: Call, cluster: str, spec: dict[str, Any] | None = None) -> str:
    """Turn image management on for a baseline cluster that has a desired document
    (a draft committed while it was baseline-managed)."""
    c = require_cluster(call, cluster)
    if not c.image_managed and call.backend.desired.latest_commit(cluster) is None:
        raise errors.no_document_to_enable(cluster, c.name)
    inventory = call.backend.inventory

    async def work(_: TaskContext) -> None:
        inventory.set_image_managed(cluster)

    return start_task(call, work, (CLUSTER_TYPE, cluster), "Manage the cluster with a single image")


@ops.operation(CLUSTER, "check$task", Privilege.WRITE)
async def check_cluster(call: Call, cluster: str, spec: dict[str, Any] | None = None) -> str:
    """Whether a baseline-managed cluster can be managed with a single image: each check over its
    hosts (software readable, an installed base image, no baseline remediation running, the same
    ESXi version on all of them, and a desired document to enable with)."""
    c = require_cluster(call, cluster)
    skip = set((spec or {}).get("checks_to_skip") or ())
    backend = call.backend
    busy = backend.tasks.running_on((CLUSTER_TYPE, cluster))

    async def work(_: TaskContext) -> dict[str, Any]:
        hosts = backend.inventory.hosts(cluster)
        merged: dict[str, dict[str, list[Any]]] = {}
        for h in hosts:
            for check, found in _host_checks(call, h, skip, busy).items():
                for level, items in found.items():
                    merged.setdefault(check, {}).setdefault(level, []).extend(items)
        out = {
            check: notifications(errors=n["errors"]) if n.get("errors") else notifications(info=n["info"][:1])
            for check, n in merged.items()
        }
        if "VERSION" not in skip:
            versions = {
                (backend.desired.installed(h.id) or SoftwareSpec()).base_image or "unknown": h.name for h in hosts
            }
            msg_id = f"{LIFECYCLE}.enablement.VERSION"
            if len(versions) > 1:
                text = "The hosts run different ESXi versions: " + ", ".join(
                    f"{n} {v}" for v, n in sorted(versions.items())
                )
                out["VERSION"] = notifications(errors=[notification("ERROR", msg_id, text + ".", retriable=False)])
        if "SOFTWARE_SPECIFICATION_EXISTENCE" not in skip and backend.desired.latest_commit(cluster) is None:
            text = f"Cluster {c.name} has no desired document yet: commit a draft before enabling."
            msg_id = f"{LIFECYCLE}.enablement.SOFTWARE_SPECIFICATION_EXISTENCE"
            out["SOFTWARE_SPECIFICATION_EXISTENCE"] = notifications(errors=[notification("ERROR", msg_id, text)])
        return {"notifications": out}

    return start_task(call, work, (CLUSTER_TYPE, cluster), "Check the cluster can be managed with a single image")


def _standalone(call: Call, host: str) -> Host:
    h = require_host(call, host)
    if not h.standalone:
        raise errors.not_standalone_image_host(host, h.cluster)
    return h


@ops.operation(HOST, "get")
async def get_host_enablement(call: Call, host: str) -> dict[str, Any]:
    return {"enabled": _standalone(call, host).image_managed}


# What each check of a standalone host looks at, and what it finds on a simulated host
CHECKS = {
    "SOFTWARE": "The host has no standalone VIBs (VIBs outside any component).",
    "VERSION": "The host runs ESXi 7.0 or later.",
    "STATELESSNESS": "The host is stateful: it keeps its image across reboots.",
    "VUM_REMEDIATION": "No baseline remediation is running on the host.",
    "SOFTWARE_SPECIFICATION_EXISTENCE": "The host's installed image can be read as a software specification.",
    "VSAN_WITNESS_ELIGIBILITY": "The host is not a vSAN witness host.",
}


def _host_checks(call: Call, h: Host, skip: set[str], busy: TaskRecord | None) -> dict[str, Any]:
    """CheckResult.notifications: per check performed, what it found (`busy`:
    the task running on the host when the check was asked for)."""
    installed = call.backend.desired.installed(h.id)
    connected = h.connection_state == "CONNECTED"
    out: dict[str, Any] = {}
    for check, text in CHECKS.items():
        if check in skip:
            continue
        problem: str | None = None
        if not connected and check in ("SOFTWARE", "SOFTWARE_SPECIFICATION_EXISTENCE"):
            problem = f"Host {h.name} is {h.connection_state.lower().replace('_', ' ')}: its software cannot be read."
        elif check == "SOFTWARE_SPECIFICATION_EXISTENCE" and (installed is None or not installed.base_image):
            problem = f"Host {h.name} reports no installed base image."
        elif check == "VUM_REMEDIATION" and busy is not None:
            problem = f"Task {busy.id} ({busy.operation}) is running on host {h.name}."
        msg_id = f"{LIFECYCLE}.enablement.{check}"
        if problem is None:
            out[check] = notifications(info=[notification("INFO", msg_id, text)])
        else:
            out[check] = notifications(errors=[notification("ERROR", msg_id, problem, retriable=True)])
    return out


@ops.operation(HOST, "check$task", Privilege.WRITE)
async def check_host(call: Call, host: str, spec: dict[str, Any] | None = None) -> str:
    """`spec` is optional in the bindings: without one, every check runs."""
    h = _standalone(call, host)
    skip = set((spec or {}).get("checks_to_skip") or ())
    busy = call.backend.tasks.running_on((HOST_TYPE, host))

    async def work(_: TaskContext) -> dict[str, Any]:
        fresh = call.backend.inventory.host(host) or h
        return {"notifications": _host_checks(call, fresh, skip, busy)}

    return start_task(call, work, (HOST_TYPE, host), "Check the host can be managed with a single image")


@ops.operation(HOST, "enable$task", Privilege.WRITE)
async def enable_host(call: Call, host: str, spec: dict[str, Any] | None = None) -> str:
    """Manage a standalone host with an image of its own: unless it has a desired
    document already, the image it runs becomes its first commit. `spec` is optional."""
    h = _standalone(call, host)
    skip = {"SOFTWARE"} if (spec or {}).get("skip_software_check") else set()
    reasons = [
        e["message"]["default_message"]
        for n in _host_checks(call, h, skip, call.backend.tasks.running_on((HOST_TYPE, host))).values()
        for e in n.get("errors", ())
    ]
    if reasons:
        raise errors.cannot_enable_host(host, " ".join(reasons))
    backend, author = call.backend, call.user_name

    async def work(_: TaskContext) -> None:
        if backend.desired.latest_commit(host) is None:
            installed = backend.desired.installed(host) or SoftwareSpec()
            backend.desired.add_commit(host, author, "The image the host runs", installed.copy(), draft=None)
        backend.inventory.update_host(host, image_managed=True)
        backend.scanner.scan(host)

    return start_task(call, work, (HOST_TYPE, host), "Manage the host with a single image")
