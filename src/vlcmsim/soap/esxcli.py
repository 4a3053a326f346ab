"""esxcli over vim25, as `govc host.esxcli` and PowerCLI's Get-EsxCli reach a
host through vCenter: the host's ManagedMethodExecuter runs `vim.EsxCLI.*`
commands (ExecuteSoap), and `vim.CLIInfo.FetchCLIInfo` describes each
namespace (parameters, and the hints that say how to print a result).

These are ESXi's internal ("reflect") types: pyVmomi does not define them, so
they are declared here, in pyVmomi's type system, and the wire decodes and
encodes them like any other. The answers come from the host's installed
image: what an administrator checks after a remediation."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from vlcmsim.soap.hostsystem import installed_vibs
from vlcmsim.soap.session_objects import not_found
from vlcmsim.soap.vim import NS, VERSION, VmomiSupport, moid, vim, vmodl
from vlcmsim.soap.wire import INTERNAL_METHODS
from vlcmsim.soap.world import HARDWARE, World

if TYPE_CHECKING:
    from vlcmsim.soap.endpoint import Context
    from vlcmsim.soap.wire import Call

_F = VmomiSupport.F_OPTIONAL
_MME = "vim.reflect.ManagedMethodExecuter"

VmomiSupport.CreateDataType(
    f"{_MME}.SoapArgument",
    "ReflectManagedMethodExecuterSoapArgument",
    "vmodl.DynamicData",
    VERSION,
    [("name", "string", VERSION, 0), ("val", "string", VERSION, 0)],
)
VmomiSupport.CreateDataType(
    f"{_MME}.SoapFault",
    "ReflectManagedMethodExecuterSoapFault",
    "vmodl.DynamicData",
    VERSION,
    [("faultMsg", "string", VERSION, 0), ("faultDetail", "string", VERSION, _F)],
)
VmomiSupport.CreateDataType(
    f"{_MME}.SoapResult",
    "ReflectManagedMethodExecuterSoapResult",
    "vmodl.DynamicData",
    VERSION,
    [("response", "string", VERSION, _F), ("fault", f"{_MME}.SoapFault", VERSION, _F)],
)
_EXECUTE_PARAMS = (
    ("moid", "string", VERSION, 0, None),
    ("version", "string", VERSION, 0, None),
    ("method", "string", VERSION, 0, None),
    ("argument", f"{_MME}.SoapArgument[]", VERSION, _F, None),
)
VmomiSupport.CreateManagedType(
    _MME,
    "ReflectManagedMethodExecuter",
    "vmodl.ManagedObject",
    VERSION,
    [],
    [
        (
            "executeSoap",
            "ExecuteSoap",
            VERSION,
            _EXECUTE_PARAMS,
            (_F, f"{_MME}.SoapResult", f"{_MME}.SoapResult"),
            None,
            None,
        )
    ],
)
VmomiSupport.CreateManagedType(
    "vim.dynamic.InternalDynamicTypeManager", "InternalDynamicTypeManager", "vmodl.ManagedObject", VERSION, [], []
)
Executer: Any = vim.reflect.ManagedMethodExecuter
TypeManager: Any = VmomiSupport.GetWsdlType(NS, "InternalDynamicTypeManager")


def _host_method(name: str, result: Any) -> Any:
    return VmomiSupport.Object(
        name=name[0].lower() + name[1:],
        wsdlName=name,
        type=vim.HostSystem,
        version=VERSION,
        params=(),
        isTask=False,
        result=result,
        resultFlags=_F,
    )


INTERNAL_METHODS["RetrieveManagedMethodExecuter"] = _host_method("RetrieveManagedMethodExecuter", Executer)
INTERNAL_METHODS["RetrieveDynamicTypeManager"] = _host_method("RetrieveDynamicTypeManager", TypeManager)


def executer_of(host: str) -> Any:
    return Executer(f"ha-mme-{host}")


def type_manager_of(host: str) -> Any:
    return TypeManager(f"ha-dtm-{host}")


def host_of(obj: Any) -> str | None:
    value = moid(obj)
    for prefix in ("ha-mme-", "ha-dtm-"):
        if value.startswith(prefix):
            return value.removeprefix(prefix)
    return None


# -- commands --------------------------------------------------------------------------


class CLIFault(Exception):
    """A command's own failure: the result carries it (the call itself succeeds)."""


Row = dict[str, str]


@dataclass(frozen=True)
class Command:
    """One esxcli method: `software vib list` is namespace "software.vib", name "list"."""

    help: str
    kind: str  # the result's data type ("VIBSummaryExt"); "" for a plain string
    run: Callable[[World, str, dict[str, list[str]]], list[Row] | Row | str]
    columns: tuple[str, ...] = ()
    params: tuple[tuple[str, str, bool], ...] = ()  # (name, --alias, is a flag)
    many: bool = True


@dataclass
class Namespace:
    help: str
    methods: dict[str, Command] = field(default_factory=dict)


ACCEPTANCE = {"certified": "VMwareCertified", "accepted": "VMwareAccepted", "partner": "PartnerSupported"}


