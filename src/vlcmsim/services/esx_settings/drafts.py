"""Drafts of a cluster's desired document: create, edit, validate, commit."""

from __future__ import annotations

from typing import Any

import orjson

from vlcmsim.lifecycle.desired import Draft
from vlcmsim.lifecycle.spec import SoftwareSpec, validate
from vlcmsim.services.esx_settings.common import (
    CLUSTER_TYPE,
    LIFECYCLE,
    require_cluster,
    require_draft,
    require_idle,
    software_info,
    user_name,
)
from vlcmsim.tasks.manager import TaskContext
from vlcmsim.vapi.errors import Message, already_exists, invalid_argument, not_found, unauthorized
from vlcmsim.vapi.operations import Call, OperationSet, Privilege

ops = OperationSet()

DRAFTS = "com.vmware.esx.settings.clusters.software.drafts"
DRAFT_SOFTWARE = "com.vmware.esx.settings.clusters.software.drafts.software"
W = Privilege.WRITE


def _metadata(d: Draft) -> dict[str, Any]:
    return {"owner": d.owner, "status": "VALID", "creation_time": d.creation_time}


def _owned(call: Call, cluster: str, draft: str) -> Draft:
    """A draft its caller may change: their own (anyone may read one)."""
    d = require_draft(call, cluster, draft)
    if d.owner != user_name(call):
        raise unauthorized(f"Draft {draft} belongs to {d.owner}; only its owner can change, commit or delete it.")
    return d


def _new_draft(call: Call, cluster: str, spec: SoftwareSpec | None = None) -> str:
    require_cluster(call, cluster)
    owner = user_name(call)
    mine = [d for d in call.app.desired.drafts(cluster) if d.owner == owner]
    if mine:
        raise already_exists(
            f"{LIFECYCLE}.DraftAlreadyExists",
            f"User {owner} already has draft {mine[0].id} on cluster {cluster}; delete or commit it first.",
            mine[0].id,
        )
    if spec is None:
        latest = call.app.desired.latest_commit(cluster)
        spec = latest.spec.copy() if latest else SoftwareSpec()
    return call.app.desired.create_draft(cluster, owner, spec)


@ops.operation(DRAFTS, "create", W)
async def create(call: Call, cluster: str) -> str:
    return _new_draft(call, cluster)


@ops.operation(DRAFTS, "list")
async def list_drafts(call: Call, cluster: str, filter: dict[str, Any] | None = None) -> dict[str, Any]:
    require_cluster(call, cluster)
    owners = (filter or {}).get("owners")
    return {
        d.id: {"metadata": _metadata(d)} for d in call.app.desired.drafts(cluster) if not owners or d.owner in owners
    }


@ops.operation(DRAFTS, "get")
async def get(call: Call, cluster: str, draft: str) -> dict[str, Any]:
    d = require_draft(call, cluster, draft)
    return {"metadata": _metadata(d), "software": software_info(d.spec, call)}


@ops.operation(DRAFTS, "delete", W)
async def delete(call: Call, cluster: str, draft: str) -> None:
    call.app.desired.delete_draft(_owned(call, cluster, draft).id)


@ops.operation(DRAFTS, "import_software_spec", W)
async def import_software_spec(call: Call, cluster: str, spec: dict[str, Any]) -> str:
    source = spec["source_type"]
    if source == "JSON_STRING":
        text = spec.get("software_spec")
        if text is None:
            raise invalid_argument(f"{LIFECYCLE}.MissingSoftwareSpec", "software_spec is required for JSON_STRING.")
        raw = text.encode()
    elif source == "PULL":
        location = spec.get("location")
        if location is None:
            raise invalid_argument(f"{LIFECYCLE}.MissingLocation", "location is required for PULL.")
        from vlcmsim.depot.fetch import FetchError, fetch_bytes

        try:
            raw = await fetch_bytes(location, call.app.settings.max_body_bytes)
        except FetchError as exc:
            raise invalid_argument(f"{LIFECYCLE}.ImportFailed", f"Cannot read {location}: {exc}.", location) from None
    else:
        raise invalid_argument(
            f"{LIFECYCLE}.ImportSourceUnsupported", f"Source type {source} is not supported by vlcmsim.", source
        )
    return _new_draft(call, cluster, parse_software_spec(raw))


