"""Checks before remediation and the reports of a cluster or standalone host:
Software.check$task, reports.apply_impact, reports.last_check_result,
reports.last_apply_result; a cluster's hardware compatibility."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vlcmsim.backend import Backend, Call
from vlcmsim.ids import LIFECYCLE
from vlcmsim.inventory.model import Host, is_host
from vlcmsim.lifecycle import errors, hcl
from vlcmsim.lifecycle.checks import World, check_result, host_check_result
from vlcmsim.lifecycle.desired import Commit
from vlcmsim.lifecycle.impact import cluster_impact, standalone_impact
from vlcmsim.lifecycle.spec import SoftwareSpec
from vlcmsim.services.common import start_task
from vlcmsim.services.esx_settings.common import for_owners, require_desired, require_idle, require_image_managed
from vlcmsim.services.esx_settings.remediation import selected_hosts
from vlcmsim.tasks.manager import TaskContext
from vlcmsim.vapi.errors import VapiError, invalid_argument, not_found
from vlcmsim.vapi.operations import OperationSet, Privilege

ops = OperationSet()

SOFTWARE = "software"
REPORTS = "software.reports"


def world(backend: Backend, owner: str) -> World:
    def free(host: str) -> int:
        return backend.knobs.get(host).staging_capacity_bytes - backend.staging.used_bytes(host)

    return World(
        catalog=backend.depots.catalog(),
        installed=lambda host: backend.desired.installed(host) or SoftwareSpec(),
        staged=backend.staging.staged,
        free_staging_bytes=free,
        has_payload=lambda sha: backend.payloads.has(sha) or backend.syncer.can_fetch(sha),
        vm_count=lambda host: backend.knobs.get(host).vm_count,
        power_off_vms=backend.policies.effective(owner, 1).power_off_vms,
    )


@for_owners(ops, SOFTWARE, "check$task", Privilege.WRITE)
async def check(call: Call, cluster: str, spec: dict[str, Any]) -> str:
    hosts = selected_hosts(call, cluster, spec)
    require_idle(call, cluster)
    backend = call.backend

    def compute(commit: Commit, members: list[Host]) -> dict[str, Any]:
        if is_host(cluster):
            return host_check_result(members[0], commit, world(backend, cluster))
        chosen = {h.id for h in hosts}
        return check_result(cluster, members, [h for h in members if h.id in chosen], commit, world(backend, cluster))

    kind = "host" if is_host(cluster) else "cluster"
    return _report_task(call, cluster, "check", compute, f"Check the {kind} before remediation", exclusive=True)


def _report_task(
    call: Call,
    cluster: str,
    kind: str,
    compute: Callable[[Commit, list[Host]], dict[str, Any]],
    description: str,
    exclusive: bool = False,
) -> str:
    """A task that checks the cluster's hosts against its latest commit and keeps the result as a report."""
    backend = call.backend
    owner = require_image_managed(call, cluster)

    async def work(ctx: TaskContext) -> dict[str, Any]:
        commit = backend.desired.latest_commit(cluster)
        members = backend.inventory.members(cluster)
        if commit is None or not members:
            raise errors.no_desired_state(cluster)
        result = compute(commit, members)
        backend.reports.put(cluster, kind, result)
        return result

    return start_task(call, work, owner.target, description, exclusive=exclusive)


@for_owners(ops, f"{REPORTS}.apply_impact", "get")
async def get_apply_impact(call: Call, cluster: str, spec: dict[str, Any] | None = None) -> dict[str, Any]:
    commit = require_desired(call, cluster)
    hosts = selected_hosts(call, cluster, spec or {})
    per_host = {h.id: call.backend.scanner.host(h, commit) for h in hosts}
    if is_host(cluster):
        return standalone_impact(hosts[0], per_host[cluster], commit.id)
    return cluster_impact(hosts, per_host, commit.id)


def _last(call: Call, cluster: str, kind: str) -> dict[str, Any]:
    require_desired(call, cluster)
    result = call.backend.reports.get(cluster, kind)
    if result is None:
        raise errors.no_report(cluster, kind)
    return result


@for_owners(ops, f"{REPORTS}.last_check_result", "get")
async def get_last_check_result(call: Call, cluster: str) -> dict[str, Any]:
    return _last(call, cluster, "check")


@for_owners(ops, f"{REPORTS}.last_apply_result", "get")
async def get_last_apply_result(call: Call, cluster: str) -> dict[str, Any]:
    return _last(call, cluster, "apply")


HCL = "com.vmware.esx.settings.clusters.software.reports.hardware_compatibility"


