"""The SOFTWARE_SPEC document: what export writes and import reads."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import orjson

from vlcmsim.lifecycle.desired import DesiredStates, commit_number
from vlcmsim.lifecycle.spec import AlternativeImage, Selection, SoftwareSpec

_FIELDS = {"base_image", "add_on", "components", "removed_components", "solutions", "hardware_support"}
_ALTERNATIVE_FIELDS = _FIELDS | {"display_name", "selection_criteria"}


class InvalidDocument(ValueError):
    """The document is not a software specification; the message says why."""


def software_spec_json(spec: SoftwareSpec) -> dict[str, Any]:
    doc: dict[str, Any] = {"base_image": {"version": spec.base_image}, "components": dict(spec.components)}
    if spec.add_on:
        doc["add_on"] = {"name": spec.add_on[0], "version": spec.add_on[1]}
    if spec.removed_components:
        doc["removed_components"] = list(spec.removed_components)
    if spec.alternative_images:
        doc["alternative_images"] = {
            i: {
                **software_spec_json(a.image),
                "display_name": a.display_name,
                "selection_criteria": a.selection.to_json(),
            }
            for i, a in sorted(spec.alternative_images.items())
        }
    return doc


def parse_software_spec(raw: bytes) -> SoftwareSpec:
    """Raises InvalidDocument. Messages name what is wrong, never the values
    found (the bytes may come from any file a client points at)."""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidDocument("not JSON") from None
    if not isinstance(doc, dict):
        raise InvalidDocument("not a JSON object")
    if set(doc) - _FIELDS - {"alternative_images"}:
        raise InvalidDocument(f"it has fields other than {', '.join(sorted(_FIELDS | {'alternative_images'}))}")
    spec = _image(doc)
    alternatives = doc.get("alternative_images") or {}
    if not isinstance(alternatives, dict):
        raise InvalidDocument("alternative_images must map ids to images")
    for image_id, alt in alternatives.items():
        if not isinstance(alt, dict) or set(alt) - _ALTERNATIVE_FIELDS:
            raise InvalidDocument(
                f"an alternative image has fields other than {', '.join(sorted(_ALTERNATIVE_FIELDS))}"
            )
        name, criteria = alt.get("display_name"), alt.get("selection_criteria")
        if not isinstance(name, str) or not name or not isinstance(criteria, dict):
            raise InvalidDocument("an alternative image needs a display_name and selection_criteria")
        if criteria.get("selection_type") not in ("HOST_UUID", "HOST_HARDWARE_SPEC"):
            raise InvalidDocument("selection_criteria.selection_type must be HOST_UUID or HOST_HARDWARE_SPEC")
        try:
            selection = Selection.from_json(criteria)
        except (TypeError, AttributeError):
            raise InvalidDocument("selection_criteria is not an image selection") from None
        spec.alternative_images[str(image_id)] = AlternativeImage(name, selection, _image(alt))
    return spec


def _image(doc: dict[str, Any]) -> SoftwareSpec:
    base = doc.get("base_image")
    if not isinstance(base, dict) or not isinstance(base.get("version"), str):
        raise InvalidDocument("base_image.version is required")
    add_on = doc.get("add_on")
    if add_on is not None and (
        not isinstance(add_on, dict)
        or not isinstance(add_on.get("name"), str)
        or not isinstance(add_on.get("version"), str)
    ):
        raise InvalidDocument("add_on needs a name and a version")
    comps = doc.get("components") or {}
    if not isinstance(comps, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in comps.items()):
        raise InvalidDocument("components must map names to versions")
    removed = doc.get("removed_components") or []
    if not isinstance(removed, list) or not all(isinstance(x, str) for x in removed):
        raise InvalidDocument("removed_components must be a list of names")
    return SoftwareSpec(base["version"], (add_on["name"], add_on["version"]) if add_on else None, comps, removed)


def export_token(secret: bytes, cluster: str, commit: str) -> str:
    """What export's URL carries so that whoever was given the URL can read the
    document without a session (the server's own PULL import, a curl), and nobody else."""
    return hmac.new(secret, f"{cluster}/{commit}".encode(), hashlib.sha256).hexdigest()[:32]


def exported_document(desired: DesiredStates, cluster: str, commit: str) -> bytes | None:
    """The SOFTWARE_SPEC file of a commit ("7"), or of one of its alternative
    images ("7~2"), as export's URL serves it."""
    number_text, _, image = commit.partition("~")
    number = commit_number(number_text)
    found = desired.commit(cluster, number) if number is not None else None
    if found is None:
        return None
    spec = found.spec
    if image:
        alt = spec.alternative_images.get(image)
        if alt is None:
            return None
        spec = alt.image
    return orjson.dumps(software_spec_json(spec), option=orjson.OPT_INDENT_2)
