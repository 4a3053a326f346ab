"""The desired software of a cluster or a standalone host:
esx.settings.{clusters,hosts}.software and its commits, base-image, add-on,
components and compliance; software enablement."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from vlcmsim.backend import Call
from vlcmsim.depot.iso import export_iso
from vlcmsim.depot.writer import export_bundle
from vlcmsim.inventory.model import owner_text
from vlcmsim.lifecycle import errors
from vlcmsim.lifecycle.documents import export_token, software_spec_json
from vlcmsim.lifecycle.spec import SoftwareSpec
from vlcmsim.lifecycle.values import (
    component_info,
    effective_component_infos,
    image_content,
    removed_component_infos,
    software_info,
)
from vlcmsim.services.common import start_task
from vlcmsim.services.esx_settings.common import (
    for_owners,
    require_commit,
    require_desired,
    require_image_managed,
)
from vlcmsim.tasks.manager import TaskContext
from vlcmsim.vapi.operations import OperationSet, Privilege

ops = OperationSet()

SOFTWARE = "software"
EXPORT_PATH = "/vum/repository/software-specs"
BUNDLES_PATH = "/vum/repository/exports"


def _desired_info(call: Call, owner: str) -> dict[str, Any]:
    return software_info(require_desired(call, owner).spec, call.backend.depots.catalog())


@for_owners(ops, SOFTWARE, "get", stored=True)
async def get_software(call: Call, owner: str) -> dict[str, Any]:
    return _desired_info(call, owner)


@for_owners(ops, SOFTWARE, "export")
async def export_software(call: Call, cluster: str, spec: dict[str, Any]) -> dict[str, str]:
    """URLs of the desired image as a software spec and as an offline bundle
    (built once per commit from the payloads the depots hold)."""
    commit = require_desired(call, cluster)
    title = display_name(commit.spec, require_image_managed(call, cluster).name)
    return await export_image(call, spec, commit.spec, (cluster, str(commit.id)), title)


async def export_image(
    call: Call, spec: dict[str, Any], image: SoftwareSpec, key: tuple[str, str], title: str
) -> dict[str, str]:
    """The URLs an ExportSpec asks for, of `image`, which the export server finds
    again by `key` (owner, name): (cluster, commit), (cluster, "commit~image"),
    ("repository", software spec id). Bundles and ISOs are built once per key."""
    backend = call.backend
    owner, name = key
    urls: dict[str, str] = {}
    if spec.get("export_software_spec"):
        token = export_token(backend.secret, owner, name)
        urls["SOFTWARE_SPEC"] = f"{backend.settings.url}{EXPORT_PATH}/{owner}/{name}.json?token={token}"
    content = image_content(image, backend.depots.catalog())
    stem = f"{owner}-{name.replace('~', '-')}"
    if spec.get("export_offline_bundle"):
        out = backend.settings.data_dir / "exports" / f"{stem}.zip"
        if not out.exists():
            out.parent.mkdir(exist_ok=True)
            await asyncio.to_thread(export_bundle, content, backend.payloads, out)
        token = export_token(backend.secret, "exports", out.name)
        urls["OFFLINE_BUNDLE"] = f"{backend.settings.url}{BUNDLES_PATH}/{out.name}?token={token}"
    if spec.get("export_iso_image"):
        out = backend.settings.data_dir / "exports" / f"{stem}.iso"
        if not out.exists():
            out.parent.mkdir(exist_ok=True)
            document = orjson.dumps(software_spec_json(image), option=orjson.OPT_INDENT_2)
            await asyncio.to_thread(export_iso, content, backend.payloads, document, title, out)
        token = export_token(backend.secret, "exports", out.name)
        urls["ISO_IMAGE"] = f"{backend.settings.url}{BUNDLES_PATH}/{out.name}?token={token}"
    if not urls:
        raise errors.nothing_to_export()
    return urls


def display_name(spec: SoftwareSpec, owner_name: str) -> str:
    """The image's name: the one a draft gave it, else one made from what it is (ours)."""
    if spec.display_name:
        return spec.display_name
    return f"{owner_name} image: ESXi {spec.base_image or '(no base image)'}"


