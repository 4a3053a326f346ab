"""Depot content: the base images, add-ons and components that the depots
make available, merged (com.vmware.esx.settings.depot_content)."""

from __future__ import annotations

from typing import Any

from vlcmsim.lifecycle.versions import compare, version_key
from vlcmsim.services.esx_settings.common import LIFECYCLE
from vlcmsim.services.filters import allows
from vlcmsim.vapi.errors import not_found
from vlcmsim.vapi.operations import Call, OperationSet

ops = OperationSet()

CONTENT = "com.vmware.esx.settings.depot_content"
KB = "https://kb.vmware.com"


def _image_category(category: str) -> str:
    """Base images and add-ons know fewer categories than components."""
    return category if category in ("SECURITY", "ENHANCEMENT", "BUGFIX") else "ENHANCEMENT"


def _component_versions(catalog: Any, components: dict[str, str]) -> list[dict[str, str]]:
    """The components a base image or add-on carries, with their display names."""
    out = []
    for name, version in sorted(components.items()):
        c = catalog.components.get((name, version))
        out.append(
            {
                "name": name,
                "display_name": c.display_name if c else name,
                "version": version,
                "display_version": c.display_version if c else version,
            }
        )
    return out


def _min_ok(version: str, minimum: str | None) -> bool:
    return minimum is None or compare(version, minimum) >= 0


@ops.operation(f"{CONTENT}.base_images", "list")
async def list_base_images(call: Call, filter: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    minimum = (filter or {}).get("min_version")
    images = sorted(call.app.depots.catalog().base_images.values(), key=lambda b: version_key(b.version))
    return [
        {
            "display_name": b.display_name,
            "version": b.version,
            "display_version": b.display_version,
            "summary": b.summary or b.display_name,
            "category": _image_category(b.category),
            "kb": KB,
            "release_date": b.release_date,
        }
        for b in images
        if _min_ok(b.version, minimum)
    ]


@ops.operation(f"{CONTENT}.base_images.versions", "get")
async def get_base_image_version(call: Call, version: str) -> dict[str, Any]:
    catalog = call.app.depots.catalog()
    b = catalog.base_images.get(version)
    if b is None:
        raise not_found(f"{LIFECYCLE}.BaseImageNotFound", f"Base image version {version} is not in any depot.", version)
    return {
        "display_name": b.display_name,
        "version": b.version,
        "display_version": b.display_version,
        "summary": b.summary or b.display_name,
        "description": b.summary or b.display_name,
        "category": _image_category(b.category),
        "kb": KB,
        "release_date": b.release_date,
        "components": _component_versions(catalog, b.components),
    }


def _release_matches(f: dict[str, Any], vendor: str, name: str, version: str) -> bool:
    """The filter fields that add-ons and components share."""
    return (
        allows(f.get("vendors"), vendor)
        and allows(f.get("names"), name)
        and allows(f.get("versions"), version)
        and _min_ok(version, f.get("min_version"))
    )


@ops.operation(f"{CONTENT}.add_ons", "list")
async def list_add_ons(call: Call, filter: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    f = filter or {}
    out: dict[str, dict[str, Any]] = {}
    for (name, version), a in sorted(call.app.depots.catalog().add_ons.items(), key=lambda kv: version_key(kv[0][1])):
        if not _release_matches(f, a.vendor, name, version):
            continue
        s = out.setdefault(name, {"name": name, "display_name": a.display_name, "vendor": a.vendor, "versions": []})
        s["versions"].append(
            {
                "version": version,
                "display_version": a.display_version,
                "summary": a.summary or a.display_name,
                "category": _image_category(a.category),
                "kb": KB,
                "release_date": a.release_date,
            }
        )
    return list(out.values())


@ops.operation(f"{CONTENT}.add_ons.versions", "get")
async def get_add_on_version(call: Call, name: str, version: str) -> dict[str, Any]:
    catalog = call.app.depots.catalog()
    a = catalog.add_ons.get((name, version))
    if a is None:
        raise not_found(f"{LIFECYCLE}.AddOnNotFound", f"Add-on {name} version {version} is not in any depot.", name)
    return {
        "display_name": a.display_name,
        "vendor": a.vendor,
        "display_version": a.display_version,
        "summary": a.summary or a.display_name,
        "description": a.summary or a.display_name,
        "category": _image_category(a.category),
        "kb": KB,
        "release_date": a.release_date,
        "components": _component_versions(catalog, a.components),
        "removed_components": [{"name": n, "display_name": n} for n in a.removed_components],
    }


_COMPONENT_CATEGORIES = {"SECURITY", "ENHANCEMENT", "BUGFIX", "RECALL", "RECALL_FIX", "INFO", "MISC", "GENERAL"}
_URGENCIES = {"CRITICAL", "IMPORTANT", "MODERATE", "LOW", "GENERAL"}


@ops.operation(f"{CONTENT}.components", "list")
async def list_depot_components(call: Call, filter: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    f = filter or {}
    catalog = call.app.depots.catalog()
    out: dict[str, dict[str, Any]] = {}
    for (name, version), c in sorted(catalog.components.items(), key=lambda kv: (kv[0][0], version_key(kv[0][1]))):
        if not _release_matches(f, c.vendor, name, version):
            continue
        if not allows(f.get("bundle_types"), catalog.bundle_type(name, version)):
            continue
        s = out.setdefault(name, {"name": name, "display_name": c.display_name, "vendor": c.vendor, "versions": []})
        s["versions"].append(
            {
                "version": version,
                "display_version": c.display_version,
                "summary": c.summary or c.display_name,
                "category": c.category if c.category in _COMPONENT_CATEGORIES else "ENHANCEMENT",
                "urgency": c.urgency if c.urgency in _URGENCIES else "GENERAL",
                "kb": KB,
                "release_date": c.release_date,
            }
        )
    return list(out.values())


@ops.operation(f"{CONTENT}.components.versions", "get")
async def get_component_version(call: Call, name: str, version: str) -> dict[str, Any]:
    c = call.app.depots.catalog().components.get((name, version))
    if c is None:
        raise not_found(
            f"{LIFECYCLE}.ComponentNotFound", f"Component {name} version {version} is not in any depot.", name
        )
    return {
        "display_name": c.display_name,
        "vendor": c.vendor,
        "display_version": c.display_version,
        "summary": c.summary or c.display_name,
        "description": c.summary or c.display_name,
        "category": c.category if c.category in _COMPONENT_CATEGORIES else "ENHANCEMENT",
        "urgency": c.urgency if c.urgency in _URGENCIES else "GENERAL",
        "kb": KB,
        "contact": f"support@{c.vendor.split(',')[0].split()[0].lower()}.example",
        "release_date": c.release_date,
    }
