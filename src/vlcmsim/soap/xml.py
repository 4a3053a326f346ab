"""vim25 SOAP as XML: reading a request's method and arguments, writing
values with the xsi:type each needs (pyVmomi and govmomi pick the type of a
property's value from it), envelopes and faults."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml.ElementTree import fromstring

from vlcmsim.vapi.codec import format_datetime

SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
VIM25 = "urn:vim25"


@dataclass(frozen=True)
class Mo:
    """A ManagedObjectReference."""

    type: str
    value: str


@dataclass
class Data:
    """A data object of a vim25 type: its fields in the WSDL's order."""

    type: str
    fields: list[tuple[str, Any]] = field(default_factory=list)

    def get(self, name: str) -> Any:
        return next((v for n, v in self.fields if n == name), None)


@dataclass(frozen=True)
class Enum:
    type: str
    value: str


@dataclass
class Array:
    """An ArrayOf<item> (a property's value that is a list)."""

    item: str  # "ManagedObjectReference", "string", a data object type
    items: list[Any]


class BadRequest(Exception):
    """The request is not SOAP vlcmsim can read."""


def parse(body: bytes) -> tuple[str, dict[str, Any]]:
    """The method's name and its arguments: text, morefs, repeated elements as lists, nested as dicts."""
    try:
        root = fromstring(body)
    except Exception as exc:  # defusedxml refuses entities; ParseError for the rest
        raise BadRequest(f"the body is not XML: {exc}") from None
    soap_body = root.find(f"{{{SOAPENV}}}Body")
    if soap_body is None or len(soap_body) == 0:
        raise BadRequest("no SOAP Body")
    call = soap_body[0]
    return _local(call.tag), _children(call)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el: Element) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for child in el:
        name = _local(child.tag)
        value = _value(child)
        if name in out:
            if not isinstance(out[name], list) or not out.get(f"__list_{name}"):
                out[name] = [out[name]]
                out[f"__list_{name}"] = True
            out[name].append(value)
        else:
            out[name] = value
    return {k: v for k, v in out.items() if not k.startswith("__list_")}


def _value(el: Element) -> Any:
    if "type" in el.attrib and len(el) == 0:  # a moref: <_this type="Folder">group-d1</_this>
        return Mo(el.attrib["type"], (el.text or "").strip())
    if len(el) == 0:
        return (el.text or "").strip()
    value = _children(el)
    xsi_type = el.attrib.get(f"{{{XSI}}}type")
    if xsi_type:
        value["@type"] = xsi_type.split(":")[-1]
    return value


def as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def element(name: str, value: Any, typed: bool = True) -> str:
    """`value` as the element `name`; `typed`: with its xsi:type (property values, array items)."""
    if value is None:
        return ""
    if isinstance(value, Mo):
        kind = ' xsi:type="ManagedObjectReference"' if typed else ""
        return f'<{name} type="{value.type}"{kind}>{_escape(value.value)}</{name}>'
    if isinstance(value, Enum):
        kind = f' xsi:type="{value.type}"' if typed else ""
        return f"<{name}{kind}>{_escape(value.value)}</{name}>"
    if isinstance(value, Data):
        kind = f' xsi:type="{value.type}"' if typed else ""
        inner = "".join(_field(n, v) for n, v in value.fields)
        return f"<{name}{kind}>{inner}</{name}>"
    if isinstance(value, Array):
        inner = "".join(element(value.item, item) for item in value.items)
        return f'<{name} xsi:type="ArrayOf{value.item[0].upper()}{value.item[1:]}">{inner}</{name}>'
    if isinstance(value, bool):
        return f"<{name}{_xsd('boolean', typed)}>{'true' if value else 'false'}</{name}>"
    if isinstance(value, int):
        return f"<{name}{_xsd('int', typed)}>{value}</{name}>"
    if isinstance(value, datetime):
        return f"<{name}{_xsd('dateTime', typed)}>{format_datetime(value)}</{name}>"
    return f"<{name}{_xsd('string', typed)}>{_escape(str(value))}</{name}>"


def _field(name: str, value: Any) -> str:
    """A data object's field: a list is its elements repeated; morefs and nested objects say their type."""
    if isinstance(value, list):
        return "".join(element(name, v, typed=isinstance(v, Data | Mo)) for v in value)
    return element(name, value, typed=isinstance(value, Data | Mo | Enum))


def _xsd(kind: str, typed: bool) -> str:
    return f' xsi:type="xsd:{kind}"' if typed else ""


def envelope(inner: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:soapenv="{SOAPENV}" '
        f'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="{XSI}"><soapenv:Body>{inner}'
        "</soapenv:Body></soapenv:Envelope>"
    ).encode()


def response(method: str, returnval: str) -> bytes:
    return envelope(f'<{method}Response xmlns="{VIM25}">{returnval}</{method}Response>')


def fault(fault_type: str, message: str, fields: list[tuple[str, Any]] | None = None) -> bytes:
    detail = "".join(_field(n, v) for n, v in (fields or []))
    return envelope(
        "<soapenv:Fault><faultcode>ServerFaultCode</faultcode>"
        f"<faultstring>{_escape(message)}</faultstring>"
        f'<detail><{fault_type}Fault xmlns="{VIM25}" xsi:type="{fault_type}">{detail}</{fault_type}Fault></detail>'
        "</soapenv:Fault>"
    )
