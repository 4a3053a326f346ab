"""vim25's type system, as pyVmomi knows it: every data and managed type,
their properties, inheritance, enum values and methods. The SOAP side takes
its shapes from here (as the vAPI side takes them from the SDK's bindings):
no hand-kept table of supertypes, property names or enum spellings."""

from __future__ import annotations

from typing import Any

from pyVmomi import SoapAdapter as _soap_adapter
from pyVmomi import VmomiSupport as _vmomi_support
from pyVmomi import vim as _vim
from pyVmomi import vmodl as _vmodl

# pyVmomi's types are made at run time: to the type checker they are Any
vim: Any = _vim
vmodl: Any = _vmodl
VmomiSupport: Any = _vmomi_support
SoapAdapter: Any = _soap_adapter

NS = "urn:vim25"
VERSION = "vim.version.v8_0_3_0"  # what /sdk/vimServiceVersions.xml says the server is
API_VERSION = "8.0.3.0"

__all__ = ["NS", "VERSION", "SoapAdapter", "VmomiSupport", "vim", "vmodl"]


def version_of(soap_action: str | None) -> str:
    """The vim25 version a request speaks (its SOAPAction, "urn:vim25/8.0.2.0"); the
    server's own when it names none or one pyVmomi does not know."""
    if soap_action:
        uri = soap_action.strip().strip('"').removeprefix("urn:")
        candidate = VmomiSupport.versionMap.get(uri)
        if candidate is not None and VmomiSupport.IsChildVersion(VERSION, candidate):
            return str(candidate)
    return VERSION


def managed_type(name: str) -> Any:
    """The managed object class of a WSDL type name (KeyError when vim25 has none)."""
    kind = VmomiSupport.GetWsdlType(NS, name)
    if not issubclass(kind, VmomiSupport.ManagedObject):
        raise KeyError(name)
    return kind


def method(name: str) -> Any:
    """A method's info (name, params, result, the managed type it belongs to) by its WSDL name."""
    return VmomiSupport.GetWsdlMethod(NS, name).info


def wsdl_name(kind: Any) -> str:
    return str(VmomiSupport.GetWsdlName(kind))


def is_a(obj: Any, kind: Any) -> bool:
    """Whether a moref (a pyVmomi managed object) is of `kind` or a subtype of it."""
    return isinstance(obj, kind)


def property_names(kind: Any) -> list[str]:
    """Every property vim25 defines for a managed type, its supertypes' included."""
    return [p.name for p in kind._GetPropertyList()]


def property_type(kind: Any, name: str) -> Any | None:
    try:
        return kind._GetPropertyInfo(name).type
    except AttributeError:
        return None


def ref(kind: Any, value: str) -> Any:
    """A managed object reference: `ref(vim.HostSystem, "host-1")`."""
    return kind(value)


def moid(obj: Any) -> str:
    return str(obj._moId)


def same(a: Any, b: Any) -> bool:
    """Two references name the same object (pyVmomi compares them by type and id too)."""
    return a is not None and b is not None and type(a) is type(b) and moid(a) == moid(b)


def key(obj: Any) -> tuple[str, str]:
    return (wsdl_name(type(obj)), moid(obj))
