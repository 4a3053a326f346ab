"""The parts of one image — base image, add-on, components, removed and
effective components, hardware support — read and edited the same way wherever
the image lives: a cluster's or host's draft, an alternative image of a draft,
a draft of the image repository, an alternative image of one, or (read only) a
commit's alternative image or a repository image.

A place says how to find its image: `locate(call, write, **inputs)` answers a
`Located` (the image, what messages call it, how to keep a change), raising
NotFound or Unauthorized as the place's rules say. `register` declares each
part's operations under a service prefix, only those the bindings define."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vlcmsim.backend import Call
from vlcmsim.lifecycle import errors
from vlcmsim.lifecycle.hardware import package
from vlcmsim.lifecycle.spec import SoftwareSpec, effective_components
from vlcmsim.lifecycle.values import (
    add_on_info,
    base_image_info,
    component_info,
    effective_component_infos,
    removed_component_infos,
    solution_infos,
)
from vlcmsim.vapi.model import model
from vlcmsim.vapi.operations import Handler, OperationSet, Privilege


@dataclass
class Located:
    spec: SoftwareSpec  # the image, free to change
    where: str  # what messages call it: "draft 3", "alternative image 2 of draft 3"
    save: Callable[[], None] = lambda: None  # keep the changed image (a read-only place has nothing to keep)


Locate = Callable[..., Located]  # (call, write: bool, **the place's inputs) -> Located

W = Privilege.WRITE


def register(ops: OperationSet, prefix: str, locate: Locate) -> None:
    """Declare the image parts' operations of `prefix` (a service id without its
    `.base_image`, `.components`... suffix) that the bindings define."""
    known = model().operations

    def declare(part: str, operation: str, fn: Handler, privilege: Privilege = Privilege.READ) -> None:
        if (f"{prefix}.{part}", operation) in known:
            ops.operation(f"{prefix}.{part}", operation, privilege)(fn)

    def read(call: Call, where: dict[str, Any]) -> Located:
        return locate(call, False, **where)

    def write(call: Call, where: dict[str, Any]) -> Located:
        return locate(call, True, **where)

    # -- base image and add-on ---------------------------------------------------

    async def get_base_image(call: Call, **where: Any) -> dict[str, Any]:
        return base_image_info(read(call, where).spec.base_image, call.backend.depots.catalog())

    async def set_base_image(call: Call, spec: dict[str, Any], **where: Any) -> None:
        img = write(call, where)
        img.spec.base_image = spec["version"]
        img.save()

    async def get_add_on(call: Call, **where: Any) -> dict[str, Any]:
        img = read(call, where)
        info = add_on_info(img.spec.add_on, call.backend.depots.catalog())
        if info is None:
            raise errors.add_on_not_set(img.where)
        return info

    async def set_add_on(call: Call, spec: dict[str, Any], **where: Any) -> None:
        img = write(call, where)
        img.spec.add_on = (spec["name"], spec["version"])
        img.save()

    async def delete_add_on(call: Call, **where: Any) -> None:
        img = write(call, where)
        img.spec.add_on = None
        img.save()

    declare("base_image", "get", get_base_image)
    declare("base_image", "set", set_base_image, W)
    declare("add_on", "get", get_add_on)
    declare("add_on", "set", set_add_on, W)
    declare("add_on", "delete", delete_add_on, W)

    # -- components the image names ----------------------------------------------

    async def list_components(call: Call, **where: Any) -> dict[str, Any]:
        catalog = call.backend.depots.catalog()
        return {n: component_info(n, v, catalog) for n, v in sorted(read(call, where).spec.components.items())}

    async def get_component(call: Call, component: str, **where: Any) -> dict[str, Any] | None:
        spec = read(call, where).spec
        if component not in spec.components:
            return None  # vLCM answers an unset optional for a component the image does not name
        return component_info(component, spec.components[component], call.backend.depots.catalog())

    async def set_component(call: Call, component: str, version: str | None = None, **where: Any) -> None:
        img = write(call, where)
        set_components(img.spec, {component: version}, [])
        img.save()

    async def delete_component(call: Call, component: str, **where: Any) -> None:
        img = write(call, where)
        if component not in img.spec.components:
            raise errors.component_not_named(img.where, component)
        set_components(img.spec, {}, [component])
        img.save()

    async def update_components(call: Call, spec: dict[str, Any], **where: Any) -> None:
        img = write(call, where)
        set_components(img.spec, spec.get("components_to_set") or {}, spec.get("components_to_delete") or [])
        img.save()

    declare("components", "list", list_components)
    declare("components", "get", get_component)
    declare("components", "set", set_component, W)
    declare("components", "delete", delete_component, W)
    declare("components", "update", update_components, W)

    # -- effective and removed components -----------------------------------------

    async def list_effective(call: Call, spec: dict[str, Any] | None = None, **where: Any) -> dict[str, Any]:
        with_removed = bool((spec or {}).get("with_removed_components"))
        return effective_component_infos(read(call, where).spec, call.backend.depots.catalog(), with_removed)

    async def list_effective_with_removed(call: Call, **where: Any) -> dict[str, Any]:
        return effective_component_infos(read(call, where).spec, call.backend.depots.catalog(), with_removed=True)

    async def list_removed(call: Call, **where: Any) -> dict[str, Any]:
        return removed_component_infos(read(call, where).spec, call.backend.depots.catalog())

    async def get_removed(call: Call, component: str, **where: Any) -> dict[str, Any]:
        img = read(call, where)
        removed = removed_component_infos(img.spec, call.backend.depots.catalog())
        if component not in removed:
            raise errors.component_not_removed(img.where, component)
        info: dict[str, Any] = removed[component]
        return info

    async def remove_component(call: Call, component: str, **where: Any) -> None:
        """Remove a component the image's base image or add-on carries."""
        img = write(call, where)
        carried = effective_components(
            SoftwareSpec(img.spec.base_image, img.spec.add_on), call.backend.depots.catalog()
        )
        if component not in carried:
            raise errors.component_not_carried(img.where, component)
        if component not in img.spec.removed_components:
            img.spec.removed_components.append(component)
        img.spec.components.pop(component, None)
        img.save()

    async def restore_component(call: Call, component: str, **where: Any) -> None:
        """Bring back a component the image removed."""
        img = write(call, where)
        if component not in img.spec.removed_components:
            raise errors.component_not_removed(img.where, component)
        img.spec.removed_components.remove(component)
        img.save()

    declare("effective_components", "list", list_effective)
    declare("effective_components", "list_with_removed_components", list_effective_with_removed)
    declare("removed_components", "list", list_removed)
    declare("removed_components", "get", get_removed)
    declare("removed_components", "set", remove_component, W)
    declare("removed_components", "delete", restore_component, W)

    # -- hardware support and solutions ---------------------------------------------

    async def get_hardware_support(call: Call, **where: Any) -> dict[str, Any]:
        img = read(call, where)
        if not img.spec.hardware_support:
            raise errors.no_hardware_support(img.where)
        return {"packages": {m: {"pkg": p, "version": v} for m, (p, v) in img.spec.hardware_support.items()}}

    async def set_hardware_support(call: Call, spec: dict[str, Any], **where: Any) -> None:
        img = write(call, where)
        img.spec.hardware_support = chosen_packages(spec)
        img.save()

    async def delete_hardware_support(call: Call, **where: Any) -> None:
        img = write(call, where)
        img.spec.hardware_support = {}
        img.save()

    async def list_solutions(call: Call, **where: Any) -> dict[str, Any]:
        return solution_infos(read(call, where).spec, call.backend.depots.catalog())

    async def get_solution(call: Call, solution: str, **where: Any) -> dict[str, Any]:
        img = read(call, where)
        found = solution_infos(img.spec, call.backend.depots.catalog()).get(solution)
        if found is None:
            raise errors.solution_not_in(img.where, solution)
        info: dict[str, Any] = found
        return info

    declare("hardware_support", "get", get_hardware_support)
    declare("hardware_support", "set", set_hardware_support, W)
    declare("hardware_support", "delete", delete_hardware_support, W)
    declare("solutions", "list", list_solutions)
    declare("solutions", "get", get_solution)


def set_components(spec: SoftwareSpec, to_set: dict[str, str | None], to_delete: list[str]) -> None:
    for name, version in to_set.items():
        if version is None:
            spec.components.pop(name, None)  # an unset version: follow the base image / add-on
        else:
            spec.components[name] = version
            if name in spec.removed_components:
                spec.removed_components.remove(name)
    for name in to_delete:
        spec.components.pop(name, None)


def chosen_packages(spec: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """The hardware support packages a HardwareSupportSpec names, each one known."""
    chosen: dict[str, tuple[str, str]] = {}
    for manager, pkg in spec["packages"].items():
        if package(manager, pkg.get("pkg"), pkg.get("version")) is None:
            raise errors.no_such_package(manager, str(pkg.get("pkg")), str(pkg.get("version")))
        chosen[manager] = (pkg["pkg"], pkg["version"])
    return chosen
