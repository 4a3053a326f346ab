"""/vum/repository: what hosts download, the way ESXi pulls from vCenter's
depot. Payloads by sha-256, and exported software specifications."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson

from vlcmsim.vapi.errors import VapiError
from vlcmsim.vapi.http import Request, Response, error_response
from vlcmsim.vapi.rest import no_such_resource

if TYPE_CHECKING:
    from vlcmsim.app import App

PAYLOADS = "/vum/repository/payloads/"
SPECS = "/vum/repository/software-specs/"


class RepositoryServer:
    def __init__(self, app: App) -> None:
        self.app = app

    async def handle(self, req: Request) -> Response:
        try:
            if req.method not in ("GET", "HEAD"):
                raise no_such_resource(req.path)
            if req.path.startswith(PAYLOADS):
                return self._payload(req)
            if req.path.startswith(SPECS):
                return self._software_spec(req)
            raise no_such_resource(req.path)
        except VapiError as err:
            return error_response(err)

    def _payload(self, req: Request) -> Response:
        sha = req.path[len(PAYLOADS) :]
        try:
            path = self.app.payloads.path(sha)
        except ValueError:
            raise no_such_resource(req.path) from None
        if not path.exists():
            raise no_such_resource(req.path)
        headers = [
            (b"content-type", b"application/octet-stream"),
            (b"content-length", str(path.stat().st_size).encode()),
        ]
        if req.method == "HEAD":
            return Response(200, b"", headers)
        return Response(200, b"", headers, file=path)

    def _software_spec(self, req: Request) -> Response:
        from vlcmsim.services.esx_settings.software import software_spec_json

        parts = req.path[len(SPECS) :].split("/")
        if len(parts) != 2 or not parts[1].endswith(".json") or not parts[1][:-5].isdigit():
            raise no_such_resource(req.path)
        commit = self.app.desired.commit(parts[0], int(parts[1][:-5]))
        if commit is None:
            raise no_such_resource(req.path)
        return Response(200, orjson.dumps(software_spec_json(commit.spec), option=orjson.OPT_INDENT_2))
