"""A software specification (desired document or installed image) and the
effective components it stands for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vlcmsim.depot.catalog import Catalog
from vlcmsim.depot.model import Component, Payload, Vib
from vlcmsim.depot.versions import compare
from vlcmsim.lifecycle.hardware import package_problems
from vlcmsim.lifecycle.solutions import solution_components, solution_problems


@dataclass
class SoftwareSpec:
    base_image: str | None = None
    add_on: tuple[str, str] | None = None
    components: dict[str, str] = field(default_factory=dict)
    removed_components: list[str] = field(default_factory=list)
    hardware_support: dict[str, tuple[str, str]] = field(default_factory=dict)  # manager -> (package, version)
    solutions: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # solution -> (version, components)
    display_name: str | None = None  # the image's name (9.0's image repository)

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
        )

    def copy(self) -> SoftwareSpec:
        return SoftwareSpec.from_json(self.to_json())


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
    a validation check), each problem a sentence; empty when it is valid."""
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
