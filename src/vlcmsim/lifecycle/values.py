"""Values of the esx.settings types built from desired-state documents and
depot content: SoftwareInfo and its parts, and the depot-content summaries.
Each shape is built here once."""

from __future__ import annotations

from typing import Any

from vlcmsim.depot.catalog import Catalog
from vlcmsim.depot.model import AddOn, BaseImage, Component, DepotContent
from vlcmsim.lifecycle.solutions import release
from vlcmsim.lifecycle.spec import AlternativeImage, Selection, SoftwareSpec, effective_components
from vlcmsim.vapi.model import model

KB = "https://kb.vmware.com"


def base_image_info(version: str | None, catalog: Catalog) -> dict[str, Any]:
    info: dict[str, Any] = {"version": version or ""}
    base = catalog.base_images.get(version or "")
    if base is not None:
        info["details"] = {
            "display_name": base.display_name,
            "display_version": base.display_version,
            "release_date": base.release_date,
        }
    return info


def add_on_info(add_on: tuple[str, str] | None, catalog: Catalog) -> dict[str, Any] | None:
    if add_on is None:
        return None
    info: dict[str, Any] = {"name": add_on[0], "version": add_on[1]}
    a = catalog.add_ons.get(add_on)
    if a is not None:
        info["details"] = {"display_name": a.display_name, "vendor": a.vendor, "display_version": a.display_version}
    return info


def component_info(name: str, version: str | None, catalog: Catalog) -> dict[str, Any]:
    info: dict[str, Any] = {}
    if version is not None:
        info["version"] = version
        c = catalog.components.get((name, version))
        if c is not None:
            info["details"] = {"display_name": c.display_name, "vendor": c.vendor, "display_version": c.display_version}
    return info


def effective_component_infos(spec: SoftwareSpec, catalog: Catalog, with_removed: bool = False) -> dict[str, Any]:
    """EffectiveComponentInfo of every component the image stands for (and, asked
    for, those it removes, with an empty version)."""
    out: dict[str, Any] = {}
    for name, eff in sorted(effective_components(spec, catalog).items()):
        c = catalog.components.get((name, eff.version))
        details: dict[str, Any] = {
            "display_name": c.display_name if c else name,
            "display_version": c.display_version if c else eff.version,
            "vendor": c.vendor if c else "",
            "source": eff.source,
            "overridden_components": [],
        }
        out[name] = {"version": eff.version, "details": details}
    if with_removed:
        for name in removed_component_infos(spec, catalog):
            out.setdefault(name, {"version": ""})
    return out


def removed_component_infos(spec: SoftwareSpec, catalog: Catalog) -> dict[str, Any]:
    """ComponentInfo of the components the image removes from its base image or add-on."""
    carried = effective_components(SoftwareSpec(spec.base_image, spec.add_on), catalog)
    out: dict[str, Any] = {}
    for name in sorted(spec.removed_components):
        eff = carried.get(name)
        out[name] = component_info(name, eff.version if eff else None, catalog)
    return out


def software_info(spec: SoftwareSpec, catalog: Catalog) -> dict[str, Any]:
    """The SoftwareInfo value of a desired document."""
    info: dict[str, Any] = {
        "base_image": base_image_info(spec.base_image, catalog),
        "components": {n: component_info(n, v, catalog) for n, v in sorted(spec.components.items())},
        "solutions": solution_infos(spec, catalog),
        "add_on": add_on_info(spec.add_on, catalog),
    }
    if spec.removed_components:
        info["removed_components"] = {n: {} for n in spec.removed_components}
    if spec.hardware_support:
        info["hardware_support"] = {
            "packages": {m: {"pkg": p, "version": v} for m, (p, v) in spec.hardware_support.items()}
        }
    if spec.alternative_images:
        info["alternative_images"] = {
            i: alternative_image_info(a, catalog) for i, a in sorted(spec.alternative_images.items())
        }
    return info


