"""Domain values -> JSON, one walker for every wire, compiled once per type.

Three styles of the same walk:

- ``CLEAN``: what REST /api speaks: bare values, unset optionals omitted, maps as objects;
- ``LEGACY``: the legacy /rest form: the same, with maps as ``[{"key", "value"}]`` lists;
- ``TYPED``: what JSON-RPC speaks: ``{"STRUCTURE": {id: {...}}}``, ``{"OPTIONAL": v}``,
  maps as lists of ``map-entry`` structs, ``{"SECRET": s}``, ``{"BINARY": b64}``.

The model's rules are applied on the way out: a struct's union rules decide
which of its union fields are written (a field its case does not allow is
left out; a field its case requires and that is unset is an `EncodeError`),
and an enum value the model does not know is an `EncodeError`. Handlers
therefore build values without caring about unions.
"""

from __future__ import annotations

import base64
import enum
from collections.abc import Callable
from typing import Any

import orjson

from vlcmsim.vapi.codec.values import Frozen, format_datetime
from vlcmsim.vapi.errors import VapiError
from vlcmsim.vapi.model import TD, Union, model


class Style(enum.Enum):
    CLEAN = "clean"
    LEGACY = "legacy"
    TYPED = "typed"


CLEAN, LEGACY, TYPED = Style.CLEAN, Style.LEGACY, Style.TYPED


class EncodeError(RuntimeError):
    """A handler returned a value its declared type does not allow: a bug."""


Encoder = Callable[[Any], Any]
_ENCODERS: dict[tuple[str, Style], Encoder] = {}
# the same descriptor object asks again (the hot path: an operation's output): no serializing it
_BY_OBJECT: dict[tuple[int, Style], tuple[TD, Encoder]] = {}


def encoder(td: TD, style: Style = CLEAN) -> Encoder:
    """The function that writes values of type `td` in `style`, built once."""
    hit = _BY_OBJECT.get((id(td), style))
    if hit is not None and hit[0] is td:
        return hit[1]
    key = (orjson.dumps(td, option=orjson.OPT_SORT_KEYS).decode(), style)
    enc = _ENCODERS.get(key)
    if enc is None:
        enc = _ENCODERS[key] = _compile(td, style)
    if len(_BY_OBJECT) < 100_000:
        _BY_OBJECT[(id(td), style)] = (td, enc)  # keeps td alive: its id stays its own
    return enc


def encode(td: TD, value: Any, style: Style = CLEAN) -> Any:
    return encoder(td, style)(value)


def _identity(v: Any) -> Any:
    return v


def _compile(td: TD, style: Style) -> Encoder:
    kind = td["kind"]
    if kind == "struct":
        return _struct_encoder(td["id"], style)
    if kind == "optional":
        inner = _compile(td["element"], style)
        if style is TYPED:
            return lambda v: {"OPTIONAL": None if v is None else inner(v)}
        if inner is _identity:
            return _identity
        return lambda v: None if v is None else inner(v)
    if kind in ("list", "set"):
        el = _compile(td["element"], style)
        if el is _identity:
            return list
        return lambda v: [el(x) for x in v]
    if kind == "map":
        return _map_encoder(td, style)
    if kind == "enum":
        return _enum_encoder(td["id"])
    if kind == "DateTime":
        return format_datetime
    if kind == "opaque":
        return lambda v: encoder(v.td, style)(v.value)
    if kind == "AnyError":
        return error_to_typed if style is TYPED else _error_to_clean
    if kind == "binary":
        if style is TYPED:
            return lambda v: {"BINARY": base64.b64encode(v).decode()}
        return lambda v: base64.b64encode(v).decode()
    if kind == "secret" and style is TYPED:
        return lambda v: {"SECRET": v}
    if kind == "dynamic_structure" and style is TYPED:
        return lambda v: {"STRUCTURE": {"dynamic": v}}
    if kind == "void":
        return lambda v: None
    return _identity


def _map_encoder(td: TD, style: Style) -> Encoder:
    key = _compile(td["key"], style)
    val = _compile(td["value"], style)
    if style is TYPED:
        return lambda v: [{"STRUCTURE": {"map-entry": {"key": key(k), "value": val(x)}}} for k, x in v.items()]
    if style is LEGACY:
        return lambda v: [{"key": key(k), "value": val(x)} for k, x in v.items()]
    if val is _identity:
        return lambda v: {str(k): x for k, x in v.items()}
    return lambda v: {str(k): val(x) for k, x in v.items()}


def _enum_encoder(enum_id: str) -> Encoder:
    values = model().enums[enum_id].values

    def encode_enum(v: Any) -> Any:
        if v not in values:
            raise EncodeError(f"{v!r} is not a value of enum {enum_id}")
        return v

    return encode_enum


def _struct_encoder(struct_id: str, style: Style) -> Encoder:
    # filled at first use: structs may refer to themselves
    fields: list[tuple[str, bool, Encoder | None]] = []  # None: written as it is
    unions: list[Union] = []

    def encode_struct(value: Any) -> Any:
        if type(value) is Frozen:
            return value.memo(style, encode_fields)
        return encode_fields(value)

    def encode_fields(value: Any) -> Any:
        if not fields:
            st = model().struct(struct_id)
            unions.extend(st.unions)
            for name, ftd in st.fields:
                compiled = _compile(ftd, style)
                fields.append((name, ftd["kind"] == "optional", None if compiled is _identity else compiled))
        left_out = _union_left_out(struct_id, unions, value) if unions else ()
        out: dict[str, Any] = {}
        for name, optional, enc in fields:
            v = None if name in left_out else value.get(name)
            if v is None:
                if not optional:
                    raise EncodeError(f"{struct_id}.{name} is required but unset")
                if style is TYPED:
                    out[name] = {"OPTIONAL": None}
                continue
            out[name] = v if enc is None else enc(v)
        return {"STRUCTURE": {struct_id: out}} if style is TYPED else out

    return encode_struct


def _union_left_out(struct_id: str, unions: list[Union], value: dict[str, Any]) -> set[str]:
    left_out: set[str] = set()
    for u in unions:
        case_value = value.get(u.discriminant)
        allowed = u.fields_for(case_value)
        for name in u.members:
            if name not in allowed:
                left_out.add(name)
            elif allowed[name] and value.get(name) is None:
                raise EncodeError(f"{struct_id}.{name} is required when {u.discriminant} is {case_value}")
    return left_out


def _error_to_clean(err: VapiError) -> dict[str, Any]:
    return err.as_value()


_MSG_TD: TD = {"kind": "struct", "id": "com.vmware.vapi.std.localizable_message"}


def error_to_typed(err: VapiError) -> dict[str, Any]:
    message = encoder(_MSG_TD, TYPED)
    return {
        "ERROR": {
            err.error_id: {
                "messages": [message(m.as_value()) for m in err.messages],
                "data": {"OPTIONAL": None},
                "error_type": {"OPTIONAL": err.error_type},
            }
        }
    }
