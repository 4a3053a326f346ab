"""The results Configuration Profiles answer, as the bindings shape them: a
cluster's configuration compliance (per host, per setting: current against
desired), a precheck (what applying the document takes on each host: nothing,
maintenance mode or a reboot) and the errors of a document against its schema."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from vlcmsim.ids import LIFECYCLE
from vlcmsim.inventory.model import Host
from vlcmsim.lifecycle.host_config import MAINTENANCE_MODE, NONE, REBOOT, Difference, impact_of
from vlcmsim.vapi.codec import now

CONFIG = f"{LIFECYCLE}.configuration"
IMPACT = {NONE: "NO_IMPACT", MAINTENANCE_MODE: "MAINTENANCE_MODE_REQUIRED", REBOOT: "REBOOT_REQUIRED"}


def message(key: str, text: str, *args: str) -> dict[str, Any]:
    return {"id": f"{CONFIG}.{key}", "default_message": text, "args": list(args)}


def error_note(key: str, text: str, retriable: bool | None = None) -> dict[str, Any]:
    """An ERROR Notification."""
    note: dict[str, Any] = {"type": "ERROR", "id": f"{CONFIG}.{key}", "time": now(), "message": message(key, text)}
    if retriable is not None:
        note["retriable"] = retriable
    return note


def validation_errors(errors: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """ValidationError values: the JSON path of each error and what is wrong there."""
    return [
        {"path": path, "display_path": path.removeprefix("$.").split("."), "messages": [message("Invalid", text)]}
        for path, text in errors
    ]


def kind_of(value: Any) -> str:
    if isinstance(value, list):
        return "ARRAY_OF_OBJECTS" if any(isinstance(v, dict) for v in value) else "ARRAY_OF_PRIMITIVES"
    return "OBJECT" if isinstance(value, dict) else "PRIMITIVE"


def setting_compliance(d: Difference) -> dict[str, Any]:
    value: dict[str, Any] = {"path": d.path, "display_path": d.path.split("/"), "type": kind_of(d.desired)}
    if d.current is not None:
        value["current"] = json.dumps(d.current)
    if d.desired is not None:
        value["target"] = json.dumps(d.desired)
    return value


def _host_status(status: str, started: datetime, notes: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"status": status, "start_time": started, "end_time": now(), "notifications": notes or {}}


def host_compliance(host: Host, diffs: list[Difference] | None, started: datetime) -> dict[str, Any]:
    """A HostResult of a compliance check; `diffs` None: the host could not be checked."""
    if diffs is None:
        text = f"Host {host.name} is {host.connection_state.lower().replace('_', ' ')}: its configuration is unknown."
        note = error_note("HostUnavailable", text)
        return {
            "host_status": _host_status("SKIPPED", started, {"errors": [note]}),
            "summary": message("HostUnavailable", text),
        }
    if not diffs:
        return {
            "host_status": _host_status("OK", started),
            "summary": message("HostCompliant", f"Host {host.name} has the desired configuration."),
            "host_compliance": {"status": "COMPLIANT"},
        }
    paths = ", ".join(d.path for d in diffs[:3]) + (f" and {len(diffs) - 3} more" if len(diffs) > 3 else "")
    return {
        "host_status": _host_status("OK", started),
        "summary": message(
            "HostDrifted", f"Host {host.name} differs from the desired configuration in {paths}.", host.name, paths
        ),
        "host_compliance": {
            "status": "NON_COMPLIANT",
            "compliance_info": {"sets": [setting_compliance(d) for d in diffs]},
        },
    }


def cluster_compliance(
    hosts: list[Host], results: dict[str, dict[str, Any]], commit: str | None, software_commit: str
) -> dict[str, Any]:
    compliant = [h.id for h in hosts if (results[h.id].get("host_compliance") or {}).get("status") == "COMPLIANT"]
    non_compliant = [
        h.id for h in hosts if (results[h.id].get("host_compliance") or {}).get("status") == "NON_COMPLIANT"
    ]
    skipped = [h.id for h in hosts if "host_compliance" not in results[h.id]]
    status = "COMPLIANT" if not non_compliant and not skipped else "NOT_COMPLIANT"
    text = (
        f"All {len(hosts)} hosts have the desired configuration."
        if status == "COMPLIANT"
        else f"{len(non_compliant)} of {len(hosts)} hosts differ from the desired configuration"
        + (f"; {len(skipped)} could not be checked." if skipped else ".")
    )
    value: dict[str, Any] = {
        "cluster_status": status,
        "software_commit": software_commit,
        "summary": message("ClusterCompliance", text),
        "host_info": {h.id: {"name": h.name} for h in hosts},
        "hosts": results,
        "compliant_hosts": compliant,
        "non_compliant_hosts": non_compliant,
        "failed_hosts": [],
        "skipped_hosts": skipped,
        "end_time": now(),
    }
    if commit is not None:
        value["commit"] = commit
    return value


def host_precheck(host: Host, diffs: list[Difference] | None, started: datetime) -> dict[str, Any]:
    if diffs is None:
        text = f"Host {host.name} is {host.connection_state.lower().replace('_', ' ')}: it cannot be remediated."
        return {"status": _host_status("ERROR", started), "summary": message("HostUnavailable", text)}
    impact = impact_of(diffs)
    reasons = [message("Needs", f"{d.path} needs {IMPACT[d.impact].lower().replace('_', ' ')}.") for d in diffs
               if d.impact != NONE]  # fmt: skip
    changes = f"{len(diffs)} setting(s) change" if diffs else "nothing changes"
    return {
        "status": _host_status("OK", started),
        "summary": message("HostPrecheck", f"Host {host.name}: {changes}; {IMPACT[impact].lower().replace('_', ' ')}."),
        "impact": {"impact": IMPACT[impact], "info": reasons},
    }


def cluster_precheck(
    hosts: list[Host], results: dict[str, dict[str, Any]], commit: str | None, software_commit: str
) -> dict[str, Any]:
    failed = [h.id for h in hosts if results[h.id]["status"]["status"] == "ERROR"]
    ok = [h.id for h in hosts if h.id not in failed]
    rebooting = [h for h in ok if results[h]["impact"]["impact"] == "REBOOT_REQUIRED"]
    maintenance = [h for h in ok if results[h]["impact"]["impact"] == "MAINTENANCE_MODE_REQUIRED"]
    names = {h.id: h.name for h in hosts}
    notes = []
    if rebooting:
        notes.append(message("Reboot", "These hosts reboot: " + ", ".join(names[h] for h in rebooting) + "."))
    if maintenance:
        notes.append(message("Maintenance", "These hosts enter maintenance mode: "
                             + ", ".join(names[h] for h in maintenance) + "."))  # fmt: skip
    status = "ERROR" if failed else ("OK_REVIEW_REQUIRED" if rebooting or maintenance else "OK")
    value: dict[str, Any] = {
        "status": status,
        "software_commit": software_commit,
        "end_time": now(),
        "summary": message(
            "ClusterPrecheck",
            f"{len(ok)} of {len(hosts)} hosts can be remediated: {len(rebooting)} reboot, "
            f"{len(maintenance)} only enter maintenance mode.",
        ),
        "remediation_summary": notes,
        "remediation_notes": [],
        "host_info": {h.id: {"name": h.name} for h in hosts},
        "host_precheck": results,
        "successful_hosts": ok,
        "failed_hosts": failed,
        "skipped_hosts": [],
    }
    if commit is not None:
        value["commit"] = commit
    return value


def available_values(spec: dict[str, Any], esx_version: str) -> dict[str, Any]:
    """The values each asked setting may take (its enumeration, range or type), from the schema."""
    from vlcmsim.lifecycle.host_config import settings_for

    known = {s.path: s for s in settings_for(esx_version)}
    out: dict[str, Any] = {}
    for path in spec.get("path_specs") or {}:
        setting = known.get(path)
        if setting is None:
            text = f"{path} is not a setting of ESXi {esx_version}."
            note = error_note("UnknownPath", text)
            out[path] = {"status": "ERROR", "error": note}
            continue
        allowed = {k: v for k, v in setting.schema.items() if k in ("enum", "minimum", "maximum", "type", "items")}
        out[path] = {"status": "OK", "cluster_values": json.dumps(allowed)}
    return {"results": out, "hosts": {}, "bios_uuid_to_host_id_map": {}}
