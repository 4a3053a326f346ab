"""vSphere 9's image repository (esx.settings.repository.software*): software
specs kept centrally, created, copied, edited and imported through one draft
per user, and assigned to clusters and standalone hosts
(esx.settings.inventory.assign_entities): an assigned entity's desired image
becomes a commit of the spec, and every later commit of the spec's edits
becomes a commit of each entity it is assigned to, which then scans again."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from vlcmsim.backend import Backend, Call
from vlcmsim.ids import LIFECYCLE
from vlcmsim.inventory.model import CLUSTER_TYPE, HOST_TYPE, is_host
from vlcmsim.lifecycle import errors
from vlcmsim.lifecycle.documents import software_spec_json
from vlcmsim.lifecycle.errors import invalid_notification
from vlcmsim.lifecycle.notifications import notification, notifications
from vlcmsim.lifecycle.repository import RepositoryDraft, RepositorySpec
from vlcmsim.lifecycle.spec import SoftwareSpec, problems
from vlcmsim.lifecycle.values import software_info, software_spec_value, spec_from_value
from vlcmsim.services.common import start_task
from vlcmsim.services.esx_settings import alternative_images, image_parts
from vlcmsim.services.esx_settings.drafts import imported_document
from vlcmsim.services.esx_settings.image_parts import Located
from vlcmsim.services.esx_settings.software import export_image
from vlcmsim.services.esx_settings.transition import owners_named
from vlcmsim.tasks.manager import TaskContext
from vlcmsim.vapi.errors import (
    VapiError,
    already_exists,
    invalid_argument,
    not_found,
    resource_in_use,
    unauthorized,
)
from vlcmsim.vapi.operations import OperationSet, Privilege

ops = OperationSet()
W = Privilege.WRITE
SOFTWARE = "com.vmware.esx.settings.repository.software"
DRAFTS = f"{SOFTWARE}.drafts"
REPOSITORY = "repository"  # the owner part of a repository spec's export URLs


# -- errors --------------------------------------------------------------------------


def spec_not_found(spec_id: str) -> VapiError:
    return not_found(
        f"{LIFECYCLE}.repository.SoftwareSpecNotFound", f"Software spec {spec_id} is not in the repository.", spec_id
    )


def draft_not_found(draft: str) -> VapiError:
    return not_found(f"{LIFECYCLE}.repository.DraftNotFound", f"Draft {draft} is not in the repository.", draft)


def draft_exists(owner: str, draft: str) -> VapiError:
    return already_exists(
        f"{LIFECYCLE}.repository.DraftAlreadyExists",
        f"User {owner} already has draft {draft} in the repository; commit or delete it first, "
        "or set delete_existing_draft.",
        draft,
    )


# -- values ----------------------------------------------------------------------------


def image_hash(spec: SoftwareSpec) -> str:
    value = software_spec_value(spec)
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _assigned(backend: Backend, spec_id: str) -> dict[str, Any]:
    inventory = backend.inventory
    clusters, hosts = [], []
    for a in backend.repository.assignments():
        if a.software_spec != spec_id:
            continue
        if is_host(a.entity):
            h = inventory.host(a.entity)
            if h is not None:
                hosts.append({"id": h.id, "name": h.name})
        else:
            c = inventory.cluster(a.entity)
            if c is not None:
                clusters.append({"id": c.id, "name": c.name})
    return {"clusters": clusters, "hosts": hosts}


def _record(backend: Backend, s: RepositorySpec, with_id: bool) -> dict[str, Any]:
    value: dict[str, Any] = {
        "display_name": s.display_name,
        "type": "COMPOSITE" if s.spec.alternative_images else "SINGLE",
        "software_info": software_info(s.spec, backend.depots.catalog()),
        "software_spec": software_spec_value(s.spec),
        "assigned_entities": _assigned(backend, s.id),
        "editable": s.orchestrator is None or not s.orchestrator.get("owner"),
        "creation_time": s.creation_time,
        "modified_time": s.modified_time,
        "orchestrator_info": s.orchestrator,
        "image_hash": image_hash(s.spec),
    }
    return {"id": s.id, **value} if with_id else value


def _require_spec(call: Call, spec_id: str) -> RepositorySpec:
    found = call.backend.repository.spec(spec_id)
    if found is None:
        raise spec_not_found(spec_id)
    return found


# -- software specs ----------------------------------------------------------------------


@ops.operation(SOFTWARE, "list")
async def list_specs(
    call: Call,
    filter: dict[str, Any] | None = None,
    iterate: dict[str, Any] | None = None,
    sort: dict[str, Any] | None = None,
) -> dict[str, Any]:
    owners = set((filter or {}).get("owners") or ())
    names = set((filter or {}).get("display_names") or ())
    records = []
    for s in call.backend.repository.specs():
        who = {s.author, (s.orchestrator or {}).get("owner")}
        if (owners and not owners & who) or (names and s.display_name not in names):
            continue
        records.append(_record(call.backend, s, with_id=True))
    return {"records": records}


@ops.operation(SOFTWARE, "get")
async def get_spec(call: Call, software_spec: str) -> dict[str, Any]:
    return _record(call.backend, _require_spec(call, software_spec), with_id=False)


@ops.operation(SOFTWARE, "check_repository")
async def check_repository(call: Call, spec: dict[str, Any]) -> dict[str, Any]:
    """The specs whose name, or whose content, is the one given."""
    name, value = spec.get("display_name"), spec.get("software_spec")
    if name is None and value is None:
        raise invalid_argument(
            f"{LIFECYCLE}.repository.EmptyCheck", "Give a display_name, a software_spec or both to check.", "spec"
        )
    wanted = image_hash(spec_from_value(value)) if value is not None else None
    matches = []
    for s in call.backend.repository.specs():
        kinds = []
        if name is not None and s.display_name == name:
            kinds.append("NAME_MATCH")
        if wanted is not None and image_hash(s.spec) == wanted:
            kinds.append("SOFTWARE_SPEC_MATCH")
        if kinds:
            matches.append({"match_types": kinds, "record": _record(call.backend, s, with_id=True)})
    return {"matches": matches}


@ops.operation(SOFTWARE, "update", W)
async def update_spec(call: Call, software_spec: str, spec: dict[str, Any]) -> None:
    found = _require_spec(call, software_spec)
    values: dict[str, Any] = {}
    if spec.get("display_name"):
        values["display_name"] = _unique_name(call, spec["display_name"], software_spec)
    if spec.get("orchestrator") is not None:
        values["orchestrator"] = spec["orchestrator"]
    if values:
        call.backend.repository.update(found.id, **values)


@ops.operation(SOFTWARE, "delete", W)
async def delete_spec(call: Call, software_spec: str) -> None:
    found = _require_spec(call, software_spec)
    using = _assigned(call.backend, found.id)
    names = [e["name"] for e in using["clusters"] + using["hosts"]]
    if names:
        raise resource_in_use(
            f"{LIFECYCLE}.repository.SoftwareSpecInUse",
            f"Software spec {found.display_name!r} is assigned to {', '.join(names)}; assign them another first.",
            found.id,
        )
    repository = call.backend.repository
    for d in repository.drafts():
        if d.edits and d.software_spec == found.id:
            repository.delete_draft(d.id)
    repository.delete(found.id)


@ops.operation(SOFTWARE, "export")
async def export_spec(call: Call, software_spec: str, spec: dict[str, Any]) -> dict[str, str]:
    found = _require_spec(call, software_spec)
    image, name = found.spec, f"{found.id}@{found.revision}"
    if spec.get("export_only_default_image"):
        image, name = image.default_image(), f"{name}~default"
    return await export_image(call, spec, image, (REPOSITORY, name), found.display_name)


def exported_spec(backend: Backend, name: str) -> bytes | None:
    """The SOFTWARE_SPEC file an export URL of the repository serves."""
    spec = repository_document(backend, name)
    return orjson.dumps(software_spec_json(spec), option=orjson.OPT_INDENT_2) if spec is not None else None


def repository_document(backend: Backend, name: str) -> SoftwareSpec | None:
    """The spec an export URL of the repository names ("software-spec-3@2", "...~default"):
    None once the spec has changed since (the URL named a revision that is gone)."""
    key, _, part = name.partition("~")
    spec_id, _, revision = key.partition("@")
    found = backend.repository.spec(spec_id)
    if found is None or str(found.revision) != revision or part not in ("", "default"):
        return None
    return found.spec.default_image() if part else found.spec


def _repository_spec(call: Call, write: bool, software_spec: str) -> Located:
    found = _require_spec(call, software_spec)
    return Located(found.spec, f"software spec {found.display_name!r}")


# its effective components (and those of its alternative images): read only
image_parts.register(ops, SOFTWARE, _repository_spec)
alternative_images.register(ops, f"{SOFTWARE}.alternative_images", f"{SOFTWARE}.alternative_images", _repository_spec)


# -- drafts -------------------------------------------------------------------------------


def _new_draft(
    call: Call,
    display_name: str,
    spec: SoftwareSpec,
    replace: bool,
    edits: str | None = None,
    copied_from: str | None = None,
) -> str:
    repository, user = call.backend.repository, call.user_name
    mine = repository.draft_of(user)
    if mine is not None and not replace:
        raise draft_exists(user, mine.id)
    spec.display_name = None  # kept beside the document
    return repository.create_draft(
        user, display_name, spec, edits=edits, copied_from=copied_from, replace_existing=replace
    )


@ops.operation(DRAFTS, "create", W)
async def create_draft(call: Call, spec: dict[str, Any]) -> str:
    """An empty draft of a new spec: it needs a name and a base image before it can be committed."""
    return _new_draft(call, "", SoftwareSpec(), bool(spec.get("delete_existing_draft")))


@ops.operation(SOFTWARE, "copy", W)
async def copy_spec(call: Call, software_spec: str, spec: dict[str, Any]) -> str:
    """A draft of a new spec that starts as a copy; it must get another name before it is committed."""
    found = _require_spec(call, software_spec)
    return _new_draft(
        call,
        found.display_name,
        found.spec.copy(),
        bool(spec.get("delete_existing_draft")),
        copied_from=found.id,
    )


@ops.operation(SOFTWARE, "edit", W)
async def edit_spec(call: Call, software_spec: str, spec: dict[str, Any]) -> str:
    """The caller's draft of an existing spec: the one they have, else a new one."""
    found = _require_spec(call, software_spec)
    mine = call.backend.repository.draft_of(call.user_name)
    if mine is not None and mine.edits and mine.software_spec == found.id:
        return mine.id
    return _new_draft(
        call, found.display_name, found.spec.copy(), bool(spec.get("delete_existing_draft")), edits=found.id
    )


