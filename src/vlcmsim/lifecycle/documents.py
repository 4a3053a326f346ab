"""The SOFTWARE_SPEC document: what export writes and import reads."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import orjson

from vlcmsim.lifecycle.desired import DesiredStates, commit_number
from vlcmsim.lifecycle.spec import SoftwareSpec

_FIELDS = {"base_image", "add_on", "components", "removed_components", "solutions", "hardware_support"}


class InvalidDocument(ValueError):
    """The document is not a software specification; the message says why."""


def software_spec_json(spec: SoftwareSpec) -> dict[str, Any]:
    doc: dict[str, Any] = {"base_image": {"version": spec.base_image}, "components": dict(spec.components)}
    if spec.add_on:
        doc["add_on"] = {"name": spec.add_on[0], "version": spec.add_on[1]}
    if spec.removed_components:
        doc["removed_components"] = list(spec.removed_components)
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
    if set(doc) - _FIELDS:
        raise InvalidDocument(f"it has fields other than {', '.join(sorted(_FIELDS))}")
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
    """The SOFTWARE_SPEC file of a commit, as export's URL serves it."""
    number = commit_number(commit)
    found = desired.commit(cluster, number) if number is not None else None
    if found is None:
        return None
    return orjson.dumps(software_spec_json(found.spec), option=orjson.OPT_INDENT_2)
