"""Depot content: the base images, add-ons and components that the depots
make available, merged (com.vmware.esx.settings.depot_content)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from vlcmsim.backend import Call
from vlcmsim.depot.catalog import Catalog
from vlcmsim.depot.model import AddOn, Component
from vlcmsim.depot.versions import compare, version_key
from vlcmsim.lifecycle import errors
from vlcmsim.lifecycle.values import (
    add_on_version_info,
    add_on_version_summary,
    base_image_summary,
    base_image_version_info,
    component_version_info,
    component_version_summary,
)
from vlcmsim.services.filters import allows, as_sets
from vlcmsim.vapi.codec import Frozen
from vlcmsim.vapi.operations import OperationSet

ops = OperationSet()

CONTENT = "com.vmware.esx.settings.depot_content"


def _kept(catalog: Catalog, key: str, filter: dict[str, Any] | None, build: Callable[[], list[dict[str, Any]]]) -> Any:
    """An unfiltered list is made once per catalog (its items frozen: encoded once too)."""
    if filter:
        return build()
    if key not in catalog.memo:
        catalog.memo[key] = [Frozen(item) for item in build()]
    return catalog.memo[key]


def _min_ok(version: str, minimum: str | None) -> bool:
    return minimum is None or compare(version, minimum) >= 0


@ops.operation(f"{CONTENT}.base_images", "list", stored=True)
async def list_base_images(call: Call, filter: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    minimum = (filter or {}).get("min_version")
    catalog = call.backend.depots.catalog()

    def build() -> list[dict[str, Any]]:
        images = sorted(catalog.base_images.values(), key=lambda b: version_key(b.version))
        return [base_image_summary(b) for b in images if _min_ok(b.version, minimum)]

    result: list[dict[str, Any]] = _kept(catalog, "base_images", filter, build)
    return result


@ops.operation(f"{CONTENT}.base_images.versions", "get", stored=True)
async def get_base_image_version(call: Call, version: str) -> dict[str, Any]:
    catalog = call.backend.depots.catalog()
    b = catalog.base_images.get(version)
    if b is None:
        raise errors.base_image_not_in_depot(version)
    return base_image_version_info(b, catalog)


Release = TypeVar("Release", AddOn, Component)


def _by_name(releases: list[Release], version_summary: Callable[[Release], dict[str, Any]]) -> list[dict[str, Any]]:
    """Summaries of add-ons or components: one per name, with its versions in order."""
    out: dict[str, dict[str, Any]] = {}
    for r in releases:
        s = out.setdefault(r.name, {"name": r.name, "display_name": r.display_name, "vendor": r.vendor, "versions": []})
        s["versions"].append(version_summary(r))
    return list(out.values())


def _release_matches(f: dict[str, Any], vendor: str, name: str, version: str) -> bool:
    """The filter fields that add-ons and components share."""
    return (
        allows(f.get("vendors"), vendor)
        and allows(f.get("names"), name)
        and allows(f.get("versions"), version)
        and _min_ok(version, f.get("min_version"))
    )


@ops.operation(f"{CONTENT}.add_ons", "list", stored=True)
async def list_add_ons(call: Call, filter: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    f = as_sets(filter)
    catalog = call.backend.depots.catalog()

    def build() -> list[dict[str, Any]]:
        chosen = [a for a in catalog.add_ons.values() if _release_matches(f, a.vendor, a.name, a.version)]
        return _by_name(sorted(chosen, key=lambda a: version_key(a.version)), add_on_version_summary)

    result: list[dict[str, Any]] = _kept(catalog, "add_ons", filter, build)
    return result


@ops.operation(f"{CONTENT}.add_ons.versions", "get", stored=True)
async def get_add_on_version(call: Call, name: str, version: str) -> dict[str, Any]:
    catalog = call.backend.depots.catalog()
    a = catalog.add_ons.get((name, version))
    if a is None:
        raise errors.add_on_not_in_depot(name, version)
    return add_on_version_info(a, catalog)


@ops.operation(f"{CONTENT}.components", "list", stored=True)
async def list_depot_components(call: Call, filter: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    f = as_sets(filter)
    catalog = call.backend.depots.catalog()

    def build() -> list[dict[str, Any]]:
        chosen = [
            c
            for c in catalog.components.values()
            if _release_matches(f, c.vendor, c.name, c.version)
            and allows(f.get("bundle_types"), catalog.bundle_type(c.name, c.version))
        ]
        return _by_name(sorted(chosen, key=lambda c: (c.name, version_key(c.version))), component_version_summary)

    result: list[dict[str, Any]] = _kept(catalog, "components", filter, build)
    return result


@ops.operation(f"{CONTENT}.components.versions", "get", stored=True)
async def get_component_version(call: Call, name: str, version: str) -> dict[str, Any]:
    c = call.backend.depots.catalog().components.get((name, version))
    if c is None:
        raise errors.component_not_in_depot(name, version)
    return component_version_info(c)