def _acceptance(level: str) -> str:
    return ACCEPTANCE.get(level.lower(), "CommunitySupported" if level.lower() == "community" else level)


def vib_list(w: World, host: str, args: dict[str, list[str]]) -> list[Row]:
    return [
        {
            "ID": vib.id,
            "Name": vib.name,
            "Version": vib.version,
            "Vendor": vib.vendor,
            "AcceptanceLevel": _acceptance(vib.acceptance_level),
            "InstallDate": component.release_date.strftime("%Y-%m-%d"),
            "Platforms": "host",
        }
        for component, vib in installed_vibs(w, host)
    ]


def vib_get(w: World, host: str, args: dict[str, list[str]]) -> list[Row]:
    wanted = set(args.get("vibname", []))
    rows = []
    for component, vib in installed_vibs(w, host):
        if wanted and vib.name not in wanted and vib.id not in wanted:
            continue
        rows.append(
            {
                "ID": vib.id,
                "Name": vib.name,
                "Version": vib.version,
                "Type": vib.vib_type,
                "Vendor": vib.vendor,
                "AcceptanceLevel": _acceptance(vib.acceptance_level),
                "Summary": vib.summary or vib.name,
                "Description": vib.summary or vib.name,
                "CreationDate": component.release_date.strftime("%Y-%m-%d"),
                "MaintenanceModeRequired": "True",
                "LiveInstallAllowed": "False",
                "LiveRemoveAllowed": "False",
                "StatelessReady": "True",
                "Overlay": "False",
                "Payloads": ", ".join(p.name for p in vib.payloads),
                "Platforms": "host",
            }
        )
    missing = wanted - {r["Name"] for r in rows} - {r["ID"] for r in rows}
    if missing:
        raise CLIFault(f"[NoMatchError] No VIB matching VIB search specification '{sorted(missing)[0]}'.")
    return rows


def component_list(w: World, host: str, args: dict[str, list[str]]) -> list[Row]:
    seen: dict[str, Row] = {}
    for component, vib in installed_vibs(w, host):
        seen.setdefault(
            component.name,
            {
                "Name": component.name,
                "DisplayName": component.display_name,
                "Version": component.version,
                "DisplayVersion": component.display_version,
                "Vendor": component.vendor,
                "AcceptanceLevel": _acceptance(vib.acceptance_level),
            },
        )
    return list(seen.values())


def version_get(w: World, host: str, args: dict[str, list[str]]) -> Row:
    full = w.base_image(host)  # "8.0.3-0.35.24280767"
    version = full.split("-")[0]
    build = full.rsplit(".", 1)[-1]
    parts = version.split(".")
    release = full.partition("-")[2].split(".")  # "0.35.24280767": its second number is the patch
    return {
        "Product": "VMware ESXi",
        "Version": version,
        "Build": f"Releasebuild-{build}",
        "Update": parts[2] if len(parts) > 2 else "0",
        "Patch": release[1] if len(release) > 2 else "0",
    }


def hostname_get(w: World, host: str, args: dict[str, list[str]]) -> Row:
    found = w.inventory.host(host)
    name = found.name if found else host
    short, _, domain = name.partition(".")
    return {"DomainName": domain, "FullyQualifiedDomainName": name, "HostName": short}


def platform_get(w: World, host: str, args: dict[str, list[str]]) -> Row:
    found = w.inventory.host(host)
    return {
        "UUID": found.uuid if found else w.uuid_of("host", host),
        "ProductName": found.model if found else HARDWARE.model,
        "VendorName": found.vendor if found else HARDWARE.vendor,
        "SerialNumber": w.uuid_of("serial", host)[:7].upper(),
        "EnclosureSerialNumber": w.uuid_of("serial", host)[:7].upper(),
        "BIOSAssetTag": "",
        "IPMISupported": "true",
    }


_REBOOTING = ("rebootingimage", "--rebooting-image", True)
NAMESPACES: dict[str, Namespace] = {
    "software.vib": Namespace(
        "Install, update, remove, or display individual VIB packages",
        {
            "list": Command(
                "Lists the installed VIB packages on the host.",
                "VIBSummaryExt",
                vib_list,
                ("Name", "Version", "Vendor", "Acceptance Level", "Install Date", "Platforms"),
                (_REBOOTING,),
            ),
            "get": Command(
                "Displays detailed information about one or more installed VIBs.",
                "VIBExt",
                vib_get,
                params=(_REBOOTING, ("vibname", "--vibname", False), ("vibname", "-n", False)),
            ),
        },
    ),
    "software.component": Namespace(
        "Display the installed components on the host.",
        {
            "list": Command(
                "List the installed components on the host.",
                "ComponentSummary",
                component_list,
                ("Name", "Display Name", "Version", "Display Version", "Vendor", "Acceptance Level"),
                (_REBOOTING,),
            )
        },
    ),
    "system.version": Namespace(
        "Commands to get version information.",
        {
            "get": Command(
                "Display the product name, version and build information.", "VersionGet", version_get, many=False
            )
        },
    ),
    "system.hostname": Namespace(
        "Operations pertaining the network name of the ESX host.",
        {
            "get": Command(
                "Get the host, domain or fully qualified name of the ESX host.", "HostnameGet", hostname_get, many=False
            )
        },
    ),
    "hardware.platform": Namespace(
        "Platform information.",
        {"get": Command("Get information about the platform.", "PlatformGet", platform_get, many=False)},
    ),
}


