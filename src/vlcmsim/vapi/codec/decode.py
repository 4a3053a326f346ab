"""JSON -> domain values, checked against the model, for both wire forms.

Domain values are plain Python: a struct is a dict (an unset optional field is
absent), a list or set is a list (a set without duplicates), a map is a dict,
a DateTime an aware datetime, an enum its string.

*Clean* JSON is what REST /api and legacy /rest send: bare values (maps as
objects, or as key/value lists). *Typed* JSON is what JSON-RPC sends:
``{"STRUCTURE": {id: {...}}}``, ``{"OPTIONAL": v}``, maps as ``map-entry``
structs. Both walks check types, unknown and missing fields, enum values,
the structs' union rules and the size of collections, and say where the input
is wrong (``spec.hosts[3]``).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from vlcmsim.vapi.codec.values import parse_datetime
from vlcmsim.vapi.errors import VapiError, invalid_argument
from vlcmsim.vapi.model import TD, StructType, model

# Larger lists, sets and maps are refused with InvalidArgument: no input of the
# vLCM API needs more (a cluster has at most a few hundred hosts), and it
# bounds the work one request can ask for.
MAX_ITEMS = 10_000


# ----------------------------------------------------------------------------
# errors that say where


def _shown(got: Any) -> str:
    """A short, safe picture of a bad value (never a deep repr)."""
    if isinstance(got, dict):
        return "an object"
    if isinstance(got, list):
        return "an array"
    shown = repr(got)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _bad(where: str, expected: str, got: Any) -> VapiError:
    return invalid_argument(
        "vapi.bindings.typeconverter.invalid",
        f"Invalid value for '{where}': expected {expected}, got {_shown(got)}.",
        where,
    )


def _joined(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _unexpected(where: str, name: str) -> VapiError:
    field = _joined(where, name)
    return invalid_argument(
        "vapi.bindings.typeconverter.unexpected.field", f"Unexpected field '{field}' in request.", field
    )


def _missing(where: str, name: str) -> VapiError:
    field = _joined(where, name)
    return invalid_argument("vapi.bindings.typeconverter.missing.field", f"Required field '{field}' is missing.", field)


def _too_many(where: str, n: int) -> VapiError:
    return invalid_argument(
        "com.vmware.vlcmsim.input.TooManyItems",
        f"'{where or 'input'}' has {n} items; at most {MAX_ITEMS} are accepted.",
        where,
        str(MAX_ITEMS),
    )


def check_unions(st: StructType, value: dict[str, Any], where: str) -> None:
    """InvalidArgument when a decoded struct breaks one of its union rules."""
    for u in st.unions:
        case_value = value.get(u.discriminant)
        allowed = u.fields_for(case_value)
        for name in u.members:
            field = _joined(where, name)
            if name not in allowed and value.get(name) is not None:
                raise invalid_argument(
                    "vapi.data.structure.union.extra",
                    f"Field '{field}' is not allowed when {u.discriminant} is {case_value}.",
                    st.id,
                    field,
                )
            if allowed.get(name) and value.get(name) is None:
                raise invalid_argument(
                    "vapi.data.structure.union.missing",
                    f"Field '{field}' is required when {u.discriminant} is {case_value}.",
                    st.id,
                    field,
                )


# ----------------------------------------------------------------------------
# primitives, shared by both forms


def _primitive(kind: str, td: TD, j: Any, where: str) -> Any:
    if kind in ("string", "id", "URI", "secret"):
        if not isinstance(j, str):
            raise _bad(where, "a string", j)
        return j
    if kind == "long":
        if isinstance(j, bool) or not isinstance(j, int):
            raise _bad(where, "an integer", j)
        if not -(2**63) <= j < 2**63:
            raise _bad(where, "a 64-bit integer", j)
        return j
    if kind == "boolean":
        if not isinstance(j, bool):
            raise _bad(where, "a boolean", j)
        return j
    if kind == "double":
        if isinstance(j, bool) or not isinstance(j, int | float):
            raise _bad(where, "a number", j)
        return float(j)
    if kind == "enum":
        if not isinstance(j, str):
            raise _bad(where, "a string", j)
        values = model().enums[td["id"]].values
        if j not in values:
            raise invalid_argument(
                "vapi.bindings.typeconverter.enum.invalid",
                f"Invalid value {_shown(j)} for '{where}': expected one of {', '.join(sorted(values))}.",
                where,
            )
        return j
    if kind == "DateTime":
        dt = parse_datetime(j) if isinstance(j, str) else None
        if dt is None:
            raise _bad(where, "an RFC 3339 date-time", j)
        return dt
    if kind == "binary":
        if not isinstance(j, str):
            raise _bad(where, "a base64 string", j)
        try:
            return base64.b64decode(j, validate=True)
        except ValueError:
            raise _bad(where, "a base64 string", j) from None
    if kind == "dynamic_structure":
        if not isinstance(j, dict):
            raise _bad(where, "an object", j)
        return j
    if kind == "void":
        return None
    raise _bad(where, f"a value of kind {kind}", j)


def _items(j: Any, where: str, expected: str) -> list[Any]:
    if not isinstance(j, list):
        raise _bad(where, expected, j)
    if len(j) > MAX_ITEMS:
        raise _too_many(where, len(j))
    return j


def _sequence(walk: Callable[[TD, Any, str], Any], td: TD, j: Any, where: str) -> list[Any]:
    """A list or set, each element decoded by `walk` (the clean or the typed form)."""
    el = td["element"]
    items = [walk(el, v, f"{where}[{i}]") for i, v in enumerate(_items(j, where, "an array"))]
    return _unique(items) if td["kind"] == "set" else items


def _unique(items: list[Any]) -> list[Any]:
    """A set's elements once each, in order; linear in the number of elements."""
    try:
        return list(dict.fromkeys(items))
    except TypeError:  # unhashable elements (structs): compare their canonical form
        import orjson

        seen: dict[bytes, Any] = {}
        for item in items:
            seen.setdefault(orjson.dumps(item, option=orjson.OPT_SORT_KEYS, default=str), item)
        return list(seen.values())


