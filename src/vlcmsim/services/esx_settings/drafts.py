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
from vlcmsim.lifecycle.spec import SoftwareSpec, image_of, problems
from vlcmsim.lifecycle.values import software_info
from vlcmsim.services.common import start_task
from vlcmsim.services.esx_settings import image_parts
from vlcmsim.services.esx_settings.common import (
    CLUSTERS,
    HOSTS,
    for_owners,
    require_draft,
    require_drafts_owner,
    require_idle,
)
from vlcmsim.services.esx_settings.image_parts import Located
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


@for_owners(ops, DRAFTS, "list", stored=True)
async def list_drafts(call: Call, cluster: str, filter: dict[str, Any] | None = None) -> dict[str, Any]:
    require_drafts_owner(call, cluster)
    owners = (filter or {}).get("owners")
    drafts = call.backend.desired.drafts(cluster)
    return {d.id: {"metadata": _metadata(d)} for d in drafts if not owners or d.owner in owners}


@for_owners(ops, DRAFTS, "get", stored=True)
async def get_draft(call: Call, cluster: str, draft: str) -> dict[str, Any]:
    d = require_draft(call, cluster, draft)
    info: dict[str, Any] = {"metadata": _metadata(d), "software": _info(call, d)}
    if d.spec.display_name:  # a host's draft info has it (a cluster's does not)
        info["display_name"] = d.spec.display_name
    return info


@for_owners(ops, DRAFTS, "delete", W)
async def delete_draft(call: Call, cluster: str, draft: str) -> None:
    call.backend.desired.delete_draft(cluster, owned(call, cluster, draft).id)


@for_owners(ops, DRAFTS, "import_software_spec", W)
async def import_software_spec(call: Call, cluster: str, spec: dict[str, Any]) -> str:
    require_drafts_owner(call, cluster)  # before fetching anything
    return _new_draft(call, cluster, await imported_document(call, spec))


async def imported_document(call: Call, spec: dict[str, Any]) -> SoftwareSpec:
    """The document an ImportSpec names: given inline (JSON_STRING) or at a URL (PULL)."""
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
        return parse_software_spec(raw)
    except InvalidDocument as exc:
        raise errors.invalid_software_spec(str(exc)) from None


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
    repository = call.backend.repository

    async def work(ctx: TaskContext) -> str:
        fresh = desired.draft(cluster, d.id)
        if fresh is None:
            raise errors.draft_not_found(cluster, d.id)
        found = problems(fresh.spec, depots.catalog())
        if found:
            raise errors.desired_state_invalid(found)
        ctx.progress(50, 100, "Committing")
        commit = str(desired.add_commit(cluster, author, message, fresh.spec, draft=fresh.id))
        repository.unassign(cluster)  # its image is its own now, not the repository's
        scanner.scan(cluster)  # compliance against the new commit
        return commit

    return start_task(call, work, owner.target, "Commit draft", exclusive=True)


# -- the parts of the draft's (default) image ---------------------------------------


def draft_image(call: Call, write: bool, owner: str, draft: str) -> Located:
    d = owned(call, owner, draft) if write else require_draft(call, owner, draft)
    return Located(d.spec, f"draft {draft}", lambda: call.backend.desired.save_draft(d))


def _cluster_draft(call: Call, write: bool, cluster: str, draft: str) -> Located:
    return draft_image(call, write, cluster, draft)


def _host_draft(call: Call, write: bool, host: str, draft: str) -> Located:
    return draft_image(call, write, host, draft)


image_parts.register(ops, f"{CLUSTERS}.{DRAFT_SOFTWARE}", _cluster_draft)
image_parts.register(ops, f"{HOSTS}.{DRAFT_SOFTWARE}", _host_draft)


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
