"""Legacy /rest: the pre-7.0U2 vAPI REST form of the same operations.

Paths are the /api paths under /rest (`?~action=` for actions, `vmw-task=true`
for tasks), with the session at /rest/com/vmware/cis/session as govc uses it.
A request body is an object keyed by parameter name (`{"spec": {...}}`),
query parameters of a struct input are `param.field=value`; success is
`{"value": ...}` (maps as key/value lists), failure `{"type": <error id>,
"value": <error>}` with the error's HTTP status."""

from __future__ import annotations

from typing import Any

import orjson

from vlcmsim.vapi.codec import LEGACY, encoder, from_clean
from vlcmsim.vapi.errors import VapiError, invalid_argument
from vlcmsim.vapi.http import Request, Response
from vlcmsim.vapi.operations import Operation
from vlcmsim.vapi.rest import NO_BODY, RestAdapter, parse_body, query_struct

SESSION_PATH = "/rest/com/vmware/cis/session"
_SESSION_OPS = {"POST": "create", "GET": "get", "DELETE": "delete"}


def legacy_error(err: VapiError) -> Response:
    return Response.json(err.http_status, {"type": err.error_id, "value": err.as_value()})


class LegacyAdapter:
    """Shares the REST adapter's routes and authentication."""

    def __init__(self, rest: RestAdapter) -> None:
        self.rest = rest

    async def handle(self, req: Request) -> Response:
        try:
            if req.path.rstrip("/") == SESSION_PATH and req.method in _SESSION_OPS:
                # POST ?~action=get is how govc asks whether its saved session is still good
                action = dict(req.query).get("~action")
                name = action if req.method == "POST" and action in ("get", "delete") else _SESSION_OPS[req.method]
                op = self.rest.router.table.get("com.vmware.cis.session", name)
                assert op is not None
                inputs: dict[str, Any] = {}
            else:
                api = Request(
                    req.method,
                    "/api/" + req.path[len("/rest/") :],
                    [("action" if k == "~action" else k, v) for k, v in req.query],
                    req.headers,
                    b"",
                )
                op, path_values = self.rest.router.resolve(api)
                inputs = {n: from_clean(td, path_values[n], n) for n, td, where in op.spec.inputs if where == "path"}
            call = self.rest.authenticate(req, op, basic_required=False)
            op.authorize(call)
            inputs.update(self._inputs(op, req))
            value = await op.invoke(call, inputs)
            if op.spec.is_task:
                return Response(200, orjson.dumps({"value": value}))
            if op.spec.output["kind"] == "void":
                return Response(200, b"", [])
            return Response(200, orjson.dumps({"value": encoder(op.spec.output, LEGACY)(value)}))
        except VapiError as err:
            return legacy_error(err)

    def _inputs(self, op: Operation, req: Request) -> dict[str, Any]:
        params = {n: td for n, td, where in op.spec.inputs if where != "path"}
        inputs: dict[str, Any] = {}
        for name, td in params.items():  # query: param.field=value
            prefix = name + "."
            fields = [(k[len(prefix) :], v) for k, v in req.query if k.startswith(prefix)]
            if fields and td["kind"] in ("struct", "optional"):
                value = query_struct(td, fields, name)
                if value is not None:
                    inputs[name] = value
        body = parse_body(req.body)
        if isinstance(body, dict):
            for key, raw in body.items():
                if key not in params:
                    raise invalid_argument(
                        "vapi.bindings.typeconverter.unexpected.field", f"Unexpected field '{key}' in request.", key
                    )
                value = from_clean(params[key], raw, key)
                if value is not None:
                    inputs[key] = value
        elif body is not None and body is not NO_BODY:
            raise invalid_argument(
                "com.vmware.vapi.rest.badRequest", "The request body must be an object keyed by parameter name.", ""
            )
        for name, td in params.items():
            if name not in inputs and td["kind"] != "optional":
                raise invalid_argument(
                    "vapi.bindings.typeconverter.missing.field", f"Required parameter '{name}' is missing.", name
                )
        return inputs