@ops.operation(DRAFTS, "import_software_spec", W)
async def import_software_spec(call: Call, spec: dict[str, Any]) -> str:
    mine = call.backend.repository.draft_of(call.user_name)
    replace = bool(spec.get("delete_existing_draft"))
    if mine is not None and not replace:  # before fetching anything
        raise draft_exists(call.user_name, mine.id)
    document = await imported_document(call, spec)
    return _new_draft(call, spec["display_name"].strip(), document, replace)


def _draft_info(call: Call, d: RepositoryDraft) -> dict[str, Any]:
    return {
        "metadata": {"owner": d.owner, "status": d.status, "creation_time": d.creation_time},
        "display_name": d.display_name,
        "software_spec": d.software_spec,
        "software_info": software_info(d.spec, call.backend.depots.catalog()),
    }


def require_draft(call: Call, draft: str, write: bool = False) -> RepositoryDraft:
    """A repository draft; one to change must be the caller's own."""
    d = call.backend.repository.draft(draft)
    if d is None:
        raise draft_not_found(draft)
    if write and d.owner != call.user_name:
        raise unauthorized(f"Draft {draft} belongs to {d.owner}; only its owner can change, commit or delete it.")
    return d


@ops.operation(DRAFTS, "list")
async def list_drafts(call: Call, filter: dict[str, Any] | None = None) -> dict[str, Any]:
    ids = set((filter or {}).get("software_spec_ids") or ())
    owners = set((filter or {}).get("owners") or ())
    return {
        d.id: _draft_info(call, d)
        for d in call.backend.repository.drafts()
        if (not ids or d.software_spec in ids) and (not owners or d.owner in owners)
    }


