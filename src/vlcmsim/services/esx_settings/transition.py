"""Moving a baseline-managed inventory to images at once (esx.settings.inventory,
vSphere 9): extract the image each cluster's and standalone host's hosts run,
transition those whose hosts run one image (that image becomes their first
commit, and they are managed with it), and the summaries: where each one
stands in the transition, and each image-managed one's last compliance and
apply. update_vum_capability says whether baseline operations are still
needed (some cluster or host is still baseline-managed)."""

from __future__ import annotations

from typing import Any

from vlcmsim.backend import Call
from vlcmsim.ids import LIFECYCLE
from vlcmsim.inventory.model import Host, is_host
from vlcmsim.lifecycle import errors
from vlcmsim.lifecycle.notifications import notification, notifications
from vlcmsim.lifecycle.spec import SoftwareSpec
from vlcmsim.lifecycle.values import software_info
from vlcmsim.services.common import start_task
from vlcmsim.services.esx_settings.software import display_name
from vlcmsim.services.vcenter import folders
from vlcmsim.tasks.manager import TaskContext
from vlcmsim.vapi.codec import now
from vlcmsim.vapi.errors import invalid_argument
from vlcmsim.vapi.operations import OperationSet, Privilege

ops = OperationSet()
INVENTORY = "com.vmware.esx.settings.inventory"
REPORTS = f"{INVENTORY}.reports"
MAPS = ("datacenter_results", "folder_results", "cluster_results", "host_results")


def owners_named(call: Call, entities: dict[str, Any]) -> list[str]:
    """The clusters and standalone hosts an EntitySpec names (a datacenter: all of its)."""
    inventory = call.backend.inventory
    kind = entities.get("type")
    if kind == "CLUSTER":
        named = sorted(entities.get("clusters") or ())
        for c in named:
            if inventory.cluster(c) is None:
                raise errors.cluster_not_found(c)
        return named
    if kind == "HOST":
        named = sorted(entities.get("hosts") or ())
        for h in named:
            found = inventory.host(h)
            if found is None:
                raise errors.host_not_found(h)
            if not found.standalone:
                raise errors.not_standalone_image_host(h, found.cluster)
        return named
    if kind == "DATACENTER":
        dcs = set(entities.get("datacenters") or ())
        for dc in dcs:
            if inventory.datacenter(dc) is None:
                raise invalid_argument(f"{LIFECYCLE}.EntityNotFound", f"Datacenter {dc} not found.", dc)
        return _in_datacenters(call, dcs)
    if kind == "FOLDER":
        # the root folder holds every datacenter; a datacenter's host folder its clusters and hosts
        known = {f.id: f for f in folders(call)}
        dcs = set()
        for folder in sorted(entities.get("folders") or ()):
            folder_of = known.get(folder)
            if folder_of is None:
                raise invalid_argument(f"{LIFECYCLE}.EntityNotFound", f"Folder {folder} not found.", folder)
            if folder_of.datacenter is None:
                dcs |= {dc.id for dc in inventory.datacenters()}
            elif folder_of.type == "HOST":
                dcs.add(folder_of.datacenter)
        return _in_datacenters(call, dcs)
    raise invalid_argument(f"{LIFECYCLE}.EntityType", f"Entities of type {kind} cannot take part here.", "type")


def _in_datacenters(call: Call, dcs: set[str]) -> list[str]:
    inventory = call.backend.inventory
    return [c.id for c in inventory.clusters() if c.datacenter in dcs] + [
        h.id for h in inventory.standalone_hosts() if h.datacenter in dcs
    ]


def _hosts_of(call: Call, owner: str) -> list[Host]:
    inventory = call.backend.inventory
    if is_host(owner):
        h = inventory.host(owner)
        return [h] if h else []
    return inventory.hosts(owner)


def _image_managed(call: Call, owner: str) -> bool:
    inventory = call.backend.inventory
    if is_host(owner):
        h = inventory.host(owner)
        return bool(h and h.image_managed)
    c = inventory.cluster(owner)
    return bool(c and c.image_managed)


