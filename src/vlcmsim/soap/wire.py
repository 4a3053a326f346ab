"""vim25 SOAP on the wire: a request decoded into its method and typed
arguments, a result or a fault encoded — both by pyVmomi's own (de)serializer,
driven by each method's parameter and result types.

Hostile XML is refused before pyVmomi sees it: no document type (so no entity
of any kind), at most MAX_DEPTH elements deep and MAX_ELEMENTS in all."""

from __future__ import annotations

from dataclasses import dataclass
from io import StringIO
from typing import Any
from xml.parsers import expat

from vlcmsim.soap import vim
from vlcmsim.soap.vim import SoapAdapter, VmomiSupport

SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SEP = " "  # expat's namespace separator, as pyVmomi's deserializer expects
MAX_DEPTH = 64  # a real request nests a dozen deep (a TraversalSpec's selectSet in another's)
MAX_ELEMENTS = 200_000


class BadRequest(Exception):
    """The body is not a vim25 request vlcmsim can read."""


@dataclass
class Call:
    """A decoded request: the method's info, the object it is called on, its arguments."""

    method: Any  # pyVmomi's method info: .name, .wsdlName, .params, .result, .type
    this: Any  # the managed object (a pyVmomi reference)
    args: dict[str, Any]
    version: str

    @property
    def name(self) -> str:
        return str(self.method.wsdlName)


def _refuse_doctype(*_: Any) -> None:
    raise BadRequest("a document type declaration is not allowed")


def check_shape(body: bytes) -> None:
    """Refuse a document type (entities), and bodies nested or sized beyond reason,
    before any object is built from them."""
    parser = expat.ParserCreate()
    depth = 0
    count = 0

    def start(_tag: str, _attrs: Any) -> None:
        nonlocal depth, count
        depth += 1
        count += 1
        if depth > MAX_DEPTH:
            raise BadRequest(f"the body nests elements more than {MAX_DEPTH} deep")
        if count > MAX_ELEMENTS:
            raise BadRequest(f"the body has more than {MAX_ELEMENTS} elements")

    def end(_tag: str) -> None:
        nonlocal depth
        depth -= 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    parser.ExternalEntityRefHandler = _refuse_doctype  # type: ignore[assignment]
    try:
        parser.Parse(body, True)
    except expat.ExpatError as exc:
        raise BadRequest(f"the body is not XML: {exc}") from None


