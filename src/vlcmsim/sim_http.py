"""/sim/hosts/{host}: the simulation's own control API (not vSphere's), to
rehearse failures: connection state, link bandwidth, staging capacity, and
corrupted downloads. Needs an administrator's session."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from vlcmsim.inventory.model import CONNECTION_STATES, Host
from vlcmsim.vapi.errors import VapiError, invalid_argument, not_found, unauthenticated, unauthorized
from vlcmsim.vapi.http import Request, Response, error_response
from vlcmsim.vapi.rest import SESSION_HEADER, no_matching_method, no_such_resource

if TYPE_CHECKING:
    from vlcmsim.app import App

PREFIX = "/sim/hosts"
_INTS = ("bandwidth_bytes_per_s", "staging_capacity_bytes", "corrupt_downloads")


def sim_state(app: App, h: Host) -> dict[str, Any]:
    return {
        "host": h.id,
        "name": h.name,
        "cluster": h.cluster,
        "connection_state": h.connection_state,
        "bandwidth_bytes_per_s": h.bandwidth_bytes_per_s,
        "staging_capacity_bytes": h.staging_capacity_bytes,
        "staging_used_bytes": app.staging.used_bytes(h.id),
        "staged_payloads": sorted(app.staging.staged(h.id)),
        "corrupt_downloads": h.corrupt_downloads,
    }


class SimAdapter:
    def __init__(self, app: App) -> None:
        self.app = app

    async def handle(self, req: Request) -> Response:
        try:
            sid = req.header(SESSION_HEADER)
            session = self.app.sessions.lookup(sid) if sid else None
            if session is None:
                raise unauthenticated()
            parts = req.path.rstrip("/").split("/")
            if req.path.rstrip("/") == PREFIX and req.method == "GET":
                return Response.json(200, [sim_state(self.app, h) for h in self.app.inventory.hosts()])
            if len(parts) != 4:
                raise no_such_resource(req.path)
            host = self.app.inventory.host(parts[3])
            if host is None:
                raise not_found("com.vmware.vlcmsim.sim.HostNotFound", f"Host {parts[3]} not found.", parts[3])
            if req.method == "GET":
                return Response.json(200, sim_state(self.app, host))
            if req.method != "PATCH":
                raise no_matching_method(req.method, req.path)
            if not session.user.can_write:
                raise unauthorized(f"User {session.user.name} cannot change the simulation.")
            changes = self._changes(req.body)
            updated = self.app.inventory.update_host(host.id, **changes)
            assert updated is not None
            return Response.json(200, sim_state(self.app, updated))
        except VapiError as err:
            return error_response(err)

    def _changes(self, body: bytes) -> dict[str, Any]:
        try:
            doc = orjson.loads(body or b"null")
        except orjson.JSONDecodeError as exc:
            raise invalid_argument("com.vmware.vlcmsim.sim.BadBody", f"Invalid JSON in request body: {exc}.") from None
        if not isinstance(doc, dict) or not doc:
            raise invalid_argument("com.vmware.vlcmsim.sim.BadBody", "The body must be a JSON object of fields to set.")
        changes: dict[str, Any] = {}
        for key, value in doc.items():
            if key == "connection_state":
                if value not in CONNECTION_STATES:
                    raise invalid_argument(
                        "com.vmware.vlcmsim.sim.BadField",
                        f"connection_state must be one of {', '.join(CONNECTION_STATES)}, not {value!r}.",
                        key,
                    )
            elif key in _INTS:
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise invalid_argument(
                        "com.vmware.vlcmsim.sim.BadField", f"{key} must be a non-negative integer, not {value!r}.", key
                    )
            else:
                raise invalid_argument("com.vmware.vlcmsim.sim.BadField", f"Unknown field '{key}'.", key)
            changes[key] = value
        return changes