@ops.operation(DRAFTS, "get")
async def get_draft(call: Call, draft: str) -> dict[str, Any]:
    return _draft_info(call, require_draft(call, draft))


@ops.operation(DRAFTS, "delete", W)
async def delete_draft(call: Call, draft: str) -> None:
    call.backend.repository.delete_draft(require_draft(call, draft, write=True).id)


@ops.operation(f"{DRAFTS}.display_name", "get")
async def get_draft_display_name(call: Call, draft: str) -> dict[str, Any]:
    return {"display_name": require_draft(call, draft).display_name}


@ops.operation(f"{DRAFTS}.display_name", "set", W)
async def set_draft_display_name(call: Call, draft: str, spec: dict[str, Any]) -> None:
    d = require_draft(call, draft, write=True)
    name = spec["display_name"].strip()
    if not name or len(name) > 256:
        raise errors.bad_display_name()
    d.display_name = name
    call.backend.repository.save_draft(d)


def _repository_draft(call: Call, write: bool, draft: str) -> Located:
    d = require_draft(call, draft, write)
    return Located(d.spec, f"draft {draft}", lambda: call.backend.repository.save_draft(d))


image_parts.register(ops, DRAFTS, _repository_draft)
alternative_images.register(ops, f"{DRAFTS}.alternative_images", f"{DRAFTS}.alternative_images", _repository_draft)


