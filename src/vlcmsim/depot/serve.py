"""/vum/repository on the https port: what hosts download, the way ESXi pulls
from vCenter's depot (payloads by sha-256), and exported software
specifications."""

from __future__ import annotations

from collections.abc import Callable

from vlcmsim.depot.payloads import PayloadStore
from vlcmsim.vapi.errors import VapiError, no_such_resource
from vlcmsim.vapi.http import Request, Response, error_response

PAYLOADS = "/vum/repository/payloads/"
SPECS = "/vum/repository/software-specs/"


# (cluster, commit as the path names it) -> the exported document, or None
SoftwareSpecs = Callable[[str, str], bytes | None]


class RepositoryServer:
    def __init__(self, payloads: PayloadStore, software_specs: SoftwareSpecs) -> None:
        self.payloads = payloads
        self.software_specs = software_specs

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
            path = self.payloads.path(sha)
        except ValueError:
            raise no_such_resource(req.path) from None
        if not path.is_file():
            raise no_such_resource(req.path)
        headers = [
            (b"content-type", b"application/octet-stream"),
            (b"content-length", str(path.stat().st_size).encode()),
        ]
        if req.method == "HEAD":
            return Response(200, b"", headers)
        return Response(200, b"", headers, file=path)

    def _software_spec(self, req: Request) -> Response:
        parts = req.path[len(SPECS) :].split("/")
        document = None
        if len(parts) == 2 and parts[1].endswith(".json"):
            document = self.software_specs(parts[0], parts[1][: -len(".json")])
        if document is None:
            raise no_such_resource(req.path)
        return Response(200, document)
