"""/vum/repository on the https port: what hosts download, the way ESXi pulls
from vCenter's depot (payloads by sha-256), and exported software
specifications."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from vlcmsim.depot.payloads import PayloadStore
from vlcmsim.vapi.auth import Authenticator
from vlcmsim.vapi.errors import VapiError, no_such_resource, unauthenticated
from vlcmsim.vapi.http import Request, Response, error_response

PAYLOADS = "/vum/repository/payloads/"
SPECS = "/vum/repository/software-specs/"
EXPORTS = "/vum/repository/exports/"


# (cluster, commit as the path names it) -> the exported document, or None
SoftwareSpecs = Callable[[str, str], bytes | None]
# (cluster, commit, the URL's token) -> whether the token is export's for that document
TokenCheck = Callable[[str, str, str], bool]
SESSION_HEADER = b"vmware-api-session-id"


class RepositoryServer:
    """Payloads are open, as a vCenter's depot is to its hosts; an exported
    software specification needs a session or the token its export URL carries."""

    def __init__(
        self,
        payloads: PayloadStore,
        software_specs: SoftwareSpecs,
        token_ok: TokenCheck,
        auth: Authenticator,
        exports: Path | None = None,
    ) -> None:
        self.exports = exports
        self.payloads = payloads
        self.software_specs = software_specs
        self.token_ok = token_ok
        self.auth = auth

    async def handle(self, req: Request) -> Response:
        try:
            if req.method not in ("GET", "HEAD"):
                raise no_such_resource(req.path)
            if req.path.startswith(PAYLOADS):
                return self._payload(req)
            if req.path.startswith(SPECS):
                return self._software_spec(req)
            if req.path.startswith(EXPORTS):
                return self._export(req)
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

    def _authorized(self, req: Request, owner: str, name: str) -> None:
        token = dict(req.query).get("token", "")
        sid = req.header(SESSION_HEADER)
        if not (token and self.token_ok(owner, name, token)) and not (sid and self.auth.lookup(sid)):
            raise unauthenticated("Authentication required: send a session, or use the URL export answered.")

    def _export(self, req: Request) -> Response:
        name = req.path[len(EXPORTS) :]
        if self.exports is None or not name or "/" in name or name.startswith("."):
            raise no_such_resource(req.path)
        self._authorized(req, "exports", name)
        path = self.exports / name
        if not path.is_file():
            raise no_such_resource(req.path)
        kind = b"application/x-iso9660-image" if name.endswith(".iso") else b"application/zip"
        headers = [
            (b"content-type", kind),
            (b"content-length", str(path.stat().st_size).encode()),
        ]
        return Response(200, b"", headers, file=None if req.method == "HEAD" else path)

    def _software_spec(self, req: Request) -> Response:
        parts = req.path[len(SPECS) :].split("/")
        if len(parts) != 2 or not parts[1].endswith(".json"):
            raise no_such_resource(req.path)
        cluster, commit = parts[0], parts[1][: -len(".json")]
        self._authorized(req, cluster, commit)
        document = self.software_specs(cluster, commit)
        if document is None:
            raise no_such_resource(req.path)
        return Response(200, document)
