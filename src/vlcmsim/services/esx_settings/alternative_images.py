"""Alternative images: a document's other images, each for the hosts its
selection criteria pick (by hardware UUID, or by vendor and model); every other
host takes the default image. Read on a cluster's latest commit, edited in a
cluster's draft or a draft of the image repository: the same operations under
each, declared by `register` for a place that says how to find its document."""

from __future__ import annotations

from typing import Any

from vlcmsim.backend import Call
from vlcmsim.lifecycle import errors
from vlcmsim.lifecycle.spec import AlternativeImage, Selection, image_id_order
from vlcmsim.lifecycle.values import alternative_image_info
from vlcmsim.services.esx_settings import image_parts
from vlcmsim.services.esx_settings.common import CLUSTERS, require_desired, require_image_managed
from vlcmsim.services.esx_settings.drafts import draft_image
from vlcmsim.services.esx_settings.image_parts import Locate, Located
from vlcmsim.services.esx_settings.software import export_image
from vlcmsim.vapi.model import model
from vlcmsim.vapi.operations import Handler, OperationSet, Privilege

ops = OperationSet()
W = Privilege.WRITE


def register(ops: OperationSet, prefix: str, parts_prefix: str, locate_document: Locate) -> None:
    """Declare the alternative-image operations of `prefix` (list, get, create,
    delete, display name, selection criteria) and their images' parts under
    `parts_prefix`, those the bindings define. `locate_document` finds the
    whole document (`Located.spec` holds the alternative images)."""
    known = model().operations

    def declare(service: str, operation: str, fn: Handler, privilege: Privilege = Privilege.READ) -> None:
        if (service, operation) in known:
            ops.operation(service, operation, privilege)(fn)

    def find(call: Call, write: bool, image: str, where: dict[str, Any]) -> tuple[Located, AlternativeImage]:
        doc = locate_document(call, write, **where)
        found = doc.spec.alternative_images.get(image)
        if found is None:
            raise errors.alternative_image_not_found(doc.where, image)
        return doc, found

    async def list_images(call: Call, **where: Any) -> dict[str, Any]:
        doc = locate_document(call, False, **where)
        images = sorted(doc.spec.alternative_images.items(), key=lambda kv: image_id_order(kv[0]))
        return {"alternative_images": {i: {"display_name": a.display_name} for i, a in images}}

    async def get_image(call: Call, image: str, **where: Any) -> dict[str, Any]:
        _, alt = find(call, False, image, where)
        return alternative_image_info(alt, call.backend.depots.catalog())

    async def create_image(call: Call, spec: dict[str, Any], **where: Any) -> str:
        """A new alternative image, a copy of the default image to change from;
        it selects no host until its selection criteria are set."""
        doc = locate_document(call, True, **where)
        name = _name(spec["display_name"])
        _unique(doc, name, None)
        taken = [int(i) for i in doc.spec.alternative_images if i.isdigit()]
        image_id = str(max(taken, default=0) + 1)
        image = doc.spec.default_image().copy()
        image.display_name = None
        doc.spec.alternative_images[image_id] = AlternativeImage(name, Selection(kind="UNKNOWN"), image)
        doc.save()
        return image_id

    async def delete_image(call: Call, image: str, **where: Any) -> None:
        doc, _ = find(call, True, image, where)
        del doc.spec.alternative_images[image]
        doc.save()

    async def get_display_name(call: Call, image: str, **where: Any) -> dict[str, Any]:
        return {"display_name": find(call, False, image, where)[1].display_name}

    async def set_display_name(call: Call, image: str, spec: dict[str, Any], **where: Any) -> None:
        doc, alt = find(call, True, image, where)
        name = _name(spec["display_name"])
        _unique(doc, name, image)
        alt.display_name = name
        doc.save()

    async def get_selection(call: Call, image: str, **where: Any) -> dict[str, Any]:
        return find(call, False, image, where)[1].selection.to_json()

    async def set_selection(call: Call, image: str, spec: dict[str, Any], **where: Any) -> None:
        doc, alt = find(call, True, image, where)
        alt.selection = selection_from(spec)
        doc.save()

    declare(prefix, "list", list_images)
    declare(prefix, "get", get_image)
    declare(prefix, "create", create_image, W)
    declare(prefix, "delete", delete_image, W)
    declare(f"{prefix}.display_name", "get", get_display_name)
    declare(f"{prefix}.display_name", "set", set_display_name, W)
    declare(f"{prefix}.selection_criteria", "get", get_selection)
    declare(f"{prefix}.selection_criteria", "set", set_selection, W)

    def locate_image(call: Call, write: bool, image: str, **where: Any) -> Located:
        doc, alt = find(call, write, image, where)
        return Located(alt.image, f"alternative image {image} of {doc.where}", doc.save)

    image_parts.register(ops, parts_prefix, locate_image)


def selection_from(spec: dict[str, Any]) -> Selection:
    """A Selection from an ImageSelectionSpec, refusing one that could select no host."""
    kind = spec["selection_type"]
    if kind == "HOST_UUID":
        if not spec.get("host_uuids"):
            raise errors.bad_selection("A HOST_UUID selection needs host_uuids: the hardware UUIDs of its hosts.")
    elif kind == "HOST_HARDWARE_SPEC":
        hardware = spec.get("host_hardware_spec") or {}
        if not hardware.get("vendor"):
            raise errors.bad_selection("A HOST_HARDWARE_SPEC selection needs host_hardware_spec with a vendor.")
    else:
        raise errors.bad_selection(f"Selection type {kind} selects no host: use HOST_UUID or HOST_HARDWARE_SPEC.")
    return Selection.from_json(spec)


def _name(value: str) -> str:
    name = value.strip()
    if not name or len(name) > 256:
        raise errors.bad_display_name()
    return name


def _unique(doc: Located, name: str, image: str | None) -> None:
    for other_id, other in doc.spec.alternative_images.items():
        if other_id != image and other.display_name.casefold() == name.casefold():
            raise errors.alternative_image_name_taken(doc.where, name)


# -- a cluster's latest commit (read only) and its drafts ----------------------------

COMMIT_IMAGES = f"{CLUSTERS}.software.alternative_images"
DRAFT_IMAGES = f"{CLUSTERS}.software.drafts.software.alternative_images"


def _commit_document(call: Call, write: bool, cluster: str) -> Located:
    return Located(require_desired(call, cluster).spec, f"the desired state of cluster {cluster}")


def _draft_document(call: Call, write: bool, cluster: str, draft: str) -> Located:
    return draft_image(call, write, cluster, draft)


register(ops, COMMIT_IMAGES, f"{COMMIT_IMAGES}.software", _commit_document)
register(ops, DRAFT_IMAGES, f"{DRAFT_IMAGES}.software", _draft_document)


@ops.operation(f"{COMMIT_IMAGES}.software", "export")
async def export_alternative_image(call: Call, cluster: str, image: str, spec: dict[str, Any]) -> dict[str, str]:
    """An alternative image of the latest commit, exported as its own software spec, bundle or ISO."""
    commit = require_desired(call, cluster)
    alt = commit.spec.alternative_images.get(image)
    if alt is None:
        raise errors.alternative_image_not_found(f"the desired state of cluster {cluster}", image)
    require_image_managed(call, cluster)
    return await export_image(call, spec, alt.image, (cluster, f"{commit.id}~{image}"), alt.display_name)
