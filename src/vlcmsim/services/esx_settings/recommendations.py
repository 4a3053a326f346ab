"""What vLCM recommends and what the hosts run now, from the depots' content:
software.recommendations (generate, then get: the latest image the hosts'
hardware allows, the latest update of the series they run, and one for a base
image asked for, each base image considered with why) and
clusters.installed_images (extract, then get: the images a cluster's hosts run,
grouped, the most used and the newest)."""

from __future__ import annotations

from typing import Any

from vlcmsim.backend import Call
from vlcmsim.depot.catalog import Catalog
from vlcmsim.depot.versions import compare, version_key
from vlcmsim.ids import LIFECYCLE
from vlcmsim.inventory.model import Host, is_host
from vlcmsim.lifecycle.hardware import PACKAGES
from vlcmsim.lifecycle.spec import SoftwareSpec
from vlcmsim.lifecycle.values import software_info
from vlcmsim.services.common import CLUSTER_TYPE, HOST_TYPE, start_task
from vlcmsim.services.esx_settings.common import for_owners, require_cluster, require_image_managed
from vlcmsim.tasks.manager import TaskContext
from vlcmsim.vapi.codec import now
from vlcmsim.vapi.errors import not_found
from vlcmsim.vapi.operations import OperationSet, Privilege

ops = OperationSet()
W = Privilege.WRITE


def _message(key: str, text: str) -> dict[str, Any]:
    return {"id": f"{LIFECYCLE}.recommendations.{key}", "default_message": text, "args": []}


def _series(version: str) -> str:
    return ".".join(version.split("-")[0].split(".")[:2])  # "8.0.3-0.0.24022510" -> "8.0"


def _supported(version: str) -> bool:
    """Whether the hosts' hardware (the simulated PowerEdge R760s) is certified for a base image:
    a hardware support package of its vendor names it."""
    return any(version in p.supported_releases for packages in PACKAGES.values() for p in packages)


def _image(base: str, catalog: Catalog, current: SoftwareSpec) -> dict[str, Any]:
    """A recommended image: the base image, the vendor's add-on made for its release (if any), and
    the newest versions of the independent components the current image carries."""
    spec = SoftwareSpec(base_image=base)
    release = base.split("-")[0].replace(".", "")
    add_ons = [a for a in catalog.add_ons.values() if a.version.split(".")[0] == release]
    if add_ons:
        best = max(add_ons, key=lambda a: version_key(a.version))
        spec.add_on = (best.name, best.version)
    for name in current.components:
        versions = [v for (n, v) in catalog.components if n == name]
        if versions:
            spec.components[name] = max(versions, key=version_key)
    return software_info(spec, catalog)


def recommend(call: Call, owner: str, wanted_base: str | None) -> dict[str, Any]:
    backend = call.backend
    catalog = backend.depots.catalog()
    commit = backend.desired.latest_commit(owner)
    current = commit.spec if commit is not None else SoftwareSpec()
    running = current.base_image or ""
    explanations = []
    latest = series = None
    for base in sorted(catalog.base_images, key=version_key, reverse=True):
        info = catalog.base_images[base]
        why: list[dict[str, Any]] = []
        if running and compare(base, running) < 0:
            why.append(_message("Older", f"Older than the desired image's {running}: not a recommendation."))
        elif not _supported(base):
            why.append(_message("Unsupported", "The hosts' hardware is not certified for it."))
        else:
            if latest is None:
                latest = base
                why.append(_message("Latest", "The newest base image the hosts' hardware is certified for."))
            if series is None and (not running or _series(base) == _series(running)):
                series = base
                why.append(_message("Series", f"The newest update of the {_series(base)} series the hosts run."))
            if not why:
                why.append(_message("Newer", "A newer one is recommended."))
        explanations.append({"display_name": info.display_name, "display_version": info.display_version,
                             "explanation": why})  # fmt: skip
    value: dict[str, Any] = {"base_image_explanation_details": explanations, "check_time": now()}
    if latest:
        value["latest_recommendation"] = _image(latest, catalog, current)
    if series:
        value["current_series_recommendation"] = _image(series, catalog, current)
    if wanted_base and not is_host(owner):
        if wanted_base in catalog.base_images:
            value["specified_base_image_version_recommendation"] = _image(wanted_base, catalog, current)
    return value


