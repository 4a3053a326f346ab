"""A software specification (desired document or installed image) and the
effective components it stands for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vlcmsim.depot.catalog import Catalog
from vlcmsim.depot.model import Component, Payload, Vib
from vlcmsim.depot.versions import compare
from vlcmsim.inventory.model import Host
from vlcmsim.lifecycle.hardware import package_problems
from vlcmsim.lifecycle.solutions import solution_components, solution_problems


@dataclass
class Selection:
    """Which hosts an alternative image is for: those whose hardware UUID is
    listed (HOST_UUID), or whose vendor is `vendor` and, where given, whose model
    is one of `models` (HOST_HARDWARE_SPEC). Families and OEM strings, which the
    simulated hosts do not report, match no host when given."""

    kind: str = "HOST_HARDWARE_SPEC"  # HOST_HARDWARE_SPEC | HOST_UUID | UNKNOWN
    host_uuids: list[str] = field(default_factory=list)
    vendor: str = ""
    models: list[str] = field(default_factory=list)
    families: list[str] = field(default_factory=list)
    oem_strings: list[str] = field(default_factory=list)

    def matches(self, uuid: str, vendor: str, model: str) -> bool:
        if self.kind == "HOST_UUID":
            return uuid.lower() in {u.lower() for u in self.host_uuids}
        if self.kind != "HOST_HARDWARE_SPEC" or not self.vendor or self.families or self.oem_strings:
            return False
        return self.vendor.casefold() == vendor.casefold() and (
            not self.models or model.casefold() in {m.casefold() for m in self.models}
        )

    def to_json(self) -> dict[str, Any]:
        value: dict[str, Any] = {"selection_type": self.kind}
        if self.kind == "HOST_UUID":
            value["host_uuids"] = sorted(self.host_uuids)
        elif self.kind == "HOST_HARDWARE_SPEC":
            hw: dict[str, Any] = {"vendor": self.vendor}
            for key in ("models", "families", "oem_strings"):
                if getattr(self, key):
                    hw[key] = sorted(getattr(self, key))
            value["host_hardware_spec"] = hw
        return value

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> Selection:
        """From an ImageSelectionSpec (or what `to_json` wrote)."""
        hw = j.get("host_hardware_spec") or {}
        return cls(
            kind=j.get("selection_type") or "UNKNOWN",
            host_uuids=sorted(j.get("host_uuids") or ()),
            vendor=hw.get("vendor") or "",
            models=sorted(hw.get("models") or ()),
            families=sorted(hw.get("families") or ()),
            oem_strings=sorted(hw.get("oem_strings") or ()),
        )


@dataclass
class AlternativeImage:
    """One more image of a cluster's document, for the hosts its selection picks."""

    display_name: str
    selection: Selection
    image: SoftwareSpec

    def to_json(self) -> dict[str, Any]:
        return {"display_name": self.display_name, "selection": self.selection.to_json(), "image": self.image.to_json()}

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> AlternativeImage:
        return cls(j["display_name"], Selection.from_json(j["selection"]), SoftwareSpec.from_json(j["image"]))


@dataclass
class SoftwareSpec:
    base_image: str | None = None
    add_on: tuple[str, str] | None = None
    components: dict[str, str] = field(default_factory=dict)
    removed_components: list[str] = field(default_factory=list)
    hardware_support: dict[str, tuple[str, str]] = field(default_factory=dict)  # manager -> (package, version)
    solutions: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # solution -> (version, components)
    display_name: str | None = None  # the image's name (9.0's image repository)
    # a cluster's other images, by id, each for the hosts its selection picks (the default: the rest)
    alternative_images: dict[str, AlternativeImage] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        value: dict[str, Any] = {
            "base_image": self.base_image,
            "add_on": {"name": self.add_on[0], "version": self.add_on[1]} if self.add_on else None,
            "components": dict(self.components),
            "removed_components": list(self.removed_components),
        }
        if self.hardware_support:
            value["hardware_support"] = {m: {"pkg": p, "version": v} for m, (p, v) in self.hardware_support.items()}
        if self.display_name is not None:
            value["display_name"] = self.display_name
        if self.solutions:
            value["solutions"] = {s: {"version": v, "components": list(c)} for s, (v, c) in self.solutions.items()}
        if self.alternative_images:
            value["alternative_images"] = {i: a.to_json() for i, a in self.alternative_images.items()}
        return value

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> SoftwareSpec:
        a = j.get("add_on")
        return cls(
            base_image=j.get("base_image"),
            add_on=(a["name"], a["version"]) if a else None,
            components=dict(j.get("components") or {}),
            removed_components=list(j.get("removed_components") or []),
            hardware_support={m: (h["pkg"], h["version"]) for m, h in (j.get("hardware_support") or {}).items()},
            solutions={s: (v["version"], list(v["components"])) for s, v in (j.get("solutions") or {}).items()},
            display_name=j.get("display_name"),
            alternative_images={
                i: AlternativeImage.from_json(a) for i, a in (j.get("alternative_images") or {}).items()
            },
        )

    def copy(self) -> SoftwareSpec:
        return SoftwareSpec.from_json(self.to_json())

    def default_image(self) -> SoftwareSpec:
        """The image of the hosts no alternative image selects: this one without its alternatives."""
        if not self.alternative_images:
            return self
        return SoftwareSpec(
            self.base_image,
            self.add_on,
            self.components,
            self.removed_components,
            self.hardware_support,
            self.solutions,
            self.display_name,
        )

    def selected(self, uuid: str, vendor: str, model: str) -> str | None:
        """The id of the alternative image a host with that hardware takes (the
        first by id whose selection matches), None: the default image."""
        for image_id in sorted(self.alternative_images, key=image_id_order):
            if self.alternative_images[image_id].selection.matches(uuid, vendor, model):
                return image_id
        return None

    def image_for(self, uuid: str, vendor: str, model: str) -> SoftwareSpec:
        """The image a host with that hardware is to run."""
        chosen = self.selected(uuid, vendor, model)
        return self.alternative_images[chosen].image if chosen is not None else self.default_image()

    def images(self) -> list[SoftwareSpec]:
        """Every image of the document: the default one, then its alternatives."""
        return [self.default_image(), *(a.image for a in self.alternative_images.values())]


