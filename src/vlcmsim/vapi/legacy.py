"""Legacy /rest: the pre-7.0U2 envelope, ``{"value": ...}`` on success and
``{"type": <error id>, "value": <error>}`` on failure. govc logs in here.
Only the session service is served in this form."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson

from vlcmsim.vapi.codec import to_clean
from vlcmsim.vapi.errors import VapiError
from vlcmsim.vapi.http import Request, Response
from vlcmsim.vapi.operations import Call
from vlcmsim.vapi.rest import SESSION_HEADER, no_such_resource

if TYPE_CHECKING:
    from vlcmsim.app import App

SESSION_PATH = "/rest/com/vmware/cis/session"
_SESSION_OPS = {"POST": "create", "GET": "get", "DELETE": "delete"}


def legacy_error(err: VapiError) -> Response:
    return Response.json(err.http_status, {"type": err.error_id, "value": err.as_value()})


class LegacyAdapter:
    def __init__(self, app: App) -> None:
        self.app = app

    async def handle(self, req: Request) -> Response:
        try:
            if req.path.rstrip("/") != SESSION_PATH or req.method not in _SESSION_OPS:
                raise no_such_resource(req.path)
            op = self.app.operations.get("com.vmware.cis.session", _SESSION_OPS[req.method])
            assert op is not None
            call = Call(self.app)
            if req.method == "POST":
                creds = req.basic_auth()
                if creds is not None:
                    call.user = self.app.sessions.authenticate(*creds)
            else:
                sid = req.header(SESSION_HEADER)
                session = self.app.sessions.lookup(sid) if sid else None
                if session is not None:
                    call.user, call.session_id = session.user, session.id
            if req.method != "POST":
                op.authorize(call)
            value = await op.invoke(call, {})
            if op.spec.output["kind"] == "void":
                return Response(200, b"", [])
            return Response(200, orjson.dumps({"value": to_clean(op.spec.output, value, legacy_maps=True)}))
        except VapiError as err:
            return legacy_error(err)
