"""Offline depots: import (PULL), list, get, content, delete."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from vlcmsim.depot.fetch import FetchError, fetch_to_file
from vlcmsim.depot.reader import BundleError, import_bundle
from vlcmsim.lifecycle.spec import effective_components
from vlcmsim.services.esx_settings.common import LIFECYCLE, user_name
from vlcmsim.tasks.manager import TaskContext
from vlcmsim.vapi.codec import now
from vlcmsim.vapi.errors import Message, invalid_argument, not_found, resource_in_use
from vlcmsim.vapi.operations import Call, OperationSet, Privilege

ops = OperationSet()

OFFLINE = "com.vmware.esx.settings.depots.offline"
W = Privilege.WRITE
MAX_BUNDLE_BYTES = 64 * 1024**3


@ops.operation(OFFLINE, "create$task", W)
async def create_offline(call: Call, spec: dict[str, Any]) -> str:
    if spec["source_type"] != "PULL":
        raise invalid_argument(
            f"{LIFECYCLE}.DepotSourceUnsupported", "Only PULL depots are supported: give a location.", "source_type"
        )
    location = spec.get("location")
    if not location:
        raise invalid_argument(
            f"{LIFECYCLE}.DepotLocationMissing", "location is required for a PULL depot.", "location"
        )
    if urlparse(location).scheme.lower() not in ("http", "https", "file"):
        raise invalid_argument(
            f"{LIFECYCLE}.DepotLocationInvalid",
            f"Unsupported depot location {location}: use http(s):// or file://.",
            location,
        )
    app = call.app
    owner = user_name(call)

    async def work(ctx: TaskContext) -> dict[str, str]:
        tmp = app.payloads.tmp / f"bundle-{uuid.uuid4().hex}.zip"
        try:
            ctx.progress(0, 100, "Downloading the bundle")
            try:
                await fetch_to_file(location, tmp, MAX_BUNDLE_BYTES)
            except FetchError as exc:
                raise invalid_argument(
                    f"{LIFECYCLE}.DepotDownloadFailed", f"Cannot download {location}: {exc}.", location
                ) from None
            ctx.progress(40, 100, "Checking and importing the bundle")
            try:
                content = await asyncio.to_thread(import_bundle, tmp, app.payloads)
            except BundleError as exc:
                raise invalid_argument(
                    f"{LIFECYCLE}.DepotInvalid", f"The bundle at {location} is refused: {exc}.", location
                ) from None
            depot_id = app.depots.add(
                content,
                description=spec.get("description") or "",
                location=location,
                file_name=Path(urlparse(location).path).name or "bundle.zip",
                owner=owner,
                create_time=now(),
            )
            return {"depot": depot_id}
        finally:
            tmp.unlink(missing_ok=True)

    return app.tasks.start(
        service=OFFLINE,
        operation="create",
        description=Message(f"{OFFLINE}.create", "Import offline depot"),
        work=work,
        user=call.task_user,
        result_td={"kind": "struct", "id": "com.vmware.esx.settings.depots.offline.create_result"},
    )


@ops.operation(OFFLINE, "list")
async def list_offline(call: Call) -> dict[str, Any]:
    return {d.id: _summary(d) for d in call.app.depots.list()}


def _summary(d: Any) -> dict[str, Any]:
    value = {"description": d.description, "source_type": d.source_type, "location": d.location}
    if d.owner:
        value["owner"] = d.owner
    return value


def _require_depot(call: Call, depot: str) -> Any:
    d = call.app.depots.get(depot)
    if d is None:
        raise not_found(f"{LIFECYCLE}.DepotNotFound", f"Depot {depot} not found.", depot)
    return d


@ops.operation(OFFLINE, "get")
async def get_offline(call: Call, depot: str) -> dict[str, Any]:
    d = _require_depot(call, depot)
    return {**_summary(d), "create_time": d.create_time}


def _uses(call: Call, depot: Any) -> list[str]:
    """Clusters whose latest commit needs something only this depot holds."""
    from vlcmsim.depot.catalog import Catalog

    others = Catalog.merge([d.content for d in call.app.depots.list() if d.id != depot.id])
    mine = Catalog.merge([depot.content])
    users = []
    for c in call.app.inventory.clusters():
        commit = call.app.desired.latest_commit(c.id)
        if commit is None:
            continue
        spec = commit.spec
        needs_base = spec.base_image in mine.base_images and spec.base_image not in others.base_images
        needs_add_on = spec.add_on in mine.add_ons and spec.add_on not in others.add_ons
        needs_component = any(
            (n, e.version) in mine.components and (n, e.version) not in others.components
            for n, e in effective_components(spec, call.app.depots.catalog()).items()
        )
        if needs_base or needs_add_on or needs_component:
            users.append(c.id)
    return users


@ops.operation(OFFLINE, "delete", W)
async def delete_offline(call: Call, depot: str, spec: dict[str, Any] | None = None) -> None:
    d = _require_depot(call, depot)
    users = _uses(call, d)
    if users:
        raise resource_in_use(
            f"{LIFECYCLE}.DepotInUse",
            f"Depot {depot} holds content that the desired state of {', '.join(users)} uses.",
            *users,
        )
    call.app.depots.delete(depot)


@ops.operation(OFFLINE, "delete$task", W)
async def delete_offline_task(call: Call, depot: str, spec: dict[str, Any] | None = None) -> str:
    await delete_offline(call, depot, spec)  # checks and deletes before the task: nothing long to do

    async def work(ctx: TaskContext) -> dict[str, Any]:
        return {}

    return call.app.tasks.start(
        service=OFFLINE,
        operation="delete",
        description=Message(f"{OFFLINE}.delete", "Delete offline depot"),
        work=work,
        user=call.task_user,
        result_td={"kind": "struct", "id": "com.vmware.esx.settings.depots.offline.delete_result"},
    )


@ops.operation(f"{OFFLINE}.content", "get")
async def get_offline_content(call: Call, depot: str) -> dict[str, Any]:
    d = _require_depot(call, depot)
    c = d.content
    addons: dict[str, Any] = {}
    for a in c.add_ons:
        s = addons.setdefault(a.name, {"display_name": a.display_name, "vendor": a.vendor, "versions": []})
        s["versions"].append({"version": a.version, "display_version": a.display_version})
    independent: dict[str, Any] = {}
    in_images = {(n, v) for b in c.base_images for n, v in b.components.items()} | {
        (n, v) for a in c.add_ons for n, v in a.components.items()
    }
    for x in c.components:
        if (x.name, x.version) in in_images:
            continue
        s = independent.setdefault(x.name, {"display_name": x.display_name, "versions": []})
        s["versions"].append({"version": x.version, "display_version": x.display_version})
    info: dict[str, Any] = {"file_name": d.file_name}
    if c.base_images:
        info["base_images"] = [
            {"version": b.version, "display_name": b.display_name, "display_version": b.display_version}
            for b in c.base_images
        ]
    if addons:
        info["addons"] = addons
    if independent:
        info["independent_components"] = independent
    return {"metadata_bundles": {c.vendor: [info]}}
