"""Values <-> JSON, driven by type descriptors, for both wires.

Domain values are plain Python: a struct is a dict (an unset optional field is
absent or None), a list or set is a list, a map is a dict, a DateTime is an
aware datetime, an enum is its string, an opaque value is an `Opaque` (the value
with its own descriptor), AnyError is a `VapiError`.

*Clean* JSON is what REST /api speaks: bare values, unset optionals omitted,
maps as objects (as key/value lists in the legacy /rest form).
*Typed* JSON is what JSON-RPC speaks: ``{"STRUCTURE": {id: {...}}}``,
``{"OPTIONAL": v}``, maps as lists of ``map-entry`` structs, ``{"SECRET": s}``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from vlcmsim.vapi.errors import VapiError, invalid_argument
from vlcmsim.vapi.model import TD, model

_RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


@dataclass(frozen=True)
class Opaque:
    """A value whose type travels with it (cis.task.Info.result)."""

    td: TD
    value: Any


def format_datetime(dt: datetime) -> str:
    """UTC, millisecond precision, truncated: what vCenter emits."""
    if dt.tzinfo is not None and dt.utcoffset():
        dt = dt.astimezone(UTC)
    return dt.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def parse_datetime(text: Any, where: str) -> datetime:
    if not isinstance(text, str) or not _RFC3339.match(text):
        raise _bad(where, "an RFC 3339 date-time", text)
    try:
        return datetime.fromisoformat(text.replace("z", "Z").replace("t", "T")).astimezone(UTC)
    except ValueError:
        raise _bad(where, "an RFC 3339 date-time", text) from None


def _bad(where: str, expected: str, got: Any) -> VapiError:
    shown = repr(got)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return invalid_argument(
        "vapi.bindings.typeconverter.invalid",
        f"Invalid value for '{where}': expected {expected}, got {shown}.",
        where,
    )


def _unexpected(where: str, name: str) -> VapiError:
    field = f"{where}.{name}" if where else name
    return invalid_argument(
        "vapi.bindings.typeconverter.unexpected.field", f"Unexpected field '{field}' in request.", field
    )


def _missing(where: str, name: str) -> VapiError:
    field = f"{where}.{name}" if where else name
    return invalid_argument("vapi.bindings.typeconverter.missing.field", f"Required field '{field}' is missing.", field)


# ----------------------------------------------------------------------------
# clean JSON (REST)


def to_clean(td: TD, value: Any, legacy_maps: bool = False) -> Any:
    kind = td["kind"]
    if kind == "struct":
        st = model().struct(td["id"])
        out: dict[str, Any] = {}
        for name, ftd in st.fields:
            v = value.get(name)
            if v is None:
                if ftd["kind"] == "optional":
                    continue
                raise RuntimeError(f"{td['id']}.{name} is required but unset")
            out[name] = to_clean(ftd, v, legacy_maps)
        return out
    if kind == "optional":
        return None if value is None else to_clean(td["element"], value, legacy_maps)
    if kind in ("list", "set"):
        el = td["element"]
        return [to_clean(el, v, legacy_maps) for v in value]
    if kind == "map":
        vtd = td["value"]
        if legacy_maps:
            return [{"key": k, "value": to_clean(vtd, v, legacy_maps)} for k, v in value.items()]
        return {str(k): to_clean(vtd, v, legacy_maps) for k, v in value.items()}
    if kind == "DateTime":
        return format_datetime(value)
    if kind == "opaque":
        return to_clean(value.td, value.value, legacy_maps)
    if kind == "AnyError":
        return error_to_clean(value)
    if kind == "binary":
        return base64.b64encode(value).decode()
    if kind == "void":
        return None
    return value


Encoder = Callable[[Any], Any]
_ENCODERS: dict[str, Encoder] = {}


def clean_encoder(td: TD) -> Encoder:
    """A function equivalent to ``to_clean(td, .)``, built once per descriptor:
    the REST hot path does no descriptor walking."""
    key = orjson.dumps(td, option=orjson.OPT_SORT_KEYS).decode()
    enc = _ENCODERS.get(key)
    if enc is None:
        enc = _ENCODERS[key] = _compile_clean(td)
    return enc


def _compile_clean(td: TD) -> Encoder:
    kind = td["kind"]
    if kind == "struct":
        fields: list[tuple[str, bool, Encoder | None]] = []

        def encode_struct(value: Any) -> Any:
            if not fields:  # filled lazily: structs may refer to themselves
                for name, ftd in model().struct(td["id"]).fields:
                    fields.append((name, ftd["kind"] == "optional", _compile_clean(ftd) if _needs(ftd) else None))
            out: dict[str, Any] = {}
            for name, optional, enc in fields:
                v = value.get(name)
                if v is None:
                    if optional:
                        continue
                    raise RuntimeError(f"{td['id']}.{name} is required but unset")
                out[name] = enc(v) if enc else v
            return out

        return encode_struct
    if kind == "optional":
        inner = _compile_clean(td["element"])
        return lambda v: None if v is None else inner(v)
    if kind in ("list", "set"):
        if not _needs(td["element"]):
            return list
        el = _compile_clean(td["element"])
        return lambda v: [el(x) for x in v]
    if kind == "map":
        if not _needs(td["value"]):
            return lambda v: {str(k): x for k, x in v.items()}
        val = _compile_clean(td["value"])
        return lambda v: {str(k): val(x) for k, x in v.items()}
    if kind == "DateTime":
        return format_datetime
    if kind == "opaque":
        return lambda v: clean_encoder(v.td)(v.value)
    if kind == "AnyError":
        return error_to_clean
    return lambda v: to_clean(td, v)


def _needs(td: TD) -> bool:
    """Whether values of this type need any conversion for clean JSON."""
    kind = td["kind"]
    if kind in ("string", "id", "URI", "secret", "long", "boolean", "double", "enum"):
        return False
    if kind in ("optional", "list", "set"):
        return _needs(td["element"])
    return True


def error_to_clean(err: VapiError) -> dict[str, Any]:
    return err.as_value()


def from_clean(td: TD, j: Any, where: str = "") -> Any:
    kind = td["kind"]
    if kind == "optional":
        return None if j is None else from_clean(td["element"], j, where)
    if kind == "struct":
        if not isinstance(j, dict):
            raise _bad(where or "body", "an object", j)
        st = model().struct(td["id"])
        out: dict[str, Any] = {}
        for name in j:
            if name not in st.field_map:
                raise _unexpected(where, name)
        for name, ftd in st.fields:
            sub = f"{where}.{name}" if where else name
            v = j.get(name)
            if v is None:
                if ftd["kind"] != "optional":
                    raise _missing(where, name)
                continue
            out[name] = from_clean(ftd, v, sub)
        return out
    if kind in ("list", "set"):
        if not isinstance(j, list):
            raise _bad(where, "an array", j)
        el = td["element"]
        items = [from_clean(el, v, f"{where}[{i}]") for i, v in enumerate(j)]
        return _dedupe(items) if kind == "set" else items
    if kind == "map":
        ktd, vtd = td["key"], td["value"]
        if isinstance(j, list):  # [{"key": k, "value": v}] is accepted as well
            pairs = []
            for entry in j:
                if not isinstance(entry, dict) or set(entry) != {"key", "value"}:
                    raise _bad(where, "a map entry {key, value}", entry)
                pairs.append((entry["key"], entry["value"]))
        elif isinstance(j, dict):
            pairs = list(j.items())
        else:
            raise _bad(where, "an object", j)
        return {from_clean(ktd, k, where): from_clean(vtd, v, f"{where}.{k}") for k, v in pairs}
    return _primitive(kind, td, j, where)


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
                f"Invalid value {j!r} for '{where}': expected one of {', '.join(sorted(values))}.",
                where,
            )
        return j
    if kind == "DateTime":
        return parse_datetime(j, where)
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


def _dedupe(items: list[Any]) -> list[Any]:
    seen: list[Any] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


# ----------------------------------------------------------------------------
# typed JSON (JSON-RPC)


def to_typed(td: TD, value: Any) -> Any:
    kind = td["kind"]
    if kind == "struct":
        st = model().struct(td["id"])
        fields: dict[str, Any] = {}
        for name, ftd in st.fields:
            v = value.get(name)
            if v is None and ftd["kind"] != "optional":
                raise RuntimeError(f"{td['id']}.{name} is required but unset")
            fields[name] = to_typed(ftd, v)
        return {"STRUCTURE": {td["id"]: fields}}
    if kind == "optional":
        return {"OPTIONAL": None if value is None else to_typed(td["element"], value)}
    if kind in ("list", "set"):
        el = td["element"]
        return [to_typed(el, v) for v in value]
    if kind == "map":
        ktd, vtd = td["key"], td["value"]
        return [
            {"STRUCTURE": {"map-entry": {"key": to_typed(ktd, k), "value": to_typed(vtd, v)}}} for k, v in value.items()
        ]
    if kind == "DateTime":
        return format_datetime(value)
    if kind == "secret":
        return {"SECRET": value}
    if kind == "opaque":
        return to_typed(value.td, value.value)
    if kind == "AnyError":
        return error_to_typed(value)
    if kind == "binary":
        return {"BINARY": base64.b64encode(value).decode()}
    if kind == "dynamic_structure":
        return {"STRUCTURE": {"dynamic": value}}
    if kind == "void":
        return None
    return value


def error_to_typed(err: VapiError) -> dict[str, Any]:
    return {
        "ERROR": {
            err.error_id: {
                "messages": [to_typed(_MSG_TD, m.as_value()) for m in err.messages],
                "data": {"OPTIONAL": None},
                "error_type": {"OPTIONAL": err.error_type},
            }
        }
    }


_MSG_TD: TD = {"kind": "struct", "id": "com.vmware.vapi.std.localizable_message"}


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
        return _typed_fields(model().struct(td["id"]).fields, fields, where)
    if kind in ("list", "set"):
        if not isinstance(j, list):
            raise _bad(where, "an array", j)
        el = td["element"]
        items = [from_typed(el, v, f"{where}[{i}]") for i, v in enumerate(j)]
        return _dedupe(items) if kind == "set" else items
    if kind == "map":
        if not isinstance(j, list):
            raise _bad(where, "a list of map entries", j)
        out: dict[Any, Any] = {}
        for entry in j:
            try:
                e = entry["STRUCTURE"]["map-entry"]
                k, v = e["key"], e["value"]
            except (KeyError, TypeError):
                raise _bad(where, "a map-entry structure", entry) from None
            key = from_typed(td["key"], k, where)
            out[key] = from_typed(td["value"], v, f"{where}.{key}")
        return out
    if kind == "secret":
        if isinstance(j, dict) and set(j) == {"SECRET"}:
            j = j["SECRET"]
        return _primitive("secret", td, j, where)
    if kind == "binary":
        if isinstance(j, dict) and set(j) == {"BINARY"}:
            j = j["BINARY"]
        return _primitive("binary", td, j, where)
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
        sub = f"{where}.{name}" if where else name
        if name not in j:
            if ftd["kind"] != "optional":
                raise _missing(where, name)
            continue
        v = from_typed(ftd, j[name], sub)
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


def now() -> datetime:
    return datetime.now(UTC)
