"""The REST API description served at /api/openapi.json, generated from the
operation table: every operation this server implements and nothing else, in
the shape of vCenter's own description (Swagger 2.0; an operation dispatched
by query — `?action=stage&vmw-task=true` — is a path key of its own, with the
vAPI operation's name in `x-vmw-vapi-operation`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from vlcmsim.vapi.errors import HTTP_STATUS
from vlcmsim.vapi.model import TD, model, path_variable
from vlcmsim.vapi.operations import Operation
from vlcmsim.vapi.sdk_docs import operation_doc, type_doc

STD_ERROR = "com.vmware.vapi.std.errors"


def describe(operations: Iterable[Operation], version: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    definitions: dict[str, Any] = {}
    seen_ids: set[str] = set()
    for op in sorted(operations, key=lambda o: (o.spec.path, o.spec.method, o.spec.operation)):
        spec = op.spec
        query = [k if v is None else f"{k}={v}" for k, v in spec.dispatch.items()]  # None: a bare flag
        if spec.is_task and "vmw-task=true" not in query:
            query.append("vmw-task=true")
        key = spec.path + ("?" + "&".join(query) if query else "")
        op_id = f"{spec.service}.{spec.operation}".replace("$", "_")
        if op_id in seen_ids:  # a second REST form of the same operation
            op_id += f"_{spec.method.lower()}"
        seen_ids.add(op_id)
        paths.setdefault(key, {})[spec.method.lower()] = _operation(op, op_id, definitions)
    paths.update(_own_endpoints(definitions))
    return {
        "swagger": "2.0",
        "info": {
            "title": "vlcmsim: vSphere Automation REST API (implemented operations)",
            "version": version,
            "description": "Generated from vlcmsim's operation table: only what this server implements.",
        },
        "schemes": ["https", "http"],
        "consumes": ["application/json"],
        "produces": ["application/json"],
        "securityDefinitions": {
            "session_id": {"type": "apiKey", "in": "header", "name": "vmware-api-session-id"},
            "basic_auth": {"type": "basic"},
        },
        "security": [{"session_id": []}],
        "paths": paths,
        "definitions": definitions,
    }


def _operation(op: Operation, op_id: str, definitions: dict[str, Any]) -> dict[str, Any]:
    spec = op.spec
    parameters: list[dict[str, Any]] = []
    for name, td, where in spec.inputs:
        if where == "path":
            parameters.append(
                {"name": path_variable(spec.path, name), "in": "path", "required": True, "type": "string"}
            )
        elif where == "query(implicit)":
            parameters += _query_parameters(td, definitions)
    body_inputs = [(n, td) for n, td, where in spec.inputs if where in ("body", "body-field")]
    if spec.body == "single-param" and spec.body_param:
        td = next(td for n, td, _ in spec.inputs if n == spec.body_param)
        parameters.append(
            {"name": "spec", "in": "body", "required": td["kind"] != "optional", "schema": _schema(td, definitions)}
        )
    elif body_inputs:
        schema = _object(body_inputs, definitions)
        parameters.append(
            {"name": "request_body", "in": "body", "required": bool(schema.get("required")), "schema": schema}
        )
    responses: dict[str, Any] = {}
    success: dict[str, Any] = {"description": "Success."}
    if spec.is_task:
        success["schema"] = {"type": "string", "description": "The id of the task (GET /api/cis/tasks/{task})."}
        status = 202
    elif spec.output["kind"] == "void":
        status = 204
    else:
        success["schema"] = _schema(spec.output, definitions)
        status = spec.success_status
    responses[str(status)] = success
    declared = spec.errors
    if not declared and spec.is_task:  # the bindings declare a task's errors on the operation itself
        base = model().operations.get((spec.service, spec.base_operation))
        declared = base.errors if base is not None else declared
    always = {"unauthenticated", "unauthorized", "error"}
    if spec.inputs:  # input the wire cannot decode is refused whatever the bindings declare
        always.add("invalid_argument")
    for error in sorted({e.rsplit(".", 1)[-1] for e in declared} | always):
        code = str(HTTP_STATUS.get(error, 500))
        responses.setdefault(code, {"description": "", "schema": _schema({"kind": "error"}, definitions)})
        responses[code]["description"] = ", ".join(filter(None, [responses[code]["description"], error]))
    summary, description = operation_doc(spec.service, spec.operation)
    described: dict[str, Any] = {
        "operationId": op_id,
        "summary": summary,
        "description": description,
        "tags": [spec.service.rsplit(".", 1)[-1]],
        "x-vmw-vapi-service": spec.service,
        "x-vmw-vapi-operation": spec.operation,
        "parameters": parameters,
        "responses": responses,
    }
    if spec.service == "com.vmware.cis.session" and spec.operation == "create":
        described["security"] = [{"basic_auth": []}]
    return described


def _query_parameters(td: TD, definitions: dict[str, Any]) -> list[dict[str, Any]]:
    """A struct input exploded into the query string, one parameter per field."""
    inner = td["element"] if td["kind"] == "optional" else td
    if inner["kind"] != "struct":
        return []
    out = []
    for name, ftd in model().struct(inner["id"]).fields:
        f = ftd["element"] if ftd["kind"] == "optional" else ftd
        param: dict[str, Any] = {"name": name, "in": "query", "required": False}
        if f["kind"] in ("list", "set"):
            param.update(type="array", items=_scalar(f["element"], definitions), collectionFormat="multi")
        else:
            param.update(_scalar(f, definitions))
        out.append(param)
    return out


def _scalar(td: TD, definitions: dict[str, Any]) -> dict[str, Any]:
    schema = _schema(td, definitions)
    if "$ref" in schema:  # a query parameter cannot refer: an enum's values inline, else a string
        target = definitions[schema["$ref"].rsplit("/", 1)[-1]]
        return {"type": "string", "enum": target["enum"]} if "enum" in target else {"type": "string"}
    return schema


def _object(fields: Iterable[tuple[str, TD]], definitions: dict[str, Any]) -> dict[str, Any]:
    properties = {}
    required = []
    for name, td in fields:
        properties[name] = _schema(td, definitions)
        if td["kind"] != "optional":
            required.append(name)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _document(definition: dict[str, Any], vapi_id: str) -> None:
    definition["description"] = (
        type_doc(vapi_id) or f"{vapi_id} (vAPI {'enumeration' if 'enum' in definition else 'structure'})."
    )


def _schema(td: TD, definitions: dict[str, Any]) -> dict[str, Any]:
    kind = td["kind"]
    if kind == "optional":
        return _schema(td["element"], definitions)
    if kind in ("string", "id", "secret"):
        return {"type": "string"}
    if kind == "URI":
        return {"type": "string", "format": "uri"}
    if kind == "long":
        return {"type": "integer", "format": "int64"}
    if kind == "double":
        return {"type": "number", "format": "double"}
    if kind == "boolean":
        return {"type": "boolean"}
    if kind == "DateTime":
        return {"type": "string", "format": "date-time"}
    if kind == "binary":
        return {"type": "string", "format": "byte"}
    if kind in ("list", "set"):
        schema: dict[str, Any] = {"type": "array", "items": _schema(td["element"], definitions)}
        if kind == "set":
            schema["uniqueItems"] = True
        return schema
    if kind == "map":
        return {"type": "object", "additionalProperties": _schema(td["value"], definitions)}
    if kind == "enum":
        name = td["id"]
        if name not in definitions:
            definitions[name] = {"type": "string", "enum": sorted(model().enums[name].values)}
            _document(definitions[name], name)
        return {"$ref": f"#/definitions/{name}"}
    if kind == "struct":
        name = td["id"]
        if name not in definitions:
            definitions[name] = {}  # placeholder: a struct may refer to itself
            definitions[name] = _object(model().struct(name).fields, definitions)
            _document(definitions[name], name)
        return {"$ref": f"#/definitions/{name}"}
    if kind in ("error", "AnyError"):
        name = f"{STD_ERROR}.Error"
        if name not in definitions:
            definitions[name] = {
                "type": "object",
                "description": "A vAPI standard error: its type (NOT_FOUND, INVALID_ARGUMENT...), the messages "
                "that say what is wrong, and data of its own.",
                "properties": {
                    "error_type": {"type": "string"},
                    "messages": {"type": "array", "items": {"type": "object"}},
                    "data": {"type": "object"},
                },
            }
        return {"$ref": f"#/definitions/{name}"}
    return {"type": "object"}  # dynamic structures, opaque values


# -- vlcmsim's own endpoints (not vAPI operations) -------------------------------------------

_KNOBS = {
    "connection_state": {"type": "string", "enum": ["CONNECTED", "DISCONNECTED", "NOT_RESPONDING"]},
    "bandwidth_bytes_per_s": {"type": "integer", "format": "int64", "description": "0: unlimited"},
    "staging_capacity_bytes": {"type": "integer", "format": "int64"},
    "corrupt_downloads": {"type": "integer", "format": "int64", "description": "the next N downloads arrive corrupted"},
    "vm_count": {"type": "integer", "format": "int64"},
    "fail_maintenance_mode": {"type": "integer", "format": "int64"},
    "fail_installs": {"type": "integer", "format": "int64"},
    "hang_on_reboot": {"type": "integer", "format": "int64"},
}


def _own_endpoints(definitions: dict[str, Any]) -> dict[str, Any]:
    """/sim (the simulation's knobs), the bundle upload and /metrics, described as the rest is."""
    definitions["vlcmsim.sim.host"] = {
        "type": "object",
        "description": "A simulated host and the knobs that make it fail the way real hosts do.",
        "properties": {
            "host": {"type": "string"},
            "name": {"type": "string"},
            "cluster": {"type": "string", "x-nullable": True, "description": "null: a standalone host"},
            **_KNOBS,
            "rebooting": {"type": "integer", "format": "int64"},
            "staging_used_bytes": {"type": "integer", "format": "int64"},
            "staged_payloads": {"type": "array", "items": {"type": "string"}},
        },
    }
    definitions["vlcmsim.sim.changes"] = {
        "type": "object",
        "description": "The knobs to change (any of them); the others stay.",
        "properties": dict(_KNOBS),
    }
    host_param = {"name": "host", "in": "path", "required": True, "type": "string"}
    error = {"schema": _schema({"kind": "error"}, definitions)}
    ref = {"$ref": "#/definitions/vlcmsim.sim.host"}
    own = {"x-vlcmsim": True, "tags": ["vlcmsim"]}
    return {
        "/sim/hosts": {
            "get": {
                **own,
                "operationId": "vlcmsim.sim.hosts.list",
                "summary": "Every simulated host and its knobs",
                "description": "vlcmsim's own: what the simulation does to each host (its link, staging area, "
                "faults to come). Any user may read it.",
                "responses": {"200": {"description": "The hosts.", "schema": {"type": "array", "items": ref}}},
            }
        },
        "/sim/hosts/{host}": {
            "get": {
                **own,
                "operationId": "vlcmsim.sim.hosts.get",
                "summary": "A simulated host and its knobs",
                "description": "vlcmsim's own.",
                "parameters": [host_param],
                "responses": {
                    "200": {"description": "The host.", "schema": ref},
                    "404": {"description": "not_found", **error},
                },
            },
            "patch": {
                **own,
                "operationId": "vlcmsim.sim.hosts.update",
                "summary": "Change a simulated host's knobs: disconnect it, slow its link, fill its disk...",
                "description": "vlcmsim's own; administrators only. A change is seen by a stage or an apply "
                "in progress within a moment (a disconnected host stops its download).",
                "parameters": [
                    host_param,
                    {
                        "name": "changes",
                        "in": "body",
                        "required": True,
                        "schema": {"$ref": "#/definitions/vlcmsim.sim.changes"},
                    },
                ],
                "responses": {
                    "200": {"description": "The host, changed.", "schema": ref},
                    "400": {"description": "invalid_argument", **error},
                    "403": {"description": "unauthorized", **error},
                    "404": {"description": "not_found", **error},
                },
            },
        },
        "/vum/repository/uploads": {
            "post": {
                **own,
                "operationId": "vlcmsim.uploads.create",
                "summary": "Upload an offline bundle (then import it as a PUSH depot with its file_id)",
                "description": "vlcmsim's own (a vCenter uploads through its UI): the request body is the zip, "
                "streamed to disk, at most 64 GiB; administrators only.",
                "consumes": ["application/octet-stream"],
                "parameters": [
                    {"name": "bundle", "in": "body", "required": True, "schema": {"type": "string", "format": "binary"}}
                ],
                "responses": {
                    "201": {
                        "description": "Stored.",
                        "schema": {"type": "object", "properties": {"file_id": {"type": "string"}}},
                    },
                    "403": {"description": "unauthorized", **error},
                },
            }
        },
        "/metrics": {
            "get": {
                **own,
                "operationId": "vlcmsim.metrics",
                "summary": "Prometheus metrics: requests, latencies, tasks, staged bytes, hosts",
                "description": "vlcmsim's own, in Prometheus' text format. Open unless the server's "
                "metrics_require_login setting is true.",
                "produces": ["text/plain"],
                "security": [],
                "responses": {"200": {"description": "The metrics.", "schema": {"type": "string"}}},
            }
        },
    }
