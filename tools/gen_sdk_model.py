"""Regenerate src/vlcmsim/vapi/sdk_model.json: the model (type descriptors,
union rules, REST bindings, task result types) of services that the shared
contract's index does not describe, read from the official SDK's bindings
(pip install vmware-vcenter). Facts only: names, types and paths.

    python tools/gen_sdk_model.py
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
from pathlib import Path
from typing import Any

from vmware.vapi.bindings import type as bt
from vmware.vapi.bindings.stub import ApiInterfaceStub
from vmware.vapi.data.validator import UnionValidator

OUT = Path(__file__).resolve().parent.parent / "src" / "vlcmsim" / "vapi" / "sdk_model.json"

# (bindings module, service class) of each service to describe
SERVICES = [
    ("com.vmware.esx.settings.clusters.policies_client", "Apply"),
    ("com.vmware.esx.settings.clusters.policies.apply_client", "Effective"),
    ("com.vmware.esx.settings.hardware_support_client", "Managers"),
    ("com.vmware.esx.settings.hardware_support.managers_client", "Packages"),
    ("com.vmware.esx.settings.hosts.enablement_client", "Software"),
    ("com.vmware.esx.settings.hosts.policies_client", "Apply"),
    ("com.vmware.esx.settings.hosts.policies.apply_client", "Effective"),
    ("com.vmware.vcenter_client", "Folder"),
    # Configuration Profiles: the cluster's desired host configuration
    ("com.vmware.esx.settings.clusters_client", "Configuration"),
    ("com.vmware.esx.settings.clusters.configuration_client", "AuditRecords"),
    ("com.vmware.esx.settings.clusters.configuration_client", "Drafts"),
    ("com.vmware.esx.settings.clusters.configuration_client", "Schema"),
    ("com.vmware.esx.settings.clusters.configuration.reports_client", "LastApplyResult"),
    ("com.vmware.esx.settings.clusters.configuration.reports_client", "LastComplianceResult"),
    ("com.vmware.esx.settings.clusters.configuration.reports_client", "LastPrecheckResult"),
    ("com.vmware.esx.settings.clusters.configuration.reports_client", "RecentTasks"),
    ("com.vmware.esx.settings.clusters.enablement_client", "Configuration"),
    ("com.vmware.esx.settings.clusters.enablement.configuration_client", "Transition"),
    ("com.vmware.esx.settings.hosts_client", "Configuration"),
]


class Collector:
    def __init__(self) -> None:
        self.types: dict[str, dict[str, Any]] = {}

    def td(self, t: Any) -> dict[str, Any]:
        if isinstance(t, bt.ReferenceType):
            return self.td(t.resolved_type)
        if isinstance(t, bt.OptionalType):
            return {"kind": "optional", "element": self.td(t.element_type)}
        if isinstance(t, bt.ListType):
            return {"kind": "list", "element": self.td(t.element_type)}
        if isinstance(t, bt.SetType):
            return {"kind": "set", "element": self.td(t.element_type)}
        if isinstance(t, bt.MapType):
            return {"kind": "map", "key": self.td(t.key_type), "value": self.td(t.value_type)}
        if isinstance(t, bt.EnumType):
            if t.name not in self.types:
                cls = t.binding_class
                values = sorted(v for v in vars(cls) if not v.startswith("_") and isinstance(getattr(cls, v), cls))
                self.types[t.name] = {"kind": "enum", "values": values}
            return {"kind": "enum", "id": t.name}
        if isinstance(t, bt.DynamicStructType):
            return {"kind": "dynamic_structure"}
        if isinstance(t, bt.StructType):
            self.struct(t)
            return {"kind": "struct", "id": t.name}
        simple = {
            bt.StringType: "string",
            bt.IdType: "id",
            bt.BooleanType: "boolean",
            bt.IntegerType: "long",
            bt.DoubleType: "double",
            bt.DateTimeType: "DateTime",
            bt.URIType: "URI",
            bt.SecretType: "secret",
            bt.BlobType: "binary",
            bt.OpaqueType: "opaque",
            bt.AnyErrorType: "AnyError",
            bt.VoidType: "void",
        }
        for cls, kind in simple.items():
            if isinstance(t, cls):
                return {"kind": kind}
        raise TypeError(f"no descriptor for {t!r}")

    def struct(self, t: Any) -> None:
        if t.name in self.types:
            return
        entry: dict[str, Any] = {"kind": "struct", "fields": []}
        self.types[t.name] = entry
        entry["fields"] = [[name, self.td(t.get_field(name))] for name in t.get_field_names()]
        unions = []
        for v in getattr(t.binding_class, "_validator_list", None) or []:
            if isinstance(v, UnionValidator):
                cases = {k: [[f, bool(req)] for f, req in fields] for k, fields in v._case_map.items()}
                unions.append({"discriminant": v._discriminant_name, "cases": cases})
        if unions:
            entry["unions"] = unions


def stub_parts(module: Any, name: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """The operations and REST metadata the stub class hands to ApiInterfaceStub."""
    captured: dict[str, Any] = {}
    original = ApiInterfaceStub.__init__

    def capture(self: Any, iface_name: str, config: Any, operations: Any, rest_metadata: Any, **_: Any) -> None:
        captured.update(iface=iface_name, operations=operations, rest=rest_metadata)

    ApiInterfaceStub.__init__ = capture  # type: ignore[method-assign]
    try:
        getattr(module, f"_{name}Stub")(None)
    finally:
        ApiInterfaceStub.__init__ = original  # type: ignore[method-assign]
    return captured["operations"], captured["rest"], captured["iface"]


def task_result_type(module: Any, class_name: str, op_id: str) -> Any:
    """The result type of a `$task` operation: the stub declares only the task's
    id; the public method names the result when it wraps the id in a Task."""
    method = getattr(getattr(module, class_name), op_id.removesuffix("$task") + "_task")
    found = re.search(r"Task\(task_id, task_svc, (.+)\)\s*$", inspect.getsource(method), re.M)
    if found is None:
        raise ValueError(f"no task result type in {class_name}.{op_id}")
    return eval(found.group(1), vars(module))  # a type expression of the bindings, e.g. type.VoidType()


def operation(
    service: str, op_id: str, op: dict[str, Any], rest: Any, collector: Collector, result: Any = None
) -> dict[str, Any]:
    inputs_type = op["input_type"]
    path = "/api" + rest._url_template.split("?")[0]
    path_vars = {v: k for k, v in rest._path_variables.items()}
    body_param = rest.request_body_parameter
    inputs = []
    for name in inputs_type.get_field_names():
        where = "path" if name in rest._path_variables else "body" if name == body_param else "query(implicit)"
        inputs.append([name, collector.td(inputs_type.get_field(name)), where])
    for var in path_vars:  # path variables named differently from their parameter
        assert var in path, (service, op_id)
    is_task = op_id.endswith("$task")
    output = {"kind": "id"} if is_task else collector.td(op["output_type"])
    entry: dict[str, Any] = {
        "service": service,
        "operation": op_id,
        "inputs": inputs,
        "output": output,
        "errors": sorted(op["errors"]),
        "method": rest.http_method,
        "path": path,
        "dispatch": {k: v for k, v in rest._dispatch_parameters.items()},
        "body": "single-param" if body_param else "none",
        "body_param": body_param,
        # vCenter answers an operation that returns nothing with 204 (as its own REST description says)
        "success_status": 202
        if is_task
        else 201
        if (rest.http_method == "POST" and op_id == "create")
        else 204
        if output == {"kind": "void"}
        else 200,
    }
    if is_task:
        entry["task_result"] = collector.td(result) if result is not None else {"kind": "void"}
    return entry


def discovered() -> list[tuple[str, str]]:
    """Every service of the SDK's vLCM family (com.vmware.esx.*) that the contract's model does not
    describe: its operations are counted in docs/operations.md, implemented or not."""
    import pkgutil

    import com.vmware.esx as esx

    contract = json.loads((OUT.parent / "model.json").read_text())
    described = {o["service"] for o in contract["operations"]}
    found = []
    for info in pkgutil.walk_packages(esx.__path__, "com.vmware.esx."):
        if not info.name.endswith("_client"):
            continue
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or not hasattr(module, f"_{name}Stub"):
                continue
            _, _, service = stub_parts(module, name)
            if service not in described:
                found.append((info.name, name))
    return found


def main() -> None:
    collector = Collector()
    operations = []
    for module_name, class_name in sorted(set(SERVICES) | set(discovered())):
        module = importlib.import_module(module_name)
        ops, rest, service = stub_parts(module, class_name)
        for op_id, op in sorted(ops.items()):
            result = task_result_type(module, class_name, op_id) if op_id.endswith("$task") else None
            operations.append(operation(service, op_id, op, rest[op_id.removesuffix("$task")], collector, result))
    OUT.write_text(json.dumps({"types": collector.types, "operations": operations}, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT}: {len(operations)} operations, {len(collector.types)} types")


if __name__ == "__main__":
    main()