def _unique_name(call: Call, name: str, spec_id: str | None) -> str:
    name = name.strip()
    if not name or len(name) > 256:
        raise errors.bad_display_name()
    other = call.backend.repository.named(name)
    if other is not None and other.id != spec_id:
        raise already_exists(
            f"{LIFECYCLE}.repository.NameInUse", f"Software spec {other.id} is already named {name!r}.", name
        )
    return name


def draft_problems(call: Call, d: RepositoryDraft) -> list[str]:
    """What stops the draft from being committed, each a sentence."""
    found = problems(d.spec, call.backend.depots.catalog())
    if not d.display_name.strip():
        found.append("the draft has no display name")
    else:
        other = call.backend.repository.named(d.display_name.strip())
        if other is not None and other.id != d.software_spec:
            found.append(f"software spec {other.id} is already named {d.display_name!r}: give the draft another name")
    if d.edits and call.backend.repository.spec(d.software_spec) is None:
        found.append(f"software spec {d.software_spec}, which the draft edits, is not in the repository any more")
    return found


@ops.operation(DRAFTS, "validate$task", W)
async def validate_draft(call: Call, draft: str) -> str:
    d = require_draft(call, draft)
    repository = call.backend.repository

    async def work(ctx: TaskContext) -> dict[str, Any]:
        fresh = repository.draft(d.id) or d
        found = draft_problems(call, fresh)
        repository.set_draft_status(fresh.id, "INVALID" if found else "VALID")
        return {"notifications": notifications(errors=[invalid_notification(p) for p in found])}

    return start_task(call, work, None, "Validate repository draft")


@ops.operation(DRAFTS, "commit$task", W)
async def commit_draft(call: Call, draft: str, spec: dict[str, Any]) -> str:
    """The draft becomes the spec (new, or the edited one's next revision); an
    edit reaches every cluster and host the spec is assigned to as a new commit."""
    d = require_draft(call, draft, write=True)
    backend, author = call.backend, call.user_name
    message = spec.get("message")
    orchestrator = spec.get("orchestrator")

    async def work(ctx: TaskContext) -> str:
        fresh = backend.repository.draft(d.id)
        if fresh is None:
            raise draft_not_found(d.id)
        found = draft_problems(call, fresh)
        if found:
            raise errors.desired_state_invalid(found)
        ctx.progress(30, 100, "Committing")
        committed = backend.repository.commit(fresh, author, orchestrator)
        if fresh.edits:
            for a in backend.repository.assignments():
                if a.software_spec == committed.id:
                    take(backend, a.entity, committed, author, message)
        return committed.id

    return start_task(call, work, None, "Commit repository draft", exclusive=True)