def detect(call: Call, owner: str) -> dict[str, Any]:
    """Where the owner stands: the images its hosts run (read now), and whether it can transition."""
    desired = call.backend.desired
    catalog = call.backend.depots.catalog()
    hosts = _hosts_of(call, owner)
    images: dict[str, SoftwareSpec] = {}
    unreadable = []
    for h in hosts:
        spec = desired.installed(h.id) if h.connection_state == "CONNECTED" else None
        if spec is None or not spec.base_image:
            unreadable.append(h.name)
            continue
        images.setdefault(repr(sorted(spec.to_json().items())), spec)
    notes: list[dict[str, Any]] = []
    if _image_managed(call, owner):
        status = "CONVERTED"
    elif unreadable:
        status = "NOT_DETECTED"
        notes.append(
            notification(
                "ERROR",
                f"{LIFECYCLE}.transition.Unreadable",
                "The image of " + ", ".join(unreadable) + " cannot be read.",
            )
        )
    elif len(images) == 1:
        status = "ELIGIBLE"
    else:
        status = "HOST_LEVEL_CONVERSION_REQUIRED" if is_host(owner) else "CLUSTER_LEVEL_CONVERSION_REQUIRED"
        notes.append(
            notification(
                "WARNING",
                f"{LIFECYCLE}.transition.NotUniform",
                f"The hosts run {len(images)} different images: choose one for them first.",
            )
        )
    return {
        "last_check_time": now(),
        "uniform_image": len(images) == 1 and not unreadable,
        "images": [software_info(s, catalog) for s in images.values()],
        "orphan_vibs": False,
        "status": status,
        "notifications": notifications(
            errors=[n for n in notes if n["type"] == "ERROR"], warnings=[n for n in notes if n["type"] == "WARNING"]
        ),
        "_specs": list(images.values()),
    }


def _keep(call: Call, owner: str, found: dict[str, Any]) -> None:
    value = {k: v for k, v in found.items() if k != "_specs"}
    if is_host(owner):
        value = {"host": owner, **{k: v for k, v in value.items() if k not in ("images", "uniform_image")}}
        value["image"] = (
            found["images"][0] if found["images"] else software_info(SoftwareSpec(), call.backend.depots.catalog())
        )
    else:
        value = {"cluster": owner, **value}
    call.backend.reports.put(owner, "transition", value)


