"""Compliance of hosts against their cluster's latest commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vlcmsim.depot.catalog import Catalog
from vlcmsim.inventory.model import Host
from vlcmsim.lifecycle.spec import SoftwareSpec, effective_components
from vlcmsim.lifecycle.versions import compare
from vlcmsim.vapi.codec import now

_RANK = {"COMPLIANT": 0, "NON_COMPLIANT": 1, "INCOMPATIBLE": 2, "UNAVAILABLE": 3}
_IMPACT_RANK = {"NO_IMPACT": 0, "MAINTENANCE_MODE_REQUIRED": 1, "REBOOT_REQUIRED": 2}


def worst(statuses: list[str]) -> str:
    return max(statuses, key=_RANK.__getitem__, default="COMPLIANT")


def _versioned(current: str | None, target: str | None) -> str:
    if current == target:
        return "COMPLIANT"
    if current is None or target is None:
        return "NON_COMPLIANT"
    return "INCOMPATIBLE" if compare(current, target) > 0 else "NON_COMPLIANT"


def base_image_info(version: str | None, catalog: Catalog) -> dict[str, Any]:
    info: dict[str, Any] = {"version": version or ""}
    base = catalog.base_images.get(version or "")
    if base is not None:
        info["details"] = {
            "display_name": base.display_name,
            "display_version": base.display_version,
            "release_date": base.release_date,
        }
    return info


def add_on_info(add_on: tuple[str, str] | None, catalog: Catalog) -> dict[str, Any] | None:
    if add_on is None:
        return None
    info: dict[str, Any] = {"name": add_on[0], "version": add_on[1]}
    a = catalog.add_ons.get(add_on)
    if a is not None:
        info["details"] = {"display_name": a.display_name, "vendor": a.vendor, "display_version": a.display_version}
    return info


def component_info(name: str, version: str | None, catalog: Catalog) -> dict[str, Any]:
    info: dict[str, Any] = {}
    if version is not None:
        info["version"] = version
        c = catalog.components.get((name, version))
        if c is not None:
            info["details"] = {"display_name": c.display_name, "vendor": c.vendor, "display_version": c.display_version}
    return info


def host_compliance(
    host: Host,
    installed: SoftwareSpec,
    desired: SoftwareSpec,
    commit: int,
    catalog: Catalog,
    staged: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """The HostCompliance value of `host`. `staged` tells whether the host holds
    every payload of the desired image (asked only when it matters)."""
    empty: dict[str, Any] = {}
    base_status = _versioned(installed.base_image, desired.base_image)
    cur_add_on, tgt_add_on = installed.add_on, desired.add_on
    if cur_add_on == tgt_add_on:
        add_on_status = "COMPLIANT"
    elif cur_add_on and tgt_add_on and cur_add_on[0] == tgt_add_on[0]:
        add_on_status = _versioned(cur_add_on[1], tgt_add_on[1])
    else:
        add_on_status = "NON_COMPLIANT"
    current, target = effective_components(installed, catalog), effective_components(desired, catalog)
    components: dict[str, Any] = {}
    for name in sorted(set(current) | set(target)):
        cur, tgt = current.get(name), target.get(name)
        entry: dict[str, Any] = {
            "status": _versioned(cur.version if cur else None, tgt.version if tgt else None),
            "notifications": empty,
        }
        if cur:
            entry["current"] = component_info(name, cur.version, catalog)
            entry["current_source"] = cur.source
        if tgt:
            entry["target"] = component_info(name, tgt.version, catalog)
            entry["target_source"] = tgt.source
        components[name] = entry
    status = worst([base_status, add_on_status, *(c["status"] for c in components.values())])
    if host.connection_state != "CONNECTED":
        status = "UNAVAILABLE"
    if status == "COMPLIANT":
        impact = "NO_IMPACT"
    elif base_status != "COMPLIANT":
        impact = "REBOOT_REQUIRED"
    else:
        impact = "MAINTENANCE_MODE_REQUIRED"
    add_on: dict[str, Any] = {"status": add_on_status, "notifications": empty}
    if cur_add_on:
        add_on["current"] = add_on_info(cur_add_on, catalog)
    if tgt_add_on:
        add_on["target"] = add_on_info(tgt_add_on, catalog)
    result: dict[str, Any] = {
        "impact": impact,
        "status": status,
        "notifications": _notifications(host, status),
        "scan_time": now(),
        "commit": str(commit),
        "base_image": {
            "status": base_status,
            "current": base_image_info(installed.base_image, catalog),
            "target": base_image_info(desired.base_image, catalog),
            "notifications": empty,
        },
        "add_on": add_on,
        "components": components,
        "solutions": {},
    }
    if status == "NON_COMPLIANT" and staged is not None:
        result["stage_status"] = "STAGED" if staged() else "NOT_STAGED"
    return result


def _notifications(host: Host, status: str) -> dict[str, Any]:
    if status != "UNAVAILABLE":
        return {}
    from vlcmsim.lifecycle.notifications import notification

    return {
        "errors": [
            notification(
                "ERROR",
                "com.vmware.vcIntegrity.lifecycle.HostUnavailable",
                f"Host {host.name} is {host.connection_state.lower().replace('_', ' ')}: its compliance is unknown.",
                resolution="Reconnect the host and scan again.",
            )
        ]
    }


def cluster_compliance(hosts: list[Host], per_host: dict[str, dict[str, Any]], commit: int) -> dict[str, Any]:
    sets: dict[str, list[str]] = {s: [] for s in _RANK}
    for h in hosts:
        sets[per_host[h.id]["status"]].append(h.id)
    statuses = [c["status"] for c in per_host.values()]
    status = worst(statuses)
    impact = max((c["impact"] for c in per_host.values()), key=_IMPACT_RANK.__getitem__, default="NO_IMPACT")
    result: dict[str, Any] = {
        "impact": impact,
        "status": status,
        "notifications": {},
        "scan_time": now(),
        "commit": str(commit),
        "compliant_hosts": sets["COMPLIANT"],
        "non_compliant_hosts": sets["NON_COMPLIANT"],
        "incompatible_hosts": sets["INCOMPATIBLE"],
        "unavailable_hosts": sets["UNAVAILABLE"],
        "hosts": per_host,
        "host_info": {h.id: {"name": h.name} for h in hosts},
    }
    if status == "NON_COMPLIANT":
        non_compliant = [per_host[h] for h in sets["NON_COMPLIANT"]]
        result["stage_status"] = (
            "STAGED" if all(c.get("stage_status") == "STAGED" for c in non_compliant) else "NOT_STAGED"
        )
    return result
