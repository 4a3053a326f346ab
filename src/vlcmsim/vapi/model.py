"""The vAPI model: type descriptors and REST bindings of every operation.

Loaded from ``model.json`` (generated from the shared API contract by
``tools/gen_model.py``), ``sdk_model.json`` (services the contract's index
lacks, read from the SDK's bindings by ``tools/gen_sdk_model.py``: apply
policies, ...) and ``extra_model.py`` (datacenters, enablement).
A type descriptor ("td") is a small dict: ``{"kind": "struct", "id": ...}``,
``{"kind": "optional", "element": td}``, ``{"kind": "map", "key": td, "value": td}``...
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

TD = dict[str, Any]


@dataclass(frozen=True)
class Union:
    """A union rule of a struct: which of its fields the value of the
    `discriminant` field allows (False) or requires (True)."""

    discriminant: str
    cases: dict[str, dict[str, bool]]
    members: tuple[str, ...]  # every field some case names, in the order the cases name them

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> Union:
        cases = {value: {name: bool(required) for name, required in fields} for value, fields in raw["cases"].items()}
        return cls(raw["discriminant"], cases, tuple(dict.fromkeys(n for c in cases.values() for n in c)))

    def fields_for(self, value: Any) -> dict[str, bool]:
        """The union fields the discriminant's value allows, with whether each is required."""
        return self.cases.get(value, {}) if value is not None else {}


@dataclass
class StructType:
    id: str
    fields: list[tuple[str, TD]]
    unions: list[Union] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.field_map: dict[str, TD] = dict(self.fields)


@dataclass
class EnumType:
    id: str
    values: frozenset[str]


@dataclass
class OperationSpec:
    """What the model says of one operation: inputs, output, task result and REST binding."""

    service: str
    operation: str
    inputs: list[tuple[str, TD, str]]
    output: TD
    task_result: TD | None
    errors: frozenset[str]  # the std errors the bindings declare (empty: not known)
    method: str
    path: str
    dispatch: dict[str, str | None]
    body: str
    body_param: str | None
    success_status: int

    @property
    def is_task(self) -> bool:
        return self.operation.endswith("$task")

    @property
    def base_operation(self) -> str:
        return self.operation.removesuffix("$task")


class Model:
    def __init__(self, raw: dict[str, Any]) -> None:
        self.structs: dict[str, StructType] = {}
        self.enums: dict[str, EnumType] = {}
        self.operations: dict[tuple[str, str], OperationSpec] = {}
        self.aliases: list[OperationSpec] = []  # second REST forms of operations
        for tid, t in raw["types"].items():
            self.add_type(tid, t)
        for op in raw["operations"]:
            self.add_operation(op)

    def add_type(self, tid: str, t: dict[str, Any]) -> None:
        if t["kind"] == "enum":
            self.enums[tid] = EnumType(tid, frozenset(t["values"]))
        else:
            self.structs[tid] = StructType(
                tid, [(name, td) for name, td in t["fields"]], [Union.from_raw(u) for u in t.get("unions", [])]
            )

    def add_operation(self, op: dict[str, Any]) -> None:
        spec = OperationSpec(
            service=op["service"],
            operation=op["operation"],
            inputs=[(n, td, where) for n, td, where in op["inputs"]],
            output=op.get("output", {"kind": "void"}),
            task_result=op.get("task_result"),
            errors=frozenset(op.get("errors", ())),
            method=op["method"],
            path=op["path"],
            dispatch=op.get("dispatch", {}),
            body=op.get("body", "none"),
            body_param=op.get("body_param"),
            success_status=op.get("success_status", 200),
        )
        self.operations[(spec.service, spec.operation)] = spec

    def struct(self, tid: str) -> StructType:
        return self.structs[tid]


@cache
def model() -> Model:
    here = Path(__file__).parent
    m = Model(json.loads((here / "model.json").read_text()))
    sdk = json.loads((here / "sdk_model.json").read_text())  # services the contract's index lacks
    for tid, t in sdk["types"].items():
        if tid not in m.structs and tid not in m.enums:
            m.add_type(tid, t)
    for op in sdk["operations"]:
        m.add_operation(op)
    from vlcmsim.vapi import extra_model

    for tid, t in extra_model.TYPES.items():
        m.add_type(tid, t)
    for op in extra_model.OPERATIONS:
        m.add_operation(op)
    for alias in extra_model.ALIASES:
        main = m.operations[(alias["service"], alias["operation"])]
        inputs = [(n, td, "path" if where == "path" else alias["where"]) for n, td, where in main.inputs]
        m.aliases.append(
            replace(main, method=alias["method"], path=alias["path"], dispatch={}, inputs=inputs, body="none")
        )
    return m


def path_variable(path: str, name: str) -> str:
    """How `path` spells the variable of input `name`: as the input ({cluster}), or in
    camelCase ({softwareSpec} for software_spec), as vCenter's newer paths do."""
    if "{" + name + "}" in path:
        return name
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)