def parse_software_spec(raw: bytes) -> SoftwareSpec:
    def bad(why: str) -> Exception:
        return invalid_argument(f"{LIFECYCLE}.InvalidSoftwareSpec", f"The software specification is not valid: {why}.")

    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise bad(f"not JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise bad("not a JSON object")
    unknown = set(doc) - {"base_image", "add_on", "components", "removed_components", "solutions", "hardware_support"}
    if unknown:
        raise bad(f"unknown field(s) {', '.join(sorted(unknown))}")
    base = doc.get("base_image")
    if not isinstance(base, dict) or not isinstance(base.get("version"), str):
        raise bad("base_image.version is required")
    add_on = doc.get("add_on")
    if add_on is not None and (
        not isinstance(add_on, dict)
        or not isinstance(add_on.get("name"), str)
        or not isinstance(add_on.get("version"), str)
    ):
        raise bad("add_on needs a name and a version")
    comps = doc.get("components") or {}
    if not isinstance(comps, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in comps.items()):
        raise bad("components must map names to versions")
    removed = doc.get("removed_components") or []
    if not isinstance(removed, list) or not all(isinstance(x, str) for x in removed):
        raise bad("removed_components must be a list of names")
    return SoftwareSpec(base["version"], (add_on["name"], add_on["version"]) if add_on else None, comps, removed)


def validation_notifications(call: Call, spec: SoftwareSpec) -> dict[str, Any]:
    from vlcmsim.lifecycle.notifications import notification
    from vlcmsim.vapi.errors import VapiError

    try:
        validate(spec, call.app.depots.catalog())
    except VapiError as err:
        return {
            "errors": [
                notification("ERROR", f"{LIFECYCLE}.DesiredStateInvalid", a, retriable=False)
                for a in err.messages[0].args
            ]
        }
    return {}


@ops.operation(DRAFTS, "validate$task", W)
async def validate_task(call: Call, cluster: str, draft: str) -> str:
    d = require_draft(call, cluster, draft)

    async def work(ctx: TaskContext) -> dict[str, Any]:
        return {"notifications": validation_notifications(call, d.spec)}

    return call.app.tasks.start(
        service=DRAFTS,
        operation="validate",
        description=Message(f"{DRAFTS}.validate", "Validate draft"),
        work=work,
        target=(CLUSTER_TYPE, cluster),
        user=call.task_user,
        result_td={"kind": "struct", "id": "com.vmware.esx.settings.clusters.software.drafts.validate_result"},
    )


@ops.operation(DRAFTS, "commit$task", W)
async def commit_task(call: Call, cluster: str, draft: str, spec: dict[str, Any]) -> str:
    d = _owned(call, cluster, draft)
    require_idle(call, cluster)
    message = spec.get("message") or ""
    author = user_name(call)

    async def work(ctx: TaskContext) -> str:
        fresh = call.app.desired.draft(cluster, d.id)
        if fresh is None:
            raise not_found(f"{LIFECYCLE}.DraftNotFound", f"Draft {d.id} of cluster {cluster} not found.", d.id)
        validate(fresh.spec, call.app.depots.catalog())
        ctx.progress(50, 100, "Committing")
        return str(call.app.desired.add_commit(cluster, author, message, fresh.spec, draft=fresh.id))

    return call.app.tasks.start(
        service=DRAFTS,
        operation="commit",
        description=Message(f"{DRAFTS}.commit", "Commit draft"),
        work=work,
        target=(CLUSTER_TYPE, cluster),
        user=call.task_user,
        result_td={"kind": "id"},
    )


# -- editing the draft's software ------------------------------------------------


@ops.operation(f"{DRAFT_SOFTWARE}.base_image", "get")
async def get_base_image(call: Call, cluster: str, draft: str) -> dict[str, Any]:
    base: dict[str, Any] = software_info(require_draft(call, cluster, draft).spec, call)["base_image"]
    return base


@ops.operation(f"{DRAFT_SOFTWARE}.base_image", "set", W)
async def set_base_image(call: Call, cluster: str, draft: str, spec: dict[str, Any]) -> None:
    d = _owned(call, cluster, draft)
    d.spec.base_image = spec["version"]
    call.app.desired.save_draft(d)


@ops.operation(f"{DRAFT_SOFTWARE}.add_on", "get")
async def get_add_on(call: Call, cluster: str, draft: str) -> dict[str, Any]:
    info = software_info(require_draft(call, cluster, draft).spec, call)
    if "add_on" not in info:
        raise not_found(f"{LIFECYCLE}.AddOnNotFound", f"Draft {draft} has no add-on.", draft)
    add_on: dict[str, Any] = info["add_on"]
    return add_on


@ops.operation(f"{DRAFT_SOFTWARE}.add_on", "set", W)
async def set_add_on(call: Call, cluster: str, draft: str, spec: dict[str, Any]) -> None:
    d = _owned(call, cluster, draft)
    d.spec.add_on = (spec["name"], spec["version"])
    call.app.desired.save_draft(d)


@ops.operation(f"{DRAFT_SOFTWARE}.add_on", "delete", W)
async def delete_add_on(call: Call, cluster: str, draft: str) -> None:
    d = _owned(call, cluster, draft)
    d.spec.add_on = None
    call.app.desired.save_draft(d)


@ops.operation(f"{DRAFT_SOFTWARE}.components", "list")
async def list_components(call: Call, cluster: str, draft: str) -> dict[str, Any]:
    components: dict[str, Any] = software_info(require_draft(call, cluster, draft).spec, call)["components"]
    return components


@ops.operation(f"{DRAFT_SOFTWARE}.components", "get")
async def get_component(call: Call, cluster: str, draft: str, component: str) -> dict[str, Any] | None:
    components = software_info(require_draft(call, cluster, draft).spec, call)["components"]
    result: dict[str, Any] | None = components.get(component)
    return result


def _set_components(d: Draft, to_set: dict[str, str | None], to_delete: list[str]) -> None:
    for name, version in to_set.items():
        if version is None:
            d.spec.components.pop(name, None)  # an unset version: follow the base image / add-on
        else:
            d.spec.components[name] = version
            if name in d.spec.removed_components:
                d.spec.removed_components.remove(name)
    for name in to_delete:
        d.spec.components.pop(name, None)


@ops.operation(f"{DRAFT_SOFTWARE}.components", "set", W)
async def set_component(call: Call, cluster: str, draft: str, component: str, version: str | None = None) -> None:
    d = _owned(call, cluster, draft)
    _set_components(d, {component: version}, [])
    call.app.desired.save_draft(d)


@ops.operation(f"{DRAFT_SOFTWARE}.components", "delete", W)
async def delete_component(call: Call, cluster: str, draft: str, component: str) -> None:
    d = _owned(call, cluster, draft)
    if component not in d.spec.components:
        raise not_found(f"{LIFECYCLE}.ComponentNotFound", f"Draft {draft} has no component {component}.", component)
    _set_components(d, {}, [component])
    call.app.desired.save_draft(d)


@ops.operation(f"{DRAFT_SOFTWARE}.components", "update", W)
async def update_components(call: Call, cluster: str, draft: str, spec: dict[str, Any]) -> None:
    d = _owned(call, cluster, draft)
    _set_components(d, spec.get("components_to_set") or {}, spec.get("components_to_delete") or [])
    call.app.desired.save_draft(d)
