"""Drafts of the desired document of a cluster or a standalone host: create,
edit, validate, commit."""

from __future__ import annotations

from typing import Any

from vlcmsim.backend import Call
from vlcmsim.depot.fetch import FetchError
from vlcmsim.inventory.model import CLUSTER_TYPE
from vlcmsim.lifecycle import errors
from vlcmsim.lifecycle.compliance import downgrades
from vlcmsim.lifecycle.desired import Commit, Draft
from vlcmsim.lifecycle.documents import InvalidDocument, parse_software_spec
from vlcmsim.lifecycle.errors import invalid_notification
from vlcmsim.lifecycle.notifications import notifications
from vlcmsim.lifecycle.spec import SoftwareSpec, effective_components, image_of, problems
from vlcmsim.lifecycle.values import effective_component_infos, removed_component_infos, software_info
from vlcmsim.services.common import start_task
from vlcmsim.services.esx_settings.common import for_owners, require_draft, require_drafts_owner, require_idle
from vlcmsim.services.esx_settings.software import display_name
from vlcmsim.tasks.manager import TaskContext
from vlcmsim.vapi.errors import unauthorized
from vlcmsim.vapi.operations import OperationSet, Privilege

ops = OperationSet()

DRAFTS = "software.drafts"
DRAFT_SOFTWARE = "software.drafts.software"
W = Privilege.WRITE


def _metadata(d: Draft) -> dict[str, Any]:
    return {"owner": d.owner, "status": d.status, "creation_time": d.creation_time}


def owned(call: Call, cluster: str, draft: str) -> Draft:
    """A draft its caller may change: their own (anyone may read one)."""
    d = require_draft(call, cluster, draft)
    if d.owner != call.user_name:
        raise unauthorized(f"Draft {draft} belongs to {d.owner}; only its owner can change, commit or delete it.")
    return d


def _new_draft(call: Call, cluster: str, spec: SoftwareSpec | None = None) -> str:
    require_drafts_owner(call, cluster)
    owner = call.user_name
    desired = call.backend.desired
    mine = [d for d in desired.drafts(cluster) if d.owner == owner]
    if mine:
        raise errors.draft_exists(owner, cluster, mine[0].id)
    if spec is None:
        latest = desired.latest_commit(cluster)
        spec = latest.spec.copy() if latest else SoftwareSpec()
    return desired.create_draft(cluster, owner, spec)


@for_owners(ops, DRAFTS, "create", W)
async def create_draft(call: Call, cluster: str) -> str:
    return _new_draft(call, cluster)


@for_owners(ops, DRAFTS, "list")
async def list_drafts(call: Call, cluster: str, filter: dict[str, Any] | None = None) -> dict[str, Any]:
    require_drafts_owner(call, cluster)
    owners = (filter or {}).get("owners")
    drafts = call.backend.desired.drafts(cluster)
    return {d.id: {"metadata": _metadata(d)} for d in drafts if not owners or d.owner in owners}


@for_owners(ops, DRAFTS, "get")
async def get_draft(call: Call, cluster: str, draft: str) -> dict[str, Any]:
    d = require_draft(call, cluster, draft)
    info: dict[str, Any] = {"metadata": _metadata(d), "software": _info(call, d)}
    if d.spec.display_name:  # a host's draft info has it (a cluster's does not)
        info["display_name"] = d.spec.display_name
    return info


@for_owners(ops, DRAFTS, "delete", W)
async def delete_draft(call: Call, cluster: str, draft: str) -> None:
    call.backend.desired.delete_draft(owned(call, cluster, draft).id)


@for_owners(ops, DRAFTS, "import_software_spec", W)
async def import_software_spec(call: Call, cluster: str, spec: dict[str, Any]) -> str:
    require_drafts_owner(call, cluster)  # before fetching anything
    # the union rules of the import spec have made sure the source's field is set
    source = spec["source_type"]
    if source == "JSON_STRING":
        raw = spec["software_spec"].encode()
    elif source == "PULL":
        location = spec["location"]
        try:
            raw = await call.backend.fetcher.to_bytes(location, call.backend.settings.max_body_bytes)
        except FetchError as exc:
            raise errors.import_failed(location, str(exc)) from None
    else:
        raise errors.import_source_unsupported(source)
    try:
        document = parse_software_spec(raw)
    except InvalidDocument as exc:
        raise errors.invalid_software_spec(str(exc)) from None
    return _new_draft(call, cluster, document)


def _info(call: Call, d: Draft) -> dict[str, Any]:
    return software_info(d.spec, call.backend.depots.catalog())


