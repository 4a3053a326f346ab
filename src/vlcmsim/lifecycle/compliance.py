"""Compliance of hosts against their cluster's latest commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vlcmsim.depot.catalog import Catalog
from vlcmsim.depot.versions import compare
from vlcmsim.ids import LIFECYCLE
from vlcmsim.inventory.model import Host
from vlcmsim.lifecycle.notifications import notification
from vlcmsim.lifecycle.spec import SoftwareSpec, effective_components, payloads_of
from vlcmsim.lifecycle.values import add_on_info, base_image_info, component_info, solution_info
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


def _shown(version: str, display: str | None) -> str:
    return f"{display} ({version})" if display and display != version else version


def downgrade_notification(what: str, current: str, target: str, catalog: Catalog, name: str | None = None) -> Any:
    """Why a part of the image is INCOMPATIBLE: its desired version is older than the installed one."""
    display_cur = display_tgt = None
    if name is not None:
        display_cur = (component_info(name, current, catalog).get("details") or {}).get("display_version")
        display_tgt = (component_info(name, target, catalog).get("details") or {}).get("display_version")
    return notification(
        "ERROR",
        f"{LIFECYCLE}.Downgrade",
        f"{what} would go from {_shown(current, display_cur)} down to {_shown(target, display_tgt)}: "
        "downgrades are not supported.",
        what,
        current,
        target,
        resolution="Set a version at least as new as the installed one in the desired image.",
    )


def downgrades(installed: SoftwareSpec, desired: SoftwareSpec, catalog: Catalog) -> list[Any]:
    """A notification for each part of `desired` older than what `installed` runs."""
    out = []
    if installed.base_image and desired.base_image and compare(installed.base_image, desired.base_image) > 0:
        out.append(downgrade_notification("The base image", installed.base_image, desired.base_image, catalog))
    cur_add_on, tgt_add_on = installed.add_on, desired.add_on
    if cur_add_on and tgt_add_on and cur_add_on[0] == tgt_add_on[0] and compare(cur_add_on[1], tgt_add_on[1]) > 0:
        out.append(downgrade_notification(f"Add-on {tgt_add_on[0]}", cur_add_on[1], tgt_add_on[1], catalog))
    current, target = effective_components(installed, catalog), effective_components(desired, catalog)
    for name in sorted(set(current) & set(target)):
        cur, tgt = current[name].version, target[name].version
        if compare(cur, tgt) > 0:
            out.append(downgrade_notification(f"Component {name}", cur, tgt, catalog, name))
    return out


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
        if entry["status"] == "INCOMPATIBLE" and cur and tgt:
            why = downgrade_notification(f"Component {name}", cur.version, tgt.version, catalog, name)
            entry["notifications"] = {"errors": [why]}
        if cur:
            entry["current"] = component_info(name, cur.version, catalog)
            entry["current_source"] = cur.source
        if tgt:
            entry["target"] = component_info(name, tgt.version, catalog)
            entry["target_source"] = tgt.source
        components[name] = entry
    hardware = _hardware_support(installed, desired)
    status = worst(
        [
            base_status,
            add_on_status,
            *(c["status"] for c in components.values()),
            *(h["status"] for h in hardware.values()),
        ]
    )
    if host.connection_state != "CONNECTED":
        status = "UNAVAILABLE"
    if status == "COMPLIANT":
        impact = "NO_IMPACT"
    elif base_status != "COMPLIANT" or any(h["status"] != "COMPLIANT" for h in hardware.values()):
        impact = "REBOOT_REQUIRED"  # a new base image, or firmware
    else:
        impact = "MAINTENANCE_MODE_REQUIRED"
    add_on: dict[str, Any] = {"status": add_on_status, "notifications": empty}
    if add_on_status == "INCOMPATIBLE" and cur_add_on and tgt_add_on:
        add_on["notifications"] = {
            "errors": [downgrade_notification(f"Add-on {tgt_add_on[0]}", cur_add_on[1], tgt_add_on[1], catalog)]
        }
    if cur_add_on:
        add_on["current"] = add_on_info(cur_add_on, catalog)
    if tgt_add_on:
        add_on["target"] = add_on_info(tgt_add_on, catalog)
    result: dict[str, Any] = {
        "impact": impact,
        "status": status,
        "notifications": _notifications(host, status, downgrades(installed, desired, catalog)),
        "scan_time": now(),
        "commit": str(commit),
        "base_image": {
            "status": base_status,
            "current": base_image_info(installed.base_image, catalog),
            "target": base_image_info(desired.base_image, catalog),
            "notifications": (
                {
                    "errors": [
                        downgrade_notification("The base image", installed.base_image, desired.base_image, catalog)
                    ]
                }
                if base_status == "INCOMPATIBLE" and installed.base_image and desired.base_image
                else empty
            ),
        },
        "add_on": add_on,
        "components": components,
        "solutions": _solutions(installed, desired, catalog),
    }
    if hardware:
        result["hardware_support"] = hardware
    if status == "NON_COMPLIANT" and staged is not None:
        result["stage_status"] = "STAGED" if staged() else "NOT_STAGED"
    return result


def _notifications(host: Host, status: str, downgraded: list[Any]) -> dict[str, Any]:
    if status == "INCOMPATIBLE":
        return {"errors": downgraded} if downgraded else {}
    if status != "UNAVAILABLE":
        return {}
    return {
        "errors": [
            notification(
                "ERROR",
                f"{LIFECYCLE}.HostUnavailable",
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
    # why hosts are incompatible, once per reason (each host's own notifications say which)
    reasons: dict[str, Any] = {}
    for host_id in sets["INCOMPATIBLE"]:
        for n in (per_host[host_id].get("notifications") or {}).get("errors") or []:
            reasons.setdefault(n["message"]["default_message"], n)
    result: dict[str, Any] = {
        "impact": impact,
        "status": status,
        "notifications": {"errors": list(reasons.values())} if reasons else {},
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


def staged_check(
    staged: Callable[[], set[str]], installed: SoftwareSpec, desired: SoftwareSpec, catalog: Catalog
) -> Callable[[], bool]:
    """Whether a host holds, staged, every payload of the desired image that it
    has not installed; `staged` reads its staging area (only when asked)."""

    def check() -> bool:
        needed = {p.sha256 for p in payloads_of(desired, catalog)}
        needed -= {p.sha256 for p in payloads_of(installed, catalog)}
        return needed <= staged()

    return check


def _hardware_support(installed: SoftwareSpec, desired: SoftwareSpec) -> dict[str, Any]:
    """HardwareSupportPackageCompliance per manager either image names."""
    out: dict[str, Any] = {}
    for manager in sorted(set(installed.hardware_support) | set(desired.hardware_support)):
        current, target = installed.hardware_support.get(manager), desired.hardware_support.get(manager)
        entry: dict[str, Any] = {
            "status": "COMPLIANT" if current == target else "NON_COMPLIANT",
            "hardware_modules": {},
            "notifications": {},
        }
        if current:
            entry["current"] = {"pkg": current[0], "version": current[1]}
        if target:
            entry["target"] = {"pkg": target[0], "version": target[1]}
        out[manager] = entry
    return out


def _solutions(installed: SoftwareSpec, desired: SoftwareSpec, catalog: Catalog) -> dict[str, Any]:
    """SolutionCompliance per solution either image names (its components' own
    statuses are in `components`)."""
    out: dict[str, Any] = {}
    for name in sorted(set(installed.solutions) | set(desired.solutions)):
        current, target = installed.solutions.get(name), desired.solutions.get(name)
        entry: dict[str, Any] = {"status": "COMPLIANT" if current == target else "NON_COMPLIANT", "notifications": {}}
        if current:
            entry["current"] = solution_info(name, current[0], current[1], catalog)
        if target:
            entry["target"] = solution_info(name, target[0], target[1], catalog)
        out[name] = entry
    return out
