"""vAPI JSON-RPC 2.0 on POST /api: what the official SDK speaks.

Errors of the operation travel inside HTTP 200 as ``result.error``, because the
SDK's connector raises on any non-2xx status before reading the body. The
request id is echoed with its JSON type."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson

from vlcmsim.vapi.auth import Authenticator
from vlcmsim.vapi.codec import TYPED, encoder, error_to_typed, operation_input_from_typed
from vlcmsim.vapi.errors import VapiError, internal_error, operation_not_found, unauthenticated
from vlcmsim.vapi.http import Request, Response
from vlcmsim.vapi.operations import Call, OperationTable, Privilege
from vlcmsim.vapi.rest import OFFLOAD_BYTES

log = logging.getLogger(__name__)

USER_PASS = "com.vmware.vapi.std.security.user_pass"
SESSION_ID = "com.vmware.vapi.std.security.session_id"


def _rpc_error(code: int, message: str, req_id: Any = None) -> Response:
    return Response.json(200, {"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": req_id})


class JsonRpcAdapter:
    def __init__(self, table: OperationTable, auth: Authenticator, backend: Any) -> None:
        self.table = table
        self.auth = auth
        self.backend = backend

    async def handle(self, req: Request) -> Response:
        try:
            envelope = orjson.loads(req.body)
        except orjson.JSONDecodeError as exc:
            return _rpc_error(-32700, f"Parse error: {exc}")
        if not isinstance(envelope, dict):
            return _rpc_error(-32600, "Invalid Request: the body must be a JSON object.")
        req_id = envelope.get("id")
        if envelope.get("jsonrpc") != "2.0" or "id" not in envelope:
            return _rpc_error(-32600, "Invalid Request: jsonrpc must be '2.0' and id is required.", req_id)
        if envelope.get("method") != "invoke":
            return _rpc_error(-32601, f"Method not found: {envelope.get('method')!r}.", req_id)
        params = envelope.get("params")
        if (
            not isinstance(params, dict)
            or not isinstance(params.get("serviceId"), str)
            or not isinstance(params.get("operationId"), str)
        ):
            return _rpc_error(-32602, "Invalid params: serviceId and operationId are required.", req_id)
        try:
            output = await self._invoke(params, req.client, len(req.body) > OFFLOAD_BYTES)
        except VapiError as err:
            return Response(200, _envelope({"error": error_to_typed(err)}, req_id))
        except Exception:  # the SDK reads errors from the envelope only: never a bare 500 here
            log.exception("internal error in %s.%s", params["serviceId"], params["operationId"])
            internal = internal_error("Internal server error; see the server log.")
            return Response(200, _envelope({"error": error_to_typed(internal)}, req_id))
        return Response(200, _envelope({"output": output}, req_id))

    async def _invoke(self, params: dict[str, Any], client: str, large: bool) -> Any:
        op = self.table.get(params["serviceId"], params["operationId"])
        if op is None:
            raise operation_not_found(params["serviceId"], params["operationId"])
        ctx = params.get("ctx")
        ctx = ctx if isinstance(ctx, dict) else {}
        security = ctx.get("securityCtx")
        security = security if isinstance(security, dict) else {}
        call: Call[Any] = Call(self.backend)
        scheme = security.get("schemeId")
        if op.privilege is Privilege.NONE:
            if scheme != USER_PASS:
                raise unauthenticated("Authentication required: send user/password credentials.")
            user, password = security.get("userName"), security.get("password")
            if not isinstance(user, str) or not isinstance(password, str):
                raise unauthenticated("Authentication failed: invalid user name or password.")
            call.user = self.auth.authenticate(user, password, client=client)
        elif scheme == SESSION_ID and isinstance(security.get("sessionId"), str):
            session = self.auth.lookup(security["sessionId"])
            if session is not None:
                call.user, call.session_id = session.user, session.id
        op.authorize(call)
        if large:  # a large body is decoded off the event loop
            inputs = await asyncio.to_thread(operation_input_from_typed, op.input_tds, params.get("input"))
        else:
            inputs = operation_input_from_typed(op.input_tds, params.get("input"))
        value = await op.invoke(call, inputs)
        return encoder(op.spec.output, TYPED)(value)


def _envelope(result: dict[str, Any], req_id: Any) -> bytes:
    return orjson.dumps({"jsonrpc": "2.0", "result": result, "id": req_id})
