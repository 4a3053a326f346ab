"""Pre-checks (`Software.check$task`): what would stop a remediation, found in
the simulated world before one starts. Per host: connected, room in its
staging area, able to enter maintenance mode (a cluster's host moves its VMs to
the others; a standalone host has nowhere to move them: the apply policy must
power them off); for the image: valid, its payloads in the depots."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vlcmsim.depot.catalog import Catalog
from vlcmsim.ids import LIFECYCLE
from vlcmsim.inventory.model import Host
from vlcmsim.lifecycle.desired import Commit
from vlcmsim.lifecycle.notifications import message
from vlcmsim.lifecycle.spec import SoftwareSpec, image_of, payloads_of, problems
from vlcmsim.vapi.codec import now

_RANK = {"OK": 0, "WARNING": 1, "ERROR": 2}


@dataclass(frozen=True)
class Check:
    id: str
    name: str
    description: str

    def status(self, issues: list[str], warn_only: bool = False) -> dict[str, Any]:
        status = "OK" if not issues else ("WARNING" if warn_only else "ERROR")
        return {
            "check": {
                "check": f"{LIFECYCLE}.{self.id}",
                "name": message(f"{LIFECYCLE}.{self.id}.name", self.name),
                "description": message(f"{LIFECYCLE}.{self.id}.description", self.description),
            },
            "status": status,
            "issues": [message(f"{LIFECYCLE}.{self.id}.issue", text) for text in issues],
        }


CONNECTED = Check("HostConnectionCheck", "Host connection", "The host is connected and responding.")
STAGING_SPACE = Check("StagingSpaceCheck", "Staging space", "The host's staging area can hold the payloads it lacks.")
MAINTENANCE = Check(
    "MaintenanceModeCheck",
    "Maintenance mode",
    "The host can enter maintenance mode: the cluster keeps running its workloads without it.",
)
STANDALONE_MAINTENANCE = Check(
    "StandaloneMaintenanceModeCheck",
    "Maintenance mode",
    "The standalone host can enter maintenance mode: its VMs are powered off or suspended first, per the apply policy.",
)
IMAGE_VALID = Check("ImageValidCheck", "Desired image", "The desired image is valid against the depots.")
PAYLOADS = Check("PayloadsAvailableCheck", "Payloads in depots", "The depots hold every payload of the image.")


@dataclass
class World:
    """What the checks read of the simulated world."""

    catalog: Catalog
    installed: Callable[[str], SoftwareSpec]
    staged: Callable[[str], set[str]]
    free_staging_bytes: Callable[[str], int]
    has_payload: Callable[[str], bool]
    vm_count: Callable[[str], int] = lambda host: 0
    power_off_vms: bool = False  # the apply policy powers off (or suspends) VMs before maintenance mode


def _worst(statuses: list[dict[str, Any]]) -> str:
    return max((s["status"] for s in statuses), key=_RANK.__getitem__, default="OK")


def host_checks(host: Host, members: list[Host], commit: Commit, world: World) -> list[dict[str, Any]]:
    connected = host.connection_state == "CONNECTED"
    statuses = [
        CONNECTED.status(
            [] if connected else [f"Host {host.name} is {host.connection_state.lower().replace('_', ' ')}."]
        )
    ]
    wanted = payloads_of(image_of(commit.spec, host), world.catalog)
    present = {p.sha256 for p in payloads_of(world.installed(host.id), world.catalog)} | world.staged(host.id)
    needed = sum(p.size for p in wanted if p.sha256 not in present)
    free = world.free_staging_bytes(host.id)
    statuses.append(
        STAGING_SPACE.status(
            []
            if needed <= free
            else [f"Host {host.name} needs {needed} bytes of staging space; {max(free, 0)} bytes are free."]
        )
    )
    if host.standalone:
        vms = world.vm_count(host.id)
        stuck = vms > 0 and not world.power_off_vms
        statuses.append(
            STANDALONE_MAINTENANCE.status(
                [
                    f"Host {host.name} is standalone: its {vms} VM(s) have no other host to move to, and the apply "
                    "policy leaves their power state as it is. Set pre_remediation_power_action to POWER_OFF_VMS "
                    "or SUSPEND_VMS, or power them off."
                ]
                if stuck
                else []
            )
        )
        return statuses
    others = [h for h in members if h.id != host.id and h.connection_state == "CONNECTED"]
    statuses.append(
        MAINTENANCE.status(
            []
            if others
            else [f"No other host of the cluster is connected to run the workloads of {host.name} meanwhile."],
            warn_only=True,
        )
    )
    return statuses


def cluster_checks(commit: Commit, world: World) -> list[dict[str, Any]]:
    wanted = {p.sha256: p for image in commit.spec.images() for p in payloads_of(image, world.catalog)}
    missing = [p for p in wanted.values() if not world.has_payload(p.sha256)]
    return [
        IMAGE_VALID.status(problems(commit.spec, world.catalog)),
        PAYLOADS.status([f"Payload {p.name} ({p.sha256[:12]}) is in no depot." for p in missing]),
    ]


def check_result(
    cluster: str, members: list[Host], selected: list[Host], commit: Commit, world: World
) -> dict[str, Any]:
    """The CheckResult value of checking `selected` hosts of the cluster against `commit`."""
    started = now()
    cluster_statuses = cluster_checks(commit, world)
    entities = [
        {"type": "CLUSTER", "cluster": cluster, "status": _worst(cluster_statuses), "check_statuses": cluster_statuses}
    ]
    for host in selected:
        statuses = host_checks(host, members, commit, world)
        entities.append({"type": "HOST", "host": host.id, "status": _worst(statuses), "check_statuses": statuses})
    return {
        "status": _worst(entities),
        "start_time": started,
        "end_time": now(),
        "commit": str(commit.id),
        "host_info": {h.id: {"name": h.name} for h in selected},
        "entity_results": entities,
    }


def host_check_result(host: Host, commit: Commit, world: World) -> dict[str, Any]:
    """The CheckResult of a standalone host (hosts.software): the image's checks
    and the host's own in one entity, issues as CheckIssues."""
    started = now()
    statuses = cluster_checks(commit, world) + host_checks(host, [host], commit, world)
    for status in statuses:
        status["check_issues"] = [{"description": m} for m in status.pop("issues")]
    return {
        "status": _worst(statuses),
        "start_time": started,
        "end_time": now(),
        "commit": str(commit.id),
        "host_info": {"name": host.name},
        "entity_result": {"type": "HOST", "host": host.id, "status": _worst(statuses), "check_statuses": statuses},
    }