def take(backend: Backend, entity: str, s: RepositorySpec, author: str, message: str | None = None) -> None:
    """The entity's desired image becomes the spec: a commit of its own, then a scan."""
    image = s.spec.copy()
    image.display_name = s.display_name
    text = message or f"Image {s.display_name!r} from the image repository (revision {s.revision})"
    backend.desired.add_commit(entity, author, text, image, draft=None)
    backend.repository.assign(entity, s.id, s.revision)
    backend.scanner.scan(entity)


# -- assigning specs to clusters and standalone hosts ------------------------------------

MAPS = ("datacenter_results", "folder_results", "cluster_results", "host_results")


@ops.operation("com.vmware.esx.settings.inventory", "assign_entities$task", W)
async def assign_entities(call: Call, input_spec: dict[str, Any]) -> str:
    s = _require_spec(call, input_spec["software_spec_id"])
    entities = input_spec["entities"]
    owners = owners_named(call, entities)
    backend, author = call.backend, call.user_name

    async def work(ctx: TaskContext) -> dict[str, Any]:
        fresh = backend.repository.spec(s.id)
        if fresh is None:
            raise spec_not_found(s.id)
        found = problems(fresh.spec, backend.depots.catalog())
        if found:
            raise errors.desired_state_invalid(found)
        out: dict[str, Any] = {m: {} for m in MAPS}
        for n, owner in enumerate(owners):
            ctx.progress(n, max(len(owners), 1), f"Assigning {fresh.display_name} to {owner}")
            out["host_results" if is_host(owner) else "cluster_results"][owner] = _assign(backend, owner, fresh, author)
        # what was named by a datacenter or folder: its result says how its clusters and hosts went
        for kind, key in (("DATACENTER", "datacenters"), ("FOLDER", "folders")):
            if entities.get("type") == kind:
                failed = [o for m in ("cluster_results", "host_results") for o, r in out[m].items()
                          if r["status"] == "FAILED"]  # fmt: skip
                for named in entities.get(key) or ():
                    out[f"{kind.lower()}_results"][named] = {
                        "status": "FAILED" if failed else "COMPLETED",
                        "notifications": notifications(),
                    }
        ctx.progress(1, 1, "Done")
        return out

    return start_task(call, work, None, "Assign a software spec", exclusive=True)


def _assign(backend: Backend, owner: str, s: RepositorySpec, author: str) -> dict[str, Any]:
    inventory = backend.inventory
    if is_host(owner):
        h = inventory.host(owner)
        managed, name = bool(h and h.image_managed), (h.name if h else owner)
        kind = HOST_TYPE
    else:
        c = inventory.cluster(owner)
        managed, name = bool(c and c.image_managed), (c.name if c else owner)
        kind = CLUSTER_TYPE
    if not managed:
        note = notification(
            "ERROR",
            f"{LIFECYCLE}.repository.NotImageManaged",
            f"{name} is not managed with an image: transition it to an image first.",
        )
        return {"status": "FAILED", "notifications": notifications(errors=[note])}
    busy = backend.tasks.running_on((kind, owner))
    if busy is not None:
        note = notification(
            "ERROR",
            f"{LIFECYCLE}.repository.Busy",
            f"{name} is running {busy.operation} ({busy.id}): assign the spec when it is done.",
        )
        return {"status": "FAILED", "notifications": notifications(errors=[note])}
    take(backend, owner, s, author)
    note = notification(
        "INFO", f"{LIFECYCLE}.repository.Assigned", f"{name} is to run {s.display_name!r} (revision {s.revision})."
    )
    return {"status": "COMPLETED", "notifications": notifications(info=[note])}