# -- ExecuteSoap -----------------------------------------------------------------------

_OBJ = (
    '<obj xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns="urn:vim25" versionId="5.0" xsi:type="{kind}">'
)


def _fields(row: Row) -> str:
    return "".join(f"<{k}>{escape(v)}</{k}>" for k, v in row.items())


def _answer(command: Command, value: list[Row] | Row | str) -> str:
    if isinstance(value, str):
        return _OBJ.format(kind="xsd:string") + escape(value) + "</obj>"
    if isinstance(value, dict):
        return _OBJ.format(kind=command.kind) + _fields(value) + "</obj>"
    objects = "".join(f'<DataObject xsi:type="{command.kind}">{_fields(row)}</DataObject>' for row in value)
    return _OBJ.format(kind="ArrayOfDataObject") + objects + "</obj>"


def _cli_info(name: str, namespace: Namespace) -> str:
    methods = []
    for method_name, command in namespace.methods.items():
        params = "".join(
            f"<param><name>{p}</name><displayName>{alias.lstrip('-')}</displayName><help></help>"
            f"<aliases>{alias}</aliases><flag>{'true' if flag else 'false'}</flag></param>"
            for p, alias, flag in command.params
        )
        hints = [("formatter", "table" if command.columns else "simple")]
        if command.columns:
            hints += [(f"fields:{command.kind}", ",".join(command.columns)), ("show-header", "true")]
            hints += [("table-columns", ",".join(command.columns))]
        hint_xml = "".join(f"<hints><key>{k}</key><value>{escape(v)}</value></hints>" for k, v in hints)
        methods.append(
            f"<method><name>{method_name}</name><displayName>{method_name}</displayName>"
            f"<help>{escape(command.help)}</help>{params}{hint_xml}</method>"
        )
    display = name.rsplit(".", 1)[-1]
    return (
        _OBJ.format(kind="VimCLIInfoCLIInfo")
        + f"<name>vim.EsxCLI.{name}</name><displayName>{display}</displayName><help>{escape(namespace.help)}</help>"
        + "".join(methods)
        + "</obj>"
    )


def _arguments(arguments: list[Any]) -> dict[str, list[str]]:
    """govc sends each argument's values as `<name>value</name>` elements in `val`."""
    out: dict[str, list[str]] = {}
    for argument in arguments:
        values = re.findall(r"<[^>/]+>([^<]*)</[^>]+>", argument.val or "")
        out.setdefault(argument.name, []).extend(values or [argument.val or ""])
    return out


def execute(w: World, host: str, method: str, arguments: list[Any]) -> Any:
    """One ExecuteSoap: a command's answer, or its failure in the result's fault."""
    Result = vim.reflect.ManagedMethodExecuter.SoapResult
    Fault = vim.reflect.ManagedMethodExecuter.SoapFault
    args = _arguments(arguments)
    if method == "vim.CLIInfo.FetchCLIInfo":
        name = (args.get("typeName") or [""])[0].removeprefix("vim.EsxCLI.")
        namespace = NAMESPACES.get(name)
        if namespace is None:
            return Result(fault=Fault(faultMsg=f"The object or item referred to could not be found: {name}"))
        return Result(response=_cli_info(name, namespace))
    ns, _, name = method.removeprefix("vim.EsxCLI.").rpartition(".")
    command = NAMESPACES[ns].methods.get(name) if ns in NAMESPACES else None
    if command is None or not method.startswith("vim.EsxCLI."):
        return Result(fault=Fault(faultMsg=f"Unknown command or namespace {method.removeprefix('vim.EsxCLI.')}"))
    try:
        return Result(response=_answer(command, command.run(w, host, args)))
    except CLIFault as failed:
        return Result(fault=Fault(faultMsg=str(failed)))


# -- the methods -----------------------------------------------------------------------


def _on_host(ctx: Context, call: Call) -> str:
    if not isinstance(call.this, vim.HostSystem):
        raise vmodl.fault.InvalidArgument(msg=f"{call.name} is a method of a HostSystem.", invalidProperty="_this")
    return moid(call.this)


def retrieve_executer(ctx: Context, call: Call) -> Any:
    return executer_of(_on_host(ctx, call))


def retrieve_type_manager(ctx: Context, call: Call) -> Any:
    return type_manager_of(_on_host(ctx, call))


def execute_soap(ctx: Context, call: Call) -> Any:
    host = host_of(call.this)
    if host is None or ctx.world.inventory.host(host) is None:
        raise not_found(call.this)
    return execute(ctx.world, host, str(call.args.get("method", "")), list(call.args.get("argument") or []))


METHODS = {
    "RetrieveManagedMethodExecuter": retrieve_executer,
    "RetrieveDynamicTypeManager": retrieve_type_manager,
    "ExecuteSoap": execute_soap,
}