def alternative_image_info(alt: AlternativeImage, catalog: Catalog) -> dict[str, Any]:
    """The AlternativeImageInfo of one alternative image of a document."""
    return {
        **software_info(alt.image, catalog),
        "display_name": alt.display_name,
        "selection_criteria": alt.selection.to_json(),
    }


# -- depot content ---------------------------------------------------------------


def _category(enum_id: str, category: str) -> str:
    """The category as the type's enum knows it (base images and add-ons know fewer than components)."""
    return category if category in model().enums[enum_id].values else "ENHANCEMENT"


_IMAGE_CATEGORY = "com.vmware.esx.settings.depot_content.base_images.category_type"
_ADD_ON_CATEGORY = "com.vmware.esx.settings.depot_content.add_ons.category_type"
_COMPONENT_CATEGORY = "com.vmware.esx.settings.depot_content.components.category_type"
_URGENCY = "com.vmware.esx.settings.depot_content.components.urgency_type"


def _release(x: BaseImage | AddOn | Component, category_enum: str) -> dict[str, Any]:
    """The fields every released item (base image, add-on, component version) shows."""
    return {
        "display_version": x.display_version,
        "summary": x.summary or x.display_name,
        "category": _category(category_enum, x.category),
        "kb": KB,
        "release_date": x.release_date,
    }


def base_image_summary(b: BaseImage) -> dict[str, Any]:
    return {"display_name": b.display_name, "version": b.version, **_release(b, _IMAGE_CATEGORY)}


def base_image_version_info(b: BaseImage, catalog: Catalog) -> dict[str, Any]:
    return {
        **base_image_summary(b),
        "description": b.summary or b.display_name,
        "components": carried_components(catalog, b.components),
    }


def add_on_version_summary(a: AddOn) -> dict[str, Any]:
    return {"version": a.version, **_release(a, _ADD_ON_CATEGORY)}


def add_on_version_info(a: AddOn, catalog: Catalog) -> dict[str, Any]:
    value = {**_release(a, _ADD_ON_CATEGORY), "display_name": a.display_name, "vendor": a.vendor}
    value["description"] = a.summary or a.display_name
    value["components"] = carried_components(catalog, a.components)
    value["removed_components"] = [{"name": n, "display_name": n} for n in a.removed_components]
    return value


def _component_release(c: Component) -> dict[str, Any]:
    urgencies = model().enums[_URGENCY].values
    return {
        **_release(c, _COMPONENT_CATEGORY),
        "urgency": c.urgency if c.urgency in urgencies else "GENERAL",
    }


def component_version_summary(c: Component) -> dict[str, Any]:
    return {"version": c.version, **_component_release(c)}


def component_version_info(c: Component) -> dict[str, Any]:
    return {
        **_component_release(c),
        "display_name": c.display_name,
        "vendor": c.vendor,
        "description": c.summary or c.display_name,
        "contact": f"support@{c.vendor.split(',')[0].split()[0].lower()}.example",
    }


def carried_components(catalog: Catalog, components: dict[str, str]) -> list[dict[str, str]]:
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


def offline_content(file_name: str, c: DepotContent) -> dict[str, Any]:
    """The DepotContent value of one offline depot: its metadata bundle."""
    addons: dict[str, Any] = {}
    for a in c.add_ons:
        s = addons.setdefault(a.name, {"display_name": a.display_name, "vendor": a.vendor, "versions": []})
        s["versions"].append({"version": a.version, "display_version": a.display_version})
    in_images = {(n, v) for b in c.base_images for n, v in b.components.items()} | {
        (n, v) for a in c.add_ons for n, v in a.components.items()
    }
    independent: dict[str, Any] = {}
    for x in c.components:
        if (x.name, x.version) in in_images:
            continue
        s = independent.setdefault(x.name, {"display_name": x.display_name, "versions": []})
        s["versions"].append({"version": x.version, "display_version": x.display_version})
    info: dict[str, Any] = {"file_name": file_name}
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