class _RequestReader(SoapAdapter.ExpatDeserializerNSHandlers):  # type: ignore[misc]
    """Walks Envelope > Body > Method and hands each argument element to
    pyVmomi's deserializer with the type the method declares for it."""

    def __init__(self, version: str) -> None:
        super().__init__()
        self.version = version
        self.depth = 0
        self.method: Any = None
        self.params: dict[str, Any] = {}
        self.args: dict[str, Any] = {}
        self.this: Any = None
        self._current: tuple[str, SoapAdapter.SoapDeserializer, bool] | None = None

    def read(self, body: bytes) -> Call:
        parser = expat.ParserCreate(namespace_separator=SEP)
        parser.buffer_text = True
        self.parser = parser
        SoapAdapter.SetHandlers(parser, SoapAdapter.GetHandlers(self))
        try:
            parser.Parse(body, True)
        except BadRequest:
            raise
        except (expat.ExpatError, KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise BadRequest(f"the request's arguments are not valid vim25: {exc}") from None
        if self.method is None:
            raise BadRequest("no method in the SOAP Body")
        if self.this is None:
            raise BadRequest(f"{self.method.wsdlName} names no object (_this)")
        return Call(self.method, self.this, self.args, self.version)

    def StartElementHandler(self, tag: str, attr: dict[str, str]) -> None:
        self._collect()
        self.depth += 1
        ns, _, name = tag.rpartition(SEP)
        if self.depth == 1 and (ns != SOAPENV or name != "Envelope"):
            raise BadRequest("the body is not a SOAP envelope")
        if self.depth == 2 and ns == SOAPENV and name == "Header":
            return
        if self.depth == 2 and (ns != SOAPENV or name != "Body"):
            return
        if self.depth == 3 and self.method is None and (ns != SOAPENV):
            try:
                self.method = INTERNAL_METHODS[name] if name in INTERNAL_METHODS else vim.method(name)
            except KeyError:
                raise UnknownMethod(name) from None
            self.params = {p.name: p for p in self.method.params}
            return
        if self.depth == 4 and self.method is not None:
            self._argument(tag, name, attr)

    def _argument(self, tag: str, name: str, attr: dict[str, str]) -> None:
        if name == "_this":
            kind: Any = VmomiSupport.ManagedObject
            many = False
        else:
            param = self.params.get(name)
            if param is None:
                raise BadRequest(f"{self.method.wsdlName} takes no argument {name}")
            kind = param.type
            many = issubclass(kind, list)
            if many:
                kind = kind.Item
        reader = SoapAdapter.SoapDeserializer(version=self.version)
        reader.Deserialize(self.parser, kind, False, self.nsMap)
        self._current = (name, reader, many)
        reader.StartElementHandler(tag, attr)  # the argument's own element opens its value
        self.depth -= 1  # its end tag is the deserializer's, until it hands the parser back

    def _collect(self) -> None:
        """Keep the value of the argument whose deserializer has just handed the parser back."""
        if self._current is None:
            return
        name, reader, many = self._current
        self._current = None
        value = reader.GetResult()
        if name == "_this":
            self.this = value
        elif many:
            self.args.setdefault(name, []).append(value)
        else:
            self.args[name] = value

    def EndElementHandler(self, tag: str) -> None:
        self._collect()
        self.depth -= 1

    def CharacterDataHandler(self, data: str) -> None:
        pass


# pyVmomi reads one property of one object with Fetch (not in vim25's WSDL): its result is the property's value
FETCH = VmomiSupport.Object(
    name="Fetch",
    wsdlName="Fetch",
    type=VmomiSupport.ManagedObject,
    version=vim.VERSION,
    params=(VmomiSupport.Object(name="prop", type=str, version=vim.VERSION, flags=0),),
    isTask=False,
    result=object,
    resultFlags=VmomiSupport.F_OPTIONAL,
)


# methods vim25's WSDL does not publish, by name (esxcli's add theirs)
INTERNAL_METHODS: dict[str, Any] = {"Fetch": FETCH}


class UnknownMethod(Exception):
    """A method vim25 does not define (MethodNotFound, as vCenter answers)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def decode(body: bytes, soap_action: str | None) -> Call:
    check_shape(body)
    return _RequestReader(vim.version_of(soap_action)).read(body)


# -- answers ----------------------------------------------------------------------

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:soapenv="{SOAPENV}" '
    f'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="{XSI}"><soapenv:Body>'
)
_TAIL = "</soapenv:Body></soapenv:Envelope>"
_NS_MAP = {vim.NS: "", XSI: "xsi", "http://www.w3.org/2001/XMLSchema": "xsd"}
_FAULT_NS_MAP = {XSI: "xsi", "http://www.w3.org/2001/XMLSchema": "xsd"}  # detail says xmlns="urn:vim25" itself


def serialize(value: Any, name: str, kind: Any, version: str, flags: int = 0) -> str:
    """`value` as the element `name` of static type `kind` (pyVmomi writes xsi:type where the
    value's type is narrower)."""
    out = StringIO()
    info = VmomiSupport.Object(name=name, type=kind, version=version, flags=flags)
    SoapAdapter.SoapSerializer(out, version, _NS_MAP).Serialize(value, info)
    return _references(out.getvalue())


def _references(xml: str) -> str:
    """pyVmomi types a reference held by an Any as "ManagedObject"; vim25's WSDL (and govmomi,
    which decodes by it) says ManagedObjectReference."""
    return xml.replace('xsi:type="ManagedObject"', 'xsi:type="ManagedObjectReference"').replace(
        'xsi:type="ArrayOfManagedObject"', 'xsi:type="ArrayOfManagedObjectReference"'
    )


def result(call: Call, value: Any) -> bytes:
    """The method's response envelope with `value` as its returnval."""
    info = call.method
    inner = "" if value is None else serialize(value, "returnval", info.result, call.version, info.resultFlags)
    return (f'{_HEAD}<{info.wsdlName}Response xmlns="{vim.NS}">{inner}</{info.wsdlName}Response>{_TAIL}').encode()


def fault(error: Any, version: str = vim.VERSION) -> bytes:
    """A vmodl.MethodFault as vCenter writes it: faultstring, and the fault in `detail`."""
    kind = vim.wsdl_name(type(error))
    out = StringIO()
    info = VmomiSupport.Object(name=f"{kind}Fault", type=object, version=version, flags=0)
    SoapAdapter.SoapSerializer(out, version, _FAULT_NS_MAP).SerializeFaultDetail(error, info)
    message = SoapAdapter.XmlEscape(str(error.msg or ""))
    return (
        f"{_HEAD}<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>{message}</faultstring>"
        f"<detail>{out.getvalue()}</detail></soapenv:Fault>{_TAIL}"
    ).encode()


def invalid_request(message: str) -> bytes:
    return fault(vim.vmodl.fault.InvalidRequest(msg=message))