def image_of(spec: SoftwareSpec, host: Host) -> SoftwareSpec:
    """The image of the document `host` is to run: the alternative image its hardware selects, or the default."""
    return spec.image_for(host.uuid, host.vendor, host.model)


def image_id_order(image_id: str) -> tuple[int, str]:
    return (int(image_id), "") if image_id.isdigit() else (1 << 62, image_id)


@dataclass(frozen=True)
class Effective:
    version: str
    source: str  # BASE_IMAGE | ADD_ON | USER


def effective_components(spec: SoftwareSpec, catalog: Catalog) -> dict[str, Effective]:
    out: dict[str, Effective] = {}
    if spec.base_image:
        base = catalog.base_images.get(spec.base_image)
        if base is not None:
            out.update({n: Effective(v, "BASE_IMAGE") for n, v in base.components.items()})
    if spec.add_on:
        add_on = catalog.add_ons.get(spec.add_on)
        if add_on is not None:
            for name in add_on.removed_components:
                out.pop(name, None)
            out.update({n: Effective(v, "ADD_ON") for n, v in add_on.components.items()})
    out.update({n: Effective(v, "SOLUTION") for n, v in solution_components(spec.solutions).items()})
    out.update({n: Effective(v, "USER") for n, v in spec.components.items()})
    for name in spec.removed_components:
        out.pop(name, None)
    return out


def image_vibs(spec: SoftwareSpec, catalog: Catalog) -> list[tuple[Component, Vib]]:
    """(component, VIB) of every VIB of the image, by component name."""
    out = []
    for name, eff in sorted(effective_components(spec, catalog).items()):
        component = catalog.components.get((name, eff.version))
        if component is None:
            continue
        for vib_id in component.vib_ids:
            vib = catalog.vibs.get(vib_id)
            if vib is not None:
                out.append((component, vib))
    return out


def payloads_of(spec: SoftwareSpec, catalog: Catalog) -> list[Payload]:
    """Every payload of the image, once."""
    seen: dict[str, Payload] = {}
    for _, vib in image_vibs(spec, catalog):
        for p in vib.payloads:
            seen.setdefault(p.sha256, p)
    return list(seen.values())


def problems(spec: SoftwareSpec, catalog: Catalog) -> list[str]:
    """What is wrong with the document against the depots (what a commit and
    a validation check), each problem a sentence; empty when it is valid. Each
    alternative image is checked as an image of its own, and its selection."""
    found = _image_problems(spec, catalog)
    names: set[str] = set()
    for image_id, alt in sorted(spec.alternative_images.items(), key=lambda kv: image_id_order(kv[0])):
        label = f"alternative image {alt.display_name!r} ({image_id})"
        found += [f"{label}: {p}" for p in _image_problems(alt.image, catalog)]
        sel = alt.selection
        if sel.kind == "HOST_UUID" and not sel.host_uuids:
            found.append(f"{label}: its selection names no host UUID")
        elif sel.kind == "HOST_HARDWARE_SPEC" and not sel.vendor:
            found.append(f"{label}: its selection names no hardware vendor")
        elif sel.kind not in ("HOST_UUID", "HOST_HARDWARE_SPEC"):
            found.append(f"{label}: it has no selection criteria")
        if alt.display_name.casefold() in names:
            found.append(f"{label}: another alternative image has that name")
        names.add(alt.display_name.casefold())
    return found


def _image_problems(spec: SoftwareSpec, catalog: Catalog) -> list[str]:
    found: list[str] = []
    if not spec.base_image:
        found.append("the desired state has no base image")
    elif spec.base_image not in catalog.base_images:
        found.append(f"base image version {spec.base_image} is not in any depot")
    if spec.add_on and spec.add_on not in catalog.add_ons:
        found.append(f"add-on {spec.add_on[0]} version {spec.add_on[1]} is not in any depot")
    found.extend(package_problems(spec.hardware_support, spec.base_image))
    found.extend(solution_problems(spec.solutions))
    for name, version in sorted(solution_components(spec.solutions).items()):
        if (name, version) not in catalog.components:
            found.append(f"component {name} version {version} of a solution is not in any depot")
    base_and_addon = SoftwareSpec(spec.base_image, spec.add_on)
    carried = effective_components(base_and_addon, catalog)
    for name, version in sorted(spec.components.items()):
        if (name, version) not in catalog.components:
            known = catalog.component_versions(name)
            if known:
                found.append(f"component {name} version {version} is not in any depot (known: {', '.join(known)})")
            else:
                found.append(f"component {name} is not in any depot")
            continue
        below = carried.get(name)
        if below is not None and compare(version, below.version) < 0:
            where = "base image" if below.source == "BASE_IMAGE" else "add-on"
            found.append(f"component {name} version {version} is older than {below.version}, which the {where} carries")
    return found