@for_owners(ops, SOFTWARE, "get_display_name")
async def get_display_name(call: Call, cluster: str) -> dict[str, Any]:
    c = require_image_managed(call, cluster)
    return {"display_name": display_name(require_desired(call, cluster).spec, c.name)}


@for_owners(ops, "software.commits", "get")
async def get_commit(call: Call, cluster: str, commit: str) -> dict[str, Any]:
    require_desired(call, cluster)
    c = require_commit(call, cluster, commit)
    return {
        "author": c.author,
        "commit_time": c.commit_time,
        "description": c.description,
        "apply_status": c.apply_status,
    }


@for_owners(ops, "software.base_image", "get")
async def get_base_image(call: Call, cluster: str) -> dict[str, Any]:
    base: dict[str, Any] = _desired_info(call, cluster)["base_image"]
    return base


@for_owners(ops, "software.add_on", "get")
async def get_add_on(call: Call, cluster: str) -> dict[str, Any]:
    add_on: dict[str, Any] | None = _desired_info(call, cluster)["add_on"]
    if add_on is None:
        raise errors.add_on_not_set(f"the desired state of {owner_text(cluster)}")
    return add_on


@for_owners(ops, "software.components", "list")
async def list_components(call: Call, cluster: str) -> dict[str, Any]:
    components: dict[str, Any] = _desired_info(call, cluster)["components"]
    return components


@for_owners(ops, "software.components", "get")
async def get_component(call: Call, cluster: str, component: str) -> dict[str, Any] | None:
    spec = require_desired(call, cluster).spec
    if component not in spec.components:
        return None  # vLCM answers an unset optional for a component the document does not name
    return component_info(component, spec.components[component], call.backend.depots.catalog())


@for_owners(ops, "software.compliance", "get", stored=True)
async def get_compliance(call: Call, cluster: str) -> dict[str, Any]:
    """The last scan of the latest commit: a ClusterCompliance, or a standalone
    host's HostCompliance. (Stored: the answer is the report the store holds; a scan
    made here for want of one writes its report, so its answer is not kept.)"""
    return call.backend.scanner.compliance(cluster, require_desired(call, cluster))


@for_owners(ops, SOFTWARE, "scan$task", Privilege.WRITE)
async def scan(call: Call, cluster: str) -> str:
    owner = require_image_managed(call, cluster)
    require_desired(call, cluster)
    scanner = call.backend.scanner

    async def work(ctx: TaskContext) -> dict[str, Any]:
        result = scanner.scan(cluster)
        if result is None:  # the document went away meanwhile
            raise errors.no_desired_state(cluster)
        return result

    return start_task(call, work, owner.target, f"Check compliance of the {owner.kind}")


EFFECTIVE = "software.effective_components"
REMOVED = "software.removed_components"


@for_owners(ops, EFFECTIVE, "list")
async def list_effective_components(call: Call, cluster: str) -> dict[str, Any]:
    return effective_component_infos(require_desired(call, cluster).spec, call.backend.depots.catalog())


@for_owners(ops, EFFECTIVE, "list_with_removed_components")
async def list_effective_with_removed(call: Call, cluster: str) -> dict[str, Any]:
    spec = require_desired(call, cluster).spec
    return effective_component_infos(spec, call.backend.depots.catalog(), with_removed=True)


@for_owners(ops, REMOVED, "list")
async def list_removed_components(call: Call, cluster: str) -> dict[str, Any]:
    return removed_component_infos(require_desired(call, cluster).spec, call.backend.depots.catalog())


@for_owners(ops, REMOVED, "get")
async def get_removed_component(call: Call, cluster: str, component: str) -> dict[str, Any]:
    removed: dict[str, Any] = removed_component_infos(
        require_desired(call, cluster).spec, call.backend.depots.catalog()
    )
    if component not in removed:
        raise errors.component_not_removed(f"the desired state of {owner_text(cluster)}", component)
    info: dict[str, Any] = removed[component]
    return info