@ops.operation(HCL, "check$task", Privilege.WRITE)
async def check_hardware_compatibility(call: Call, cluster: str) -> str:
    require_desired(call, cluster)
    depots = call.backend.depots

    def compute(commit: Commit, members: list[Host]) -> dict[str, Any]:
        return hcl.check_result(commit, members, depots.catalog(), _overrides(call, cluster))

    return _report_task(call, cluster, "hcl", compute, "Check hardware compatibility")


@ops.operation(HCL, "get")
async def get_hardware_compatibility(call: Call, cluster: str) -> dict[str, Any]:
    return hcl.summary(_last(call, cluster, "hcl"))


@ops.operation(f"{HCL}.details", "get")
async def get_hardware_compatibility_details(call: Call, cluster: str) -> dict[str, Any]:
    return _last(call, cluster, "hcl")


# -- the user's choices the hardware compatibility check applies -------------------------

OVERRIDES = "hcl_overrides"  # the report kind the choices are kept under


def _overrides(call: Call, cluster: str) -> hcl.Overrides:
    return hcl.Overrides.from_json(call.backend.reports.get(cluster, OVERRIDES))


def _keep_overrides(call: Call, cluster: str, overrides: hcl.Overrides, description: str) -> str:
    """A task that keeps the choices and, when the cluster has a compatibility report, checks again."""
    backend = call.backend
    owner = require_image_managed(call, cluster)

    async def work(ctx: TaskContext) -> None:
        backend.reports.put(cluster, OVERRIDES, overrides.to_json())
        commit = backend.desired.latest_commit(cluster)
        if commit is not None and backend.reports.get(cluster, "hcl") is not None:
            members = backend.inventory.members(cluster)
            backend.reports.put(cluster, "hcl", hcl.check_result(commit, members, backend.depots.catalog(), overrides))

    return start_task(call, work, owner.target, description)


def _choose(choices: dict[str, str], device: str, value: str | None) -> None:
    """Keep the user's choice for a device; none: forget it."""
    if value is None:
        choices.pop(device, None)
    else:
        choices[device] = value


def _no_device(key: str) -> VapiError:
    return not_found(f"{LIFECYCLE}.hcl.DeviceNotFound", f"No device of the cluster's hosts is {key}.", key)


def _no_product(product: str, key: str) -> VapiError:
    return invalid_argument(
        f"{LIFECYCLE}.hcl.ProductNotFound", f"Guide entry {product} does not fit device {key}.", product
    )


@ops.operation(f"{HCL}.pci_device_overrides.vcg_entries", "update$task", Privilege.WRITE)
async def select_pci_entries(call: Call, cluster: str, spec: dict[str, Any]) -> str:
    require_desired(call, cluster)
    overrides = _overrides(call, cluster)
    devices = {dev.key: dev for dev in hcl.DEVICES}
    for selection in spec["product_selections"]:
        d = selection["target"]["device"]
        key = f"{d['vid']}:{d['did']}:{d['svid']}:{d['ssid']}"
        dev = devices.get(key)
        if dev is None:
            raise _no_device(f"PCI {key}")
        product = selection.get("vcg_product")
        if product is not None and product not in dev.products():
            raise _no_product(product, key)
        _choose(overrides.pci, key, product)  # none: back to the device's default entry
    return _keep_overrides(call, cluster, overrides, "Select compatibility guide entries of PCI devices")


def _storage_device(key: dict[str, Any]) -> hcl.StorageDevice:
    for dev in hcl.STORAGE:
        if (dev.vendor, dev.model, dev.capacity) == (key["vendor"], key["model"], key["capacity"]):
            return dev
    raise _no_device(f"storage device {key['vendor']} {key['model']} of {key['capacity']} bytes")


@ops.operation(f"{HCL}.storage_device_overrides.vcg_entries", "update$task", Privilege.WRITE)
async def select_storage_entries(call: Call, cluster: str, update_spec: dict[str, Any]) -> str:
    require_desired(call, cluster)
    overrides = _overrides(call, cluster)
    for selection in update_spec["product_selections"]:
        dev = _storage_device(selection["key"])
        product = selection.get("vcg_product")
        if product is not None and product not in {p.id for p in dev.products}:
            raise _no_product(product, dev.model)
        _choose(overrides.storage, dev.key, product)
    return _keep_overrides(call, cluster, overrides, "Select compatibility guide entries of storage devices")


@ops.operation(f"{HCL}.storage_device_overrides.compliance_status", "update$task", Privilege.WRITE)
async def reclassify_storage(call: Call, cluster: str, update_spec: dict[str, Any]) -> str:
    require_desired(call, cluster)
    overrides = _overrides(call, cluster)
    for change in update_spec["device_reclassifications"]:
        dev = _storage_device(change["key"])
        _choose(overrides.reclassified, dev.key, change.get("override"))  # none: as the guide says again
    return _keep_overrides(call, cluster, overrides, "Reclassify storage devices")
