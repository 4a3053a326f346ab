"""The JSON schema of a cluster's configuration document, made from the settings
the desired software image knows, and the check of a document against it: every
error with the JSON path it is at ("$.profile.esx.system.syslog.rotate"), not
the first one only."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from vlcmsim.lifecycle.host_config import path_parts, settings_for


def _tree(esx_version: str, host_specific: bool | None) -> dict[str, Any]:
    """The object schema of a section: nested objects down to each setting's own schema."""
    root: dict[str, Any] = {"type": "object", "properties": {}, "additionalProperties": False}
    for s in settings_for(esx_version):
        if host_specific is not None and s.host_specific != host_specific:
            continue
        node = root
        parts = path_parts(s.path)
        for part in parts[:-1]:
            node = node["properties"].setdefault(
                part, {"type": "object", "properties": {}, "additionalProperties": False}
            )
        node["properties"][parts[-1]] = {
            **s.schema,
            "default": s.default,
            "x-vlcmsim-impact": s.impact,
            "x-vlcmsim-host-specific": s.host_specific,
        }
    return root


def schema(esx_version: str) -> dict[str, Any]:
    """The document's schema for a cluster whose desired image runs `esx_version`."""
    per_host = {"type": "object", "additionalProperties": {"$ref": "#/definitions/host_section"}}
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": f"ESXi {esx_version} host configuration",
        "type": "object",
        "required": ["profile"],
        "additionalProperties": False,
        "properties": {
            "profile": _tree(esx_version, host_specific=False),
            "host-specific": per_host,
            "host-override": per_host,
        },
        "definitions": {"host_section": _tree(esx_version, host_specific=None)},
    }


def validate(document: Any, esx_version: str) -> list[tuple[str, str]]:
    """(JSON path, what is wrong) of every error of `document` against the schema."""
    doc_schema = schema(esx_version)
    errors: list[tuple[str, str]] = []
    _check(document, doc_schema, "$", doc_schema, errors)
    return errors


_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "boolean": (bool,),
    "number": (int, float),
}


def _check(value: Any, s: dict[str, Any], path: str, root: dict[str, Any], errors: list[tuple[str, str]]) -> None:
    if "$ref" in s:
        s = root["definitions"][s["$ref"].rsplit("/", 1)[-1]]
    kind = s.get("type")
    if kind is not None:
        ok = isinstance(value, _TYPES[kind]) and not (kind in ("integer", "number") and isinstance(value, bool))
        if not ok:
            errors.append((path, f"expected {kind}, got {_describe(value)}"))
            return
    if "enum" in s and value not in s["enum"]:
        errors.append((path, f"{value!r} is not one of {', '.join(map(repr, s['enum']))}"))
    if isinstance(value, int) and not isinstance(value, bool):
        if "minimum" in s and value < s["minimum"]:
            errors.append((path, f"{value} is below the minimum {s['minimum']}"))
        if "maximum" in s and value > s["maximum"]:
            errors.append((path, f"{value} is above the maximum {s['maximum']}"))
    if isinstance(value, str):
        if "pattern" in s and not re.search(s["pattern"], value):
            errors.append((path, f"{value!r} does not match {s['pattern']}"))
        if s.get("format") == "ipv4" and not _ipv4(value):
            errors.append((path, f"{value!r} is not an IPv4 address"))
    if isinstance(value, dict):
        props = s.get("properties") or {}
        for name in s.get("required") or []:
            if name not in value:
                errors.append((f"{path}.{name}", "is required"))
        extra = s.get("additionalProperties", True)
        for name, item in value.items():
            where = f"{path}.{name}" if re.fullmatch(r"[A-Za-z_][\w-]*", name) else f"{path}[{name!r}]"
            if name in props:
                _check(item, props[name], where, root, errors)
            elif extra is False:
                errors.append((where, "is not a known setting"))
            elif isinstance(extra, dict):
                _check(item, extra, where, root, errors)
    if isinstance(value, list) and "items" in s:
        for i, item in enumerate(value):
            _check(item, s["items"], f"{path}[{i}]", root, errors)


def _describe(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


def _ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def check_value(value: Any, setting_schema: dict[str, Any]) -> list[str]:
    """What is wrong with one setting's value (empty: nothing)."""
    errors: list[tuple[str, str]] = []
    _check(value, setting_schema, "$", {"definitions": {}}, errors)
    return [f"{message}" if path == "$" else f"{path.removeprefix('$')}: {message}" for path, message in errors]