@for_owners(ops, DRAFTS, "validate$task", W)
async def validate_task(call: Call, cluster: str, draft: str) -> str:
    d = require_draft(call, cluster, draft)
    depots = call.backend.depots

    desired = call.backend.desired

    owner = require_drafts_owner(call, cluster)
    inventory = call.backend.inventory

    async def work(ctx: TaskContext) -> dict[str, Any]:
        fresh = desired.draft(cluster, d.id) or d
        catalog = depots.catalog()
        found = problems(fresh.spec, catalog)
        desired.set_draft_status(d.id, "INVALID" if found else "VALID")
        notes = [invalid_notification(p) for p in found]
        # a valid image can still be older than what hosts run: say so before it is committed
        kind, ident = owner.target
        hosts = inventory.hosts(ident) if kind == CLUSTER_TYPE else [h for h in [inventory.host(ident)] if h]
        warned: dict[str, Any] = {}
        for host in hosts:
            running = desired.installed(host.id)
            for n in downgrades(running, image_of(fresh.spec, host), catalog) if running is not None else []:
                text = n["message"]["default_message"]
                if text not in warned:
                    n = dict(n, type="WARNING")
                    n["message"] = dict(n["message"], default_message=f"{text} (host {host.name} and maybe others)")
                    warned[text] = n
        return {"notifications": notifications(errors=notes, warnings=list(warned.values()))}

    return start_task(call, work, require_drafts_owner(call, cluster).target, "Validate draft")


@for_owners(ops, DRAFTS, "scan$task", W)
async def scan_draft(call: Call, cluster: str, draft: str) -> str:
    """The compliance the hosts would have against the draft (kept nowhere)."""
    d = require_draft(call, cluster, draft)
    owner = require_drafts_owner(call, cluster)
    backend = call.backend

    async def work(ctx: TaskContext) -> dict[str, Any]:
        fresh = backend.desired.draft(cluster, d.id) or d
        target = Commit(cluster, 0, fresh.owner, fresh.creation_time, "", "NOT_APPLIED", fresh.spec)
        result = backend.scanner.scan(cluster, target)
        assert result is not None
        result["commit"] = None  # against no commit
        for host in result.get("hosts", {}).values():
            host["commit"] = None
        return result

    return start_task(call, work, owner.target, "Check compliance against the draft")


@for_owners(ops, DRAFTS, "commit$task", W)
async def commit_task(call: Call, cluster: str, draft: str, spec: dict[str, Any]) -> str:
    d = owned(call, cluster, draft)
    owner = require_drafts_owner(call, cluster)
    require_idle(call, cluster)
    message = spec.get("message") or ""
    author = call.user_name
    desired, depots, scanner = call.backend.desired, call.backend.depots, call.backend.scanner

    async def work(ctx: TaskContext) -> str:
        fresh = desired.draft(cluster, d.id)
        if fresh is None:
            raise errors.draft_not_found(cluster, d.id)
        found = problems(fresh.spec, depots.catalog())
        if found:
            raise errors.desired_state_invalid(found)
        ctx.progress(50, 100, "Committing")
        commit = str(desired.add_commit(cluster, author, message, fresh.spec, draft=fresh.id))
        scanner.scan(cluster)  # compliance against the new commit
        return commit

    return start_task(call, work, owner.target, "Commit draft", exclusive=True)


# -- editing the draft's software ------------------------------------------------


@for_owners(ops, f"{DRAFT_SOFTWARE}.base_image", "get")
async def get_base_image(call: Call, cluster: str, draft: str) -> dict[str, Any]:
    base: dict[str, Any] = _info(call, require_draft(call, cluster, draft))["base_image"]
    return base


@for_owners(ops, f"{DRAFT_SOFTWARE}.base_image", "set", W)
async def set_base_image(call: Call, cluster: str, draft: str, spec: dict[str, Any]) -> None:
    d = owned(call, cluster, draft)
    d.spec.base_image = spec["version"]
    call.backend.desired.save_draft(d)


@for_owners(ops, f"{DRAFT_SOFTWARE}.add_on", "get")
async def get_add_on(call: Call, cluster: str, draft: str) -> dict[str, Any]:
    add_on: dict[str, Any] | None = _info(call, require_draft(call, cluster, draft))["add_on"]
    if add_on is None:
        raise errors.add_on_not_set(f"draft {draft}")
    return add_on


@for_owners(ops, f"{DRAFT_SOFTWARE}.add_on", "set", W)
async def set_add_on(call: Call, cluster: str, draft: str, spec: dict[str, Any]) -> None:
    d = owned(call, cluster, draft)
    d.spec.add_on = (spec["name"], spec["version"])
    call.backend.desired.save_draft(d)


@for_owners(ops, f"{DRAFT_SOFTWARE}.add_on", "delete", W)
async def delete_add_on(call: Call, cluster: str, draft: str) -> None:
    d = owned(call, cluster, draft)
    d.spec.add_on = None
    call.backend.desired.save_draft(d)