def image_content(spec: SoftwareSpec, catalog: Catalog) -> DepotContent:
    """What a depot must hold for the image: its base image, add-on, every
    effective component and their VIBs (what an offline bundle export writes)."""
    content = DepotContent()
    if spec.base_image and spec.base_image in catalog.base_images:
        content.base_images.append(catalog.base_images[spec.base_image])
    if spec.add_on and spec.add_on in catalog.add_ons:
        content.add_ons.append(catalog.add_ons[spec.add_on])
    for name, eff in sorted(effective_components(spec, catalog).items()):
        component = catalog.components.get((name, eff.version))
        if component is None:
            continue
        content.components.append(component)
        content.vibs.extend(catalog.vibs[v] for v in component.vib_ids if v in catalog.vibs)
    return content


def solution_info(name: str, version: str, components: list[str], catalog: Catalog) -> dict[str, Any]:
    """The SolutionInfo of one solution an image names."""
    value: dict[str, Any] = {"version": version, "components": [{"component": c} for c in components]}
    r = release(name, version)
    if r is not None:
        details = []
        for c in components:
            found = catalog.components.get((c, r.components.get(c, "")))
            details.append(
                {
                    "component": c,
                    "display_name": found.display_name if found else c,
                    "display_version": found.display_version if found else r.components.get(c, ""),
                    "vendor": found.vendor if found else "",
                }
            )
        value["details"] = {"display_name": r.display_name, "display_version": r.display_version, "components": details}
    return value


def solution_infos(spec: SoftwareSpec, catalog: Catalog | None = None) -> dict[str, Any]:
    return {
        name: solution_info(name, version, components, catalog or Catalog())
        for name, (version, components) in sorted(spec.solutions.items())
    }


# -- SoftwareSpec values (the image repository's records, check_repository's input) --------


def software_spec_value(spec: SoftwareSpec) -> dict[str, Any]:
    """The esx.settings SoftwareSpec value of a document (AlternativeImageSpec for each alternative)."""
    value: dict[str, Any] = {
        "base_image": {"version": spec.base_image or ""},
        "components": dict(sorted(spec.components.items())),
        "solutions": {
            s: {"version": v, "components": [{"component": c} for c in comps]}
            for s, (v, comps) in sorted(spec.solutions.items())
        },
        "removed_components": sorted(spec.removed_components),
    }
    if spec.add_on:
        value["add_on"] = {"name": spec.add_on[0], "version": spec.add_on[1]}
    if spec.hardware_support:
        value["hardware_support"] = {
            "packages": {m: {"pkg": p, "version": v} for m, (p, v) in sorted(spec.hardware_support.items())}
        }
    if spec.alternative_images:
        value["alternative_images"] = {
            i: {
                **software_spec_value(a.image),
                "display_name": a.display_name,
                "selection_criteria": a.selection.to_json(),
            }
            for i, a in sorted(spec.alternative_images.items())
        }
    return value


def spec_from_value(value: dict[str, Any]) -> SoftwareSpec:
    """The document a SoftwareSpec value (as the codec decoded it) stands for."""
    add_on = value.get("add_on")
    hardware = (value.get("hardware_support") or {}).get("packages") or {}
    spec = SoftwareSpec(
        base_image=(value.get("base_image") or {}).get("version") or None,
        add_on=(add_on["name"], add_on["version"]) if add_on else None,
        components={n: v for n, v in (value.get("components") or {}).items() if v is not None},
        removed_components=sorted(value.get("removed_components") or ()),
        # a package without its name or version names nothing to install
        hardware_support={
            m: (p["pkg"], p["version"]) for m, p in hardware.items() if p.get("pkg") and p.get("version")
        },
        solutions={
            s: (v["version"], [c["component"] for c in v.get("components") or ()])
            for s, v in (value.get("solutions") or {}).items()
        },
    )
    for image_id, alt in (value.get("alternative_images") or {}).items():
        spec.alternative_images[image_id] = AlternativeImage(
            alt["display_name"], Selection.from_json(alt["selection_criteria"]), spec_from_value(alt)
        )
    return spec
