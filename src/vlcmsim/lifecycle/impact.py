"""What remediating would do to each host (`reports.apply_impact`), from the
difference between what it runs and the desired image."""

from __future__ import annotations

from typing import Any

from vlcmsim.ids import LIFECYCLE
from vlcmsim.inventory.model import Host
from vlcmsim.lifecycle.notifications import message

_ENTER = (f"{LIFECYCLE}.impact.MaintenanceMode", "The host will enter maintenance mode; its VMs move to other hosts.")
_ENTER_STANDALONE = (
    f"{LIFECYCLE}.impact.StandaloneMaintenanceMode",
    "The host will enter maintenance mode; its VMs are powered off or suspended first, per the apply policy.",
)
_REBOOT = (f"{LIFECYCLE}.impact.Reboot", "The host will be rebooted to run the new image.")
_NONE = (f"{LIFECYCLE}.impact.None", "The host already runs the desired image: remediation does not change it.")


def host_impact(compliance: dict[str, Any], standalone: bool = False) -> list[dict[str, Any]]:
    """The impact of remediating a host (Impact values), from its compliance."""
    impact = compliance["impact"]
    enter = _ENTER_STANDALONE if standalone else _ENTER
    if impact == "REBOOT_REQUIRED":
        texts = [enter, _REBOOT]
    elif impact == "MAINTENANCE_MODE_REQUIRED":
        texts = [enter]
    else:
        texts = [_NONE]
    return [{"message": message(*t)} for t in texts]


def cluster_impact(hosts: list[Host], per_host: dict[str, dict[str, Any]], commit: int) -> dict[str, Any]:
    """The ClusterImpact value of remediating `hosts`."""
    entering = [h for h in hosts if per_host[h.id]["impact"] != "NO_IMPACT"]
    rebooting = [h for h in hosts if per_host[h.id]["impact"] == "REBOOT_REQUIRED"]
    summary = [
        {"message": m}
        for m in (
            message(
                f"{LIFECYCLE}.impact.ClusterMaintenanceMode",
                f"{len(entering)} of {len(hosts)} host(s) will enter maintenance mode, one after another.",
                str(len(entering)),
            ),
            message(
                f"{LIFECYCLE}.impact.ClusterReboot", f"{len(rebooting)} host(s) will be rebooted.", str(len(rebooting))
            ),
        )
    ]
    return {
        "impact": summary,
        "host_impact": {h.id: host_impact(per_host[h.id]) for h in hosts},
        "commit": str(commit),
        "host_info": {h.id: {"name": h.name} for h in hosts},
    }


def standalone_impact(host: Host, compliance: dict[str, Any], commit: int) -> dict[str, Any]:
    """The HostImpact value of remediating a standalone host."""
    return {"impact": host_impact(compliance, standalone=True), "commit": str(commit), "host_info": {"name": host.name}}
