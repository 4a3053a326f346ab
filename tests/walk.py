"""A walk of operations written as REST requests, run over REST or over
JSON-RPC: there each request becomes the invocation of the same operation with
the inputs the request carries, typed as the SDK types them, and its answer is
read back as REST would show it."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

import httpx
import orjson

from helpers import wait_task
from vlcmsim.vapi.codec import CLEAN, TYPED, encode, from_clean, from_typed
from vlcmsim.vapi.errors import HTTP_STATUS
from vlcmsim.vapi.model import OperationSpec, model


class Walk:
    """Calls over REST (or JSON-RPC), remembering which operation each was."""

    def __init__(self, client: httpx.Client, wire: str, prefix: str) -> None:
        self.client = client
        self.wire = wire
        self.prefix = prefix  # of the services the walk names
        self.done: set[tuple[str, str]] = set()
        self.session = client.headers["vmware-api-session-id"]

    def __call__(self, op: tuple[str, str], method: str, path: str, body: Any = None, status: int | None = None) -> Any:
        self.done.add(op)
        want = status or {"POST": 200, "PUT": 204, "PATCH": 204, "DELETE": 204}.get(method, 200)
        if "vmw-task=true" in path:
            want = status or 202
        got, value = self.rest(method, path, body) if self.wire == "rest" else self.rpc(op, path, body)
        # JSON-RPC has no status: a result is a 2xx, an error the status REST gives it
        assert got == want or (self.wire == "jsonrpc" and got == 200 and want in (201, 202, 204)), (op, got, value)
        if "vmw-task=true" in path and want == 202:
            info = wait_task(self.client, value)
            assert info["status"] == "SUCCEEDED", (op, info)
            return info.get("result")
        return value

    def rest(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        r = self.client.request(method, path, json=body)
        return r.status_code, (r.json() if r.content else None)

    def rpc(self, op: tuple[str, str], path: str, body: Any) -> tuple[int, Any]:
        spec = model().operations[(self.prefix + op[0], op[1])]
        inputs = _inputs(spec, path, body)
        typed = {name: encode(td, from_clean(td, inputs[name]), TYPED) for name, td, _ in spec.inputs if name in inputs}
        security = {"schemeId": "com.vmware.vapi.std.security.session_id", "sessionId": self.session}
        envelope = {
            "jsonrpc": "2.0",
            "method": "invoke",
            "id": "1",
            "params": {
                "serviceId": spec.service,
                "operationId": spec.operation,
                "input": {"STRUCTURE": {"operation-input": typed}},
                "ctx": {"appCtx": {}, "securityCtx": security},
            },
        }
        answer = self.client.post("/api", json=envelope).json()["result"]
        if "error" in answer:
            ((error_id, value),) = answer["error"]["ERROR"].items()
            return HTTP_STATUS[error_id.rsplit(".", 1)[-1]], value
        output = spec.output
        if output["kind"] == "void":
            return 200, None
        return 200, orjson.loads(orjson.dumps(encode(output, from_typed(output, answer["output"]), CLEAN)))


def _inputs(spec: OperationSpec, path: str, body: Any) -> dict[str, Any]:
    """The inputs a REST request carries to `spec`: path variables, query parameters, body."""
    route, _, query = path.partition("?")
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(spec.path)) + "$"
    matched = re.match(pattern, route)
    assert matched, (spec.path, route)
    inputs: dict[str, Any] = {
        re.sub(r"[A-Z]", lambda m: "_" + m[0].lower(), k): v for k, v in matched.groupdict().items()
    }
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key not in spec.dispatch and key != "vmw-task":
            inputs[key] = value
    if body is not None:
        if spec.body_param:
            inputs[spec.body_param] = body
        else:
            inputs.update(body)
    return inputs