def _results(outcomes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {m: {} for m in MAPS}
    for owner, value in outcomes.items():
        out["host_results" if is_host(owner) else "cluster_results"][owner] = value
    return out


@ops.operation(INVENTORY, "extract_installed_image$task", Privilege.WRITE)
async def extract_installed_image(call: Call, input_spec: dict[str, Any]) -> str:
    owners = owners_named(call, input_spec["entities"])

    async def work(ctx: TaskContext) -> dict[str, Any]:
        outcomes = {}
        for n, owner in enumerate(owners):
            ctx.progress(n, max(len(owners), 1), f"Reading the images of {owner}")
            found = detect(call, owner)
            _keep(call, owner, found)
            outcomes[owner] = {
                "status": "FAILED" if found["status"] == "NOT_DETECTED" else "COMPLETED",
                "uniform_image": found["uniform_image"],
                "notifications": found["notifications"],
            }
        return _results(outcomes)

    return start_task(call, work, None, "Extract the images the hosts run")


@ops.operation(INVENTORY, "transition$task", Privilege.WRITE)
async def transition(call: Call, input_spec: dict[str, Any]) -> str:
    owners = owners_named(call, input_spec["entities"])
    backend = call.backend
    author = call.user_name

    async def work(ctx: TaskContext) -> dict[str, Any]:
        outcomes = {}
        for n, owner in enumerate(owners):
            ctx.progress(n, max(len(owners), 1), f"Moving {owner} to an image")
            found = detect(call, owner)
            if found["status"] == "CONVERTED":
                outcomes[owner] = {
                    "status": "COMPLETED",
                    "notifications": notifications(
                        info=[
                            notification(
                                "INFO", f"{LIFECYCLE}.transition.Already", f"{owner} is managed with an image."
                            )
                        ]
                    ),
                }
                continue
            if found["status"] != "ELIGIBLE":
                outcomes[owner] = {"status": "FAILED", "notifications": found["notifications"]}
                _keep(call, owner, found)
                continue
            spec = found["_specs"][0]
            if backend.desired.latest_commit(owner) is None:
                backend.desired.add_commit(
                    owner, author, "The image the hosts ran (transition)", spec.copy(), draft=None
                )
            if is_host(owner):
                backend.inventory.update_host(owner, image_managed=True)
            else:
                backend.inventory.set_image_managed(owner)
            backend.scanner.scan(owner)
            _keep(call, owner, {**found, "status": "CONVERTED"})
            text = f"{owner} is managed with the image its hosts ran: {display_name(spec, owner)}."
            outcomes[owner] = {
                "status": "COMPLETED",
                "notifications": notifications(info=[notification("INFO", f"{LIFECYCLE}.transition.Done", text)]),
            }
        return _results(outcomes)

    return start_task(call, work, None, "Move clusters and hosts to images")


@ops.operation(INVENTORY, "update_vum_capability$task", Privilege.WRITE)
async def update_vum_capability(call: Call) -> str:
    backend = call.backend

    async def work(_: TaskContext) -> dict[str, Any]:
        baseline = [c.name for c in backend.inventory.clusters() if not c.image_managed]
        baseline += [h.name for h in backend.inventory.standalone_hosts() if not h.image_managed]
        if baseline:
            text = "Baseline operations stay enabled: " + ", ".join(baseline) + " still use baselines."
        else:
            text = "Every cluster and standalone host is managed with an image: baseline operations are disabled."
        note = notification("INFO", f"{LIFECYCLE}.transition.VumCapability", text)
        return {"vum_operations_enabled": bool(baseline), "notifications": notifications(info=[note])}

    return start_task(call, work, None, "Update the baseline (VUM) capability")


# -- the summaries --------------------------------------------------------------------


def _named(call: Call, spec: dict[str, Any], kind: str) -> list[str]:
    """The clusters (kind "clusters") or standalone hosts ("hosts") GetParams names."""
    inventory = call.backend.inventory
    wanted = spec.get("type")
    if wanted in ("CLUSTER", "HOST"):
        named = sorted(spec.get(kind) or ())
        for owner in named:  # a summary is kept for what exists, never for an unknown id
            if kind == "clusters" and inventory.cluster(owner) is None:
                raise errors.cluster_not_found(owner)
            if kind == "hosts":
                host = inventory.host(owner)
                if host is None:
                    raise errors.host_not_found(owner)
                if not host.standalone:  # InvalidArgument: the one refusal these reads declare
                    text = f"Host {owner} is a member of cluster {host.cluster}: its cluster's summary covers it."
                    raise invalid_argument(f"{LIFECYCLE}.NotStandaloneImageHost", text, owner)
        return named
    dcs = set(spec.get("datacenters") or ())
    if wanted == "FOLDER":
        dcs = {d.id for d in inventory.datacenters()}
    if kind == "clusters":
        return [c.id for c in inventory.clusters() if c.datacenter in dcs]
    return [h.id for h in inventory.standalone_hosts() if h.datacenter in dcs]


def _transition_summaries(call: Call, spec: dict[str, Any], kind: str) -> list[Any]:
    out = []
    for owner in _named(call, spec, kind):
        found = call.backend.reports.get(owner, "transition")
        if found is None:  # never extracted: detect now
            _keep(call, owner, detect(call, owner))
            found = call.backend.reports.get(owner, "transition")
        out.append(found)
    return out


@ops.operation(f"{REPORTS}.transition_summary.clusters", "get")
async def transition_clusters(call: Call, spec: dict[str, Any], **_: Any) -> dict[str, Any]:
    return {"cluster_summaries": _transition_summaries(call, spec, "clusters")}


@ops.operation(f"{REPORTS}.transition_summary.hosts", "get")
async def transition_hosts(call: Call, spec: dict[str, Any], **_: Any) -> dict[str, Any]:
    return {"host_summaries": _transition_summaries(call, spec, "hosts")}


def _summary(call: Call, owner: str) -> dict[str, Any] | None:
    commit = call.backend.desired.latest_commit(owner)
    if commit is None or not _image_managed(call, owner):
        return None
    key = "host" if is_host(owner) else "cluster"
    value: dict[str, Any] = {
        key: owner,
        "software_spec_info": {"id": str(commit.id), "display_name": display_name(commit.spec, owner)},
    }
    compliance = call.backend.scanner.compliance(owner, commit)  # the last scan, or one now
    if compliance is not None:
        value["compliance_summary"] = {
            "task_status": "SUCCEEDED",
            "compliance_status": compliance["status"],
            "last_compliance_time": compliance["scan_time"],
            "notifications": compliance.get("notifications") or {},
        }
    applied = call.backend.reports.get(owner, "apply")
    if applied is not None:
        status = (applied.get("status") or {}).get("status", "UNKNOWN")
        value["apply_summary"] = {
            "task_status": "SUCCEEDED" if status == "OK" else "FAILED",
            "apply_status": status,
            "last_apply_time": (applied.get("status") or {}).get("end_time"),
            "notifications": (applied.get("status") or {}).get("notifications") or {},
        }
    return value


@ops.operation(f"{REPORTS}.summary.clusters", "get")
async def summary_clusters(call: Call, spec: dict[str, Any], **_: Any) -> dict[str, Any]:
    found = [_summary(call, c) for c in _named(call, spec, "clusters")]
    return {"cluster_summaries": [s for s in found if s is not None]}


@ops.operation(f"{REPORTS}.summary.hosts", "get")
async def summary_hosts(call: Call, spec: dict[str, Any], **_: Any) -> dict[str, Any]:
    found = [_summary(call, h) for h in _named(call, spec, "hosts")]
    return {"host_summaries": [s for s in found if s is not None]}
