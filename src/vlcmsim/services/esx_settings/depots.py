"""Offline depots: import (PULL, PUSH), list, get, content, delete, and one
made from a host's image."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from vlcmsim.backend import Call
from vlcmsim.depot.catalog import Catalog
from vlcmsim.depot.fetch import FetchError
from vlcmsim.depot.locations import location_problem, masked
from vlcmsim.depot.payloads import file_sha256
from vlcmsim.depot.reader import BundleError, import_bundle
from vlcmsim.depot.repository import Depot
from vlcmsim.depot.writer import export_bundle
from vlcmsim.ids import LIFECYCLE
from vlcmsim.lifecycle import errors
from vlcmsim.lifecycle.documents import software_spec_json
from vlcmsim.lifecycle.notifications import notification, notifications
from vlcmsim.lifecycle.spec import SoftwareSpec, effective_components, payloads_of
from vlcmsim.lifecycle.values import image_content, offline_content
from vlcmsim.services.common import start_done_task, start_task
from vlcmsim.tasks.manager import TaskContext
from vlcmsim.vapi.codec import now
from vlcmsim.vapi.operations import OperationSet, Privilege

ops = OperationSet()

OFFLINE = "com.vmware.esx.settings.depots.offline"
W = Privilege.WRITE
MAX_BUNDLE_BYTES = 64 * 1024**3


@ops.operation(OFFLINE, "create$task", W)
async def create_offline(call: Call, spec: dict[str, Any]) -> str:
    # the union rules of the create spec have made sure a PULL depot has a location, a PUSH one a file id
    backend = call.backend
    owner = call.user_name
    pushed: Path | None = None
    if spec["source_type"] == "PUSH":
        file_id = spec["file_id"]
        pushed = backend.settings.data_dir / "uploads" / file_id
        if not (len(file_id) == 32 and file_id.isalnum() and pushed.is_file()):
            raise errors.upload_not_found(file_id)
        location = f"upload:{file_id}"
    else:
        location = spec["location"]
        problem = location_problem(location)
        if problem is not None:
            raise errors.depot_location_invalid(location, problem)

    async def work(ctx: TaskContext) -> dict[str, str]:
        tmp = backend.payloads.tmp / f"bundle-{uuid.uuid4().hex}.zip"
        try:
            ctx.progress(0, 100, "Downloading the bundle")
            if pushed is not None:
                await asyncio.to_thread(os.replace, pushed, tmp)  # the upload becomes the import's own
            else:
                try:
                    await backend.fetcher.to_file(location, tmp, MAX_BUNDLE_BYTES)
                except FetchError as exc:
                    raise errors.depot_download_failed(location, str(exc)) from None
            digest = await asyncio.to_thread(file_sha256, tmp)
            known = backend.depots.from_bundle(digest)
            if known is not None:
                raise errors.depot_exists(known.id, location)
            ctx.progress(40, 100, "Checking and importing the bundle")
            try:
                content = await asyncio.to_thread(import_bundle, tmp, backend.payloads)
            except BundleError as exc:
                raise errors.depot_invalid(location, str(exc)) from None
            depot_id = backend.depots.add(
                content,
                description=spec.get("description") or "",
                source_type=spec["source_type"],
                location=None if pushed is not None else location,
                file_id=spec.get("file_id"),
                file_name="bundle.zip" if pushed is not None else Path(urlparse(location).path).name or "bundle.zip",
                owner=owner,
                create_time=now(),
                bundle_sha256=digest,
            )
            return {"depot": depot_id}
        finally:
            tmp.unlink(missing_ok=True)

    return start_task(call, work, description="Import offline depot", cancelable=True)


@ops.operation(OFFLINE, "list", stored=True)
async def list_offline(call: Call) -> dict[str, Any]:
    return {d.id: _summary(call, d) for d in call.backend.depots.list() if not d.online}


def _summary(call: Call, d: Depot) -> dict[str, Any]:
    location = d.location if call.user and call.user.can_write else masked(d.location)
    return {
        "description": d.description,
        "source_type": d.source_type,
        "location": location,
        "file_id": d.file_id,
        "owner": d.owner,
    }


def _require_depot(call: Call, depot: str) -> Depot:
    d = call.backend.depots.get(depot)
    if d is None or d.online:
        raise errors.depot_not_found(depot)
    return d


@ops.operation(OFFLINE, "get", stored=True)
async def get_offline(call: Call, depot: str) -> dict[str, Any]:
    d = _require_depot(call, depot)
    return {**_summary(call, d), "create_time": d.create_time}


def _uses(call: Call, depot: Depot) -> list[str]:
    """Clusters and standalone hosts whose latest commit needs something only this depot holds."""
    backend = call.backend
    others = Catalog.merge([d.content for d in backend.depots.list() if d.id != depot.id])
    mine = Catalog.merge([depot.content])
    users = []
    owners = [c.id for c in backend.inventory.clusters()] + [h.id for h in backend.inventory.standalone_hosts()]
    for owner in owners:
        commit = backend.desired.latest_commit(owner)
        if commit is None:
            continue
        spec = commit.spec
        needs_base = spec.base_image in mine.base_images and spec.base_image not in others.base_images
        needs_add_on = spec.add_on in mine.add_ons and spec.add_on not in others.add_ons
        needs_component = any(
            (n, e.version) in mine.components and (n, e.version) not in others.components
            for n, e in effective_components(spec, backend.depots.catalog()).items()
        )
        if needs_base or needs_add_on or needs_component:
            users.append(owner)
    return users


@ops.operation(OFFLINE, "delete", W)
async def delete_offline(call: Call, depot: str, spec: dict[str, Any] | None = None) -> None:
    d = _require_depot(call, depot)
    check_deletable(call, d, force=False)
    call.backend.depots.delete(depot)


def check_deletable(call: Call, d: Depot, force: bool) -> None:
    """ResourceInUse while a desired state needs what only this depot holds
    (unless forced) or a running stage or apply moves its payloads."""
    users = [] if force else _uses(call, d)
    if users:
        raise errors.depot_in_use(d.id, [f"the desired state of {u}" for u in users])
    if call.backend.depots.pins.any_of(call.backend.depots.exclusive_payloads(d.id)):
        raise errors.depot_in_use(d.id, ["a running stage or apply"])


@ops.operation(OFFLINE, "delete$task", W)
async def delete_offline_task(call: Call, depot: str, spec: dict[str, Any] | None = None) -> str:
    await delete_offline(call, depot, spec)  # checks and deletes before the task: nothing long to do

    return start_done_task(call, "Delete offline depot")


@ops.operation(f"{OFFLINE}.content", "get")
async def get_offline_content(call: Call, depot: str) -> dict[str, Any]:
    d = _require_depot(call, depot)
    return offline_content(d.file_name, d.content)


@ops.operation(OFFLINE, "create_from_host$task", W)
async def create_from_host(call: Call, spec: dict[str, Any]) -> str:
    """An offline depot of the image a host runs: its installed payloads,
    written as a bundle and imported (a bundle imported before is not again)."""
    backend = call.backend
    if spec["auth_type"] == "EXISTING":
        host = backend.inventory.host(spec["host"])
        if host is None:
            raise errors.host_not_found(spec["host"])
    else:
        credential = spec["host_credential"]
        host = backend.inventory.host_named(credential["host_name"])
        if host is None:
            raise errors.host_not_found(credential["host_name"])
        if not credential["user_name"] or not credential["password"]:
            raise errors.host_login_failed(credential["host_name"])
    if host.connection_state != "CONNECTED":
        raise errors.host_unreachable(host.name, host.connection_state)
    installed = backend.desired.installed(host.id) or SoftwareSpec()
    found = backend.depots.catalog()
    needed = {p.sha256 for p in payloads_of(installed, found)}
    owner, h = call.user_name, host

    async def work(ctx: TaskContext) -> dict[str, Any]:
        ctx.progress(0, 100, f"Reading the image of host {h.name}")
        await backend.syncer.ensure(needed)
        content = image_content(installed, backend.depots.catalog())
        tmp = backend.payloads.tmp / f"host-{uuid.uuid4().hex}.zip"
        try:
            await asyncio.to_thread(export_bundle, content, backend.payloads, tmp)
            ctx.progress(50, 100, "Importing the bundle")
            digest = await asyncio.to_thread(file_sha256, tmp)
            notes: list[dict[str, Any]] = []
            known = backend.depots.from_bundle(digest)
            if known is not None:
                depot_id = known.id
                notes.append(
                    notification("INFO", f"{LIFECYCLE}.DepotKnown", f"Depot {known.id} already holds this image.")
                )
            else:
                try:
                    imported = await asyncio.to_thread(import_bundle, tmp, backend.payloads)
                except BundleError as exc:
                    raise errors.depot_invalid(f"host {h.name}", str(exc)) from None
                depot_id = backend.depots.add(
                    imported,
                    description=f"The image of host {h.name}",
                    location=f"{FROM_HOST}{h.id}/{h.name}.zip",
                    file_name=f"{h.name}.zip",
                    owner=owner,
                    create_time=now(),
                    bundle_sha256=digest,
                )
        finally:
            tmp.unlink(missing_ok=True)
        return {
            "notifications": notifications(info=notes),
            "software_spec": software_spec_json(installed),
            "result": {"depot": depot_id},
        }

    return start_task(call, work, description="Create an offline depot from a host", cancelable=True)


FROM_HOST = "vlcmsim://host/"  # the location of a depot extracted from a host's image