# ----------------------------------------------------------------------------
# clean JSON (REST, legacy /rest)


def from_clean(td: TD, j: Any, where: str = "") -> Any:
    kind = td["kind"]
    if kind == "optional":
        return None if j is None else from_clean(td["element"], j, where)
    if kind == "struct":
        if not isinstance(j, dict):
            raise _bad(where or "body", "an object", j)
        st = model().struct(td["id"])
        for name in j:
            if name not in st.field_map:
                raise _unexpected(where, name)
        out: dict[str, Any] = {}
        for name, ftd in st.fields:
            v = j.get(name)
            if v is None:
                if ftd["kind"] != "optional":
                    raise _missing(where, name)
                continue
            decoded = from_clean(ftd, v, _joined(where, name))
            if decoded is not None:
                out[name] = decoded
        check_unions(st, out, where)
        return out
    if kind in ("list", "set"):
        return _sequence(from_clean, td, j, where)
    if kind == "map":
        if isinstance(j, list):  # [{"key": k, "value": v}] is accepted as well
            pairs = []
            for entry in _items(j, where, "an object"):
                if not isinstance(entry, dict) or set(entry) != {"key", "value"}:
                    raise _bad(where, "a map entry {key, value}", entry)
                pairs.append((entry["key"], entry["value"]))
        elif isinstance(j, dict):
            if len(j) > MAX_ITEMS:
                raise _too_many(where, len(j))
            pairs = list(j.items())
        else:
            raise _bad(where, "an object", j)
        ktd, vtd = td["key"], td["value"]
        return {from_clean(ktd, k, where): from_clean(vtd, v, f"{where}.{k}") for k, v in pairs}
    return _primitive(kind, td, j, where)


# ----------------------------------------------------------------------------
# typed JSON (JSON-RPC)


def from_typed(td: TD, j: Any, where: str = "") -> Any:
    kind = td["kind"]
    if kind == "optional":
        if j is None:  # a missing optional field is taken as unset
            return None
        if not isinstance(j, dict) or "OPTIONAL" not in j or len(j) != 1:
            raise _bad(where, '{"OPTIONAL": value}', j)
        inner = j["OPTIONAL"]
        return None if inner is None else from_typed(td["element"], inner, where)
    if kind == "struct":
        if not isinstance(j, dict) or "STRUCTURE" not in j or len(j) != 1:
            raise _bad(where or "input", '{"STRUCTURE": {...}}', j)
        body = j["STRUCTURE"]
        if not isinstance(body, dict) or len(body) != 1:
            raise _bad(where or "input", "a structure with one name", j)
        ((_, fields),) = body.items()
        st = model().struct(td["id"])
        out = _typed_fields(st.fields, fields, where)
        check_unions(st, out, where)
        return out
    if kind in ("list", "set"):
        return _sequence(from_typed, td, j, where)
    if kind == "map":
        out_map: dict[Any, Any] = {}
        for entry in _items(j, where, "a list of map entries"):
            try:
                e = entry["STRUCTURE"]["map-entry"]
                k, v = e["key"], e["value"]
            except (KeyError, TypeError):
                raise _bad(where, "a map-entry structure", entry) from None
            key = from_typed(td["key"], k, where)
            out_map[key] = from_typed(td["value"], v, f"{where}.{key}")
        return out_map
    if kind in ("secret", "binary"):
        tag = kind.upper()
        if isinstance(j, dict) and set(j) == {tag}:
            j = j[tag]
    return _primitive(kind, td, j, where)


def _typed_fields(fields: list[tuple[str, TD]], j: Any, where: str) -> dict[str, Any]:
    if not isinstance(j, dict):
        raise _bad(where or "input", "an object", j)
    names = {name for name, _ in fields}
    for name in j:
        if name not in names:
            raise _unexpected(where, name)
    out: dict[str, Any] = {}
    for name, ftd in fields:
        if name not in j:
            if ftd["kind"] != "optional":
                raise _missing(where, name)
            continue
        v = from_typed(ftd, j[name], _joined(where, name))
        if v is not None:
            out[name] = v
    return out


def operation_input_from_typed(inputs: list[tuple[str, TD]], j: Any) -> dict[str, Any]:
    """Decode ``{"STRUCTURE": {"operation-input": {...}}}``."""
    if not isinstance(j, dict) or set(j) != {"STRUCTURE"} or not isinstance(j["STRUCTURE"], dict):
        raise _bad("input", '{"STRUCTURE": {"operation-input": {...}}}', j)
    body = j["STRUCTURE"].get("operation-input")
    if body is None or len(j["STRUCTURE"]) != 1:
        raise _bad("input", "an operation-input structure", j)
    return _typed_fields(inputs, body, "")