@for_owners(ops, f"{DRAFT_SOFTWARE}.components", "list")
async def list_components(call: Call, cluster: str, draft: str) -> dict[str, Any]:
    components: dict[str, Any] = _info(call, require_draft(call, cluster, draft))["components"]
    return components


@for_owners(ops, f"{DRAFT_SOFTWARE}.components", "get")
async def get_component(call: Call, cluster: str, draft: str, component: str) -> dict[str, Any] | None:
    components = _info(call, require_draft(call, cluster, draft))["components"]
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


@for_owners(ops, f"{DRAFT_SOFTWARE}.components", "set", W)
async def set_component(call: Call, cluster: str, draft: str, component: str, version: str | None = None) -> None:
    d = owned(call, cluster, draft)
    _set_components(d, {component: version}, [])
    call.backend.desired.save_draft(d)


@for_owners(ops, f"{DRAFT_SOFTWARE}.components", "delete", W)
async def delete_component(call: Call, cluster: str, draft: str, component: str) -> None:
    d = owned(call, cluster, draft)
    if component not in d.spec.components:
        raise errors.component_not_in_draft(draft, component)
    _set_components(d, {}, [component])
    call.backend.desired.save_draft(d)


@for_owners(ops, f"{DRAFT_SOFTWARE}.components", "update", W)
async def update_components(call: Call, cluster: str, draft: str, spec: dict[str, Any]) -> None:
    d = owned(call, cluster, draft)
    _set_components(d, spec.get("components_to_set") or {}, spec.get("components_to_delete") or [])
    call.backend.desired.save_draft(d)


# -- effective and removed components of the draft ------------------------------

DRAFT_EFFECTIVE = f"{DRAFT_SOFTWARE}.effective_components"
DRAFT_REMOVED = f"{DRAFT_SOFTWARE}.removed_components"


@for_owners(ops, DRAFT_EFFECTIVE, "list")
async def list_draft_effective_components(call: Call, cluster: str, draft: str) -> dict[str, Any]:
    spec = require_draft(call, cluster, draft).spec
    return effective_component_infos(spec, call.backend.depots.catalog())


@for_owners(ops, DRAFT_EFFECTIVE, "list_with_removed_components")
async def list_draft_effective_with_removed(call: Call, cluster: str, draft: str) -> dict[str, Any]:
    spec = require_draft(call, cluster, draft).spec
    return effective_component_infos(spec, call.backend.depots.catalog(), with_removed=True)


@for_owners(ops, DRAFT_REMOVED, "list")
async def list_draft_removed_components(call: Call, cluster: str, draft: str) -> dict[str, Any]:
    return removed_component_infos(require_draft(call, cluster, draft).spec, call.backend.depots.catalog())


@for_owners(ops, DRAFT_REMOVED, "get")
async def get_draft_removed_component(call: Call, cluster: str, draft: str, component: str) -> dict[str, Any]:
    removed: dict[str, Any] = removed_component_infos(
        require_draft(call, cluster, draft).spec, call.backend.depots.catalog()
    )
    if component not in removed:
        raise errors.component_not_removed(f"draft {draft}", component)
    info: dict[str, Any] = removed[component]
    return info


@for_owners(ops, DRAFT_REMOVED, "set", W)
async def remove_component(call: Call, cluster: str, draft: str, component: str) -> None:
    """Remove a component the draft's base image or add-on carries."""
    d = owned(call, cluster, draft)
    carried = effective_components(SoftwareSpec(d.spec.base_image, d.spec.add_on), call.backend.depots.catalog())
    if component not in carried:
        raise errors.component_not_carried(draft, component)
    if component not in d.spec.removed_components:
        d.spec.removed_components.append(component)
    d.spec.components.pop(component, None)
    call.backend.desired.save_draft(d)


@for_owners(ops, DRAFT_REMOVED, "delete", W)
async def restore_component(call: Call, cluster: str, draft: str, component: str) -> None:
    """Bring back a component the draft removed."""
    d = owned(call, cluster, draft)
    if component not in d.spec.removed_components:
        raise errors.component_not_removed(f"draft {draft}", component)
    d.spec.removed_components.remove(component)
    call.backend.desired.save_draft(d)


DISPLAY_NAME = f"{DRAFTS}.display_name"


@for_owners(ops, DISPLAY_NAME, "get")
async def get_draft_display_name(call: Call, cluster: str, draft: str) -> dict[str, Any]:
    d = require_draft(call, cluster, draft)
    return {"display_name": display_name(d.spec, require_drafts_owner(call, cluster).name)}


@for_owners(ops, DISPLAY_NAME, "set", W)
async def set_draft_display_name(call: Call, cluster: str, draft: str, spec: dict[str, Any]) -> None:
    d = owned(call, cluster, draft)
    d.spec.display_name = spec["display_name"]
    call.backend.desired.save_draft(d)