@for_owners(ops, "software.recommendations", "generate$task", W)
async def generate(call: Call, owner: str, filter: dict[str, Any] | None = None) -> str:
    require_image_managed(call, owner)
    reports = call.backend.reports
    wanted = (filter or {}).get("base_image_version")

    async def work(_: TaskContext) -> None:
        reports.put(owner, "recommendations", recommend(call, owner, wanted))

    target = (HOST_TYPE if is_host(owner) else CLUSTER_TYPE, owner)
    return start_task(call, work, target, "Generate software recommendations")


@for_owners(ops, "software.recommendations", "get")
async def get_recommendations(call: Call, owner: str) -> Any:
    require_image_managed(call, owner)
    found = call.backend.reports.get(owner, "recommendations")
    if found is None:
        raise not_found(
            f"{LIFECYCLE}.recommendations.NotGenerated",
            f"{owner} has no recommendations yet: generate them first.",
            owner,
        )
    return found


# -- the images a cluster's hosts run -------------------------------------------------------

INSTALLED = "com.vmware.esx.settings.clusters.installed_images"


def installed_images(call: Call, cluster: str) -> dict[str, Any]:
    backend = call.backend
    catalog = backend.depots.catalog()
    hosts: list[Host] = backend.inventory.hosts(cluster)
    groups: dict[str, tuple[SoftwareSpec, list[str]]] = {}
    failed, notes = [], {}
    for h in hosts:
        spec = backend.desired.installed(h.id) if h.connection_state == "CONNECTED" else None
        if spec is None or not spec.base_image:
            failed.append(h.id)
            text = f"Host {h.name} is {h.connection_state.lower()}: its image cannot be read."
            notes[h.id] = {"errors": [{"type": "ERROR", "id": f"{LIFECYCLE}.installed.Unreadable", "time": now(),
                                       "message": _message("Unreadable", text), "retriable": True}]}  # fmt: skip
            continue
        key = repr(sorted(spec.to_json().items()))
        groups.setdefault(key, (spec, []))[1].append(h.id)
    images = [{"software_info": software_info(spec, catalog), "host_list": ids} for spec, ids in groups.values()]
    ordered = sorted(groups.values(), key=lambda g: version_key(g[0].base_image or ""))
    widest = max(groups.values(), key=lambda g: len(g[1])) if groups else None
    categories: dict[str, Any] = {"is_highest_and_widely_used_image_equal": bool(groups) and widest is ordered[-1]}
    if widest is not None:
        categories["most_widely_used_image"] = {"software_info": software_info(widest[0], catalog),
                                                "host_list": widest[1]}  # fmt: skip
        categories["highest_versioned_image"] = {"software_info": software_info(ordered[-1][0], catalog),
                                                 "host_list": ordered[-1][1]}  # fmt: skip
    categories["host_image_list"] = images
    succeeded = [h for _, ids in groups.values() for h in ids]
    status = "SUCCESS" if not failed else ("EXTRACT_INSTALLED_IMAGE_FAILURE" if succeeded else "UNAVAILABLE")
    return {
        "completion_time": now(),
        "uniform_image": len(groups) == 1 and not failed,
        "status": status,
        "successful_hosts": succeeded,
        "failed_hosts": failed,
        "unsupported_hosts": [],
        "image_categories": categories,
        "host_notifications": notes,
        "host_info": {h.id: {"name": h.name} for h in hosts},
        "orphaned_vibs": {},
        "notifications": {},
    }


@ops.operation(INSTALLED, "extract$task", W)
async def extract(call: Call, cluster: str) -> str:
    require_cluster(call, cluster)
    reports = call.backend.reports

    async def work(_: TaskContext) -> dict[str, Any]:
        value = installed_images(call, cluster)
        reports.put(cluster, "installed_images", value)
        return value

    return start_task(call, work, (CLUSTER_TYPE, cluster), "Extract the images the hosts run")


@ops.operation(INSTALLED, "get")
async def get_installed(call: Call, cluster: str) -> Any:
    require_cluster(call, cluster)
    found = call.backend.reports.get(cluster, "installed_images")
    if found is None:
        raise not_found(
            f"{LIFECYCLE}.installed.NotExtracted", f"Cluster {cluster}'s images were not extracted yet.", cluster
        )
    return found
