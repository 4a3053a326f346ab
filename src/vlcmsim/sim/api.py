"""/sim/hosts/{host}: the simulation's own control API (not vSphere's), to
rehearse failures: connection state, link bandwidth, staging capacity and
corrupted downloads; an online depot's faults (/sim/depots/{depot}:
unreachable, slow, corrupted metadata or payloads); and to move a host into or out of a cluster (which
vSphere does through its SOAP API). Reading needs a session, changing an administrator's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta
from typing import Any, Protocol

import orjson

from vlcmsim.depot.schedule import SimClock
from vlcmsim.ids import VLCMSIM
from vlcmsim.inventory.model import CONNECTION_STATES, Host
from vlcmsim.inventory.store import Inventory
from vlcmsim.sim.knobs import KNOBS, MAX_KNOB, SETTABLE, DepotKnobs, SimKnobs
from vlcmsim.vapi.auth import Authenticator
from vlcmsim.vapi.codec import format_datetime
from vlcmsim.vapi.errors import (
    VapiError,
    invalid_argument,
    no_matching_method,
    no_such_resource,
    not_found,
    unauthenticated,
    unauthorized,
)
from vlcmsim.vapi.http import Request, Response, error_response

PREFIX = "/sim/hosts"
DEPOTS_PREFIX = "/sim/depots/"
CLOCK = "/sim/clock"
SESSION_HEADER = b"vmware-api-session-id"


class StagingView(Protocol):
    """What /sim shows of a host's staging area (`vlcmsim.hosts.staging.StagingAreas`)."""

    def used_bytes(self, host: str) -> int: ...

    def staged(self, host: str) -> set[str]: ...


class HostConfiguration(Protocol):
    def read(self, host: Host) -> dict[str, Any]: ...

    def change(self, host: Host, path: str, value: Any) -> dict[str, Any]:
        """The configuration with one setting changed (KeyError: no such setting; ValueError: bad value)."""
        ...


def _bad_body(text: str, *args: str) -> VapiError:
    return invalid_argument(f"{VLCMSIM}.sim.BadBody", text, *args)


class SimApi:
    def __init__(
        self,
        auth: Authenticator,
        inventory: Inventory,
        knobs: SimKnobs,
        staging: StagingView,
        connection_changed: Callable[[Host], object] = lambda host: None,
        move_host: Callable[[str, str | None], object] | None = None,
        depots: tuple[DepotKnobs, Callable[[str], bool]] | None = None,
        clock: SimClock | None = None,
        configuration: HostConfiguration | None = None,
    ) -> None:
        self.auth = auth
        self.inventory = inventory
        self.knobs = knobs
        self.staging = staging
        self.connection_changed = connection_changed
        self.move_host = move_host
        self.depots = depots  # the depot faults, and whether an online depot exists
        self.clock = clock
        self.configuration = configuration  # each host's actual configuration (Configuration Profiles)

    def state(self, h: Host) -> dict[str, Any]:
        knobs = self.knobs.get(h.id)
        return {
            "host": h.id,
            "name": h.name,
            "cluster": h.cluster,
            "connection_state": h.connection_state,
            "vendor": h.vendor,
            "model": h.model,
            **{k: getattr(knobs, k) for k in KNOBS},
            "staging_used_bytes": self.staging.used_bytes(h.id),
            "staged_payloads": sorted(self.staging.staged(h.id)),
        }

    async def handle(self, req: Request) -> Response:
        try:
            sid = req.header(SESSION_HEADER)
            session = self.auth.lookup(sid) if sid else None
            if session is None:
                raise unauthenticated()
            parts = req.path.rstrip("/").split("/")
            if req.path.rstrip("/") == CLOCK:
                return self._clock(req, session.user.can_write, session.user.name)
            if req.path.startswith(DEPOTS_PREFIX):
                return self._depots(req, parts, session.user.can_write, session.user.name)
            if req.path.rstrip("/") == PREFIX and req.method == "GET":
                return Response.json(200, [self.state(h) for h in self.inventory.hosts()])
            if len(parts) == 5 and parts[4] == "configuration" and "/".join(parts[:3]) == PREFIX:
                return self._configuration(req, parts[3], session.user.can_write, session.user.name)
            if len(parts) != 4 or "/".join(parts[:3]) != PREFIX:
                raise no_such_resource(req.path)
            host = self.inventory.host(parts[3])
            if host is None:
                raise not_found(f"{VLCMSIM}.sim.HostNotFound", f"Host {parts[3]} not found.", parts[3])
            if req.method == "GET":
                return Response.json(200, self.state(host))
            if req.method != "PATCH":
                raise no_matching_method(req.method, req.path)
            if not session.user.can_write:
                raise unauthorized(f"User {session.user.name} cannot change the simulation.")
            state, knobs, moved, hardware = _changes(req.body)
            if moved is not None:
                if self.move_host is None:
                    raise invalid_argument(f"{VLCMSIM}.sim.BadField", "Hosts cannot be moved here.", "cluster")
                self.move_host(host.id, moved[0])
            if hardware:  # what vSphere reports of its hardware (alternative images select on it)
                self.inventory.update_host(host.id, **hardware)
            if state is not None:
                self.inventory.update_host(host.id, connection_state=state)
                self.connection_changed(host)
            if knobs:
                self.knobs.set(host.id, **knobs)
            updated = self.inventory.host(host.id)
            assert updated is not None
            return Response.json(200, self.state(updated))
        except VapiError as err:
            return error_response(err)

    def _configuration(self, req: Request, host_id: str, can_write: bool, user: str) -> Response:
        """A host's actual configuration; PATCH {"path", "value"} changes one setting behind vLCM's
        back (to rehearse drift: the next compliance check finds it)."""
        host = self.inventory.host(host_id)
        if host is None:
            raise not_found(f"{VLCMSIM}.sim.HostNotFound", f"Host {host_id} not found.", host_id)
        if self.configuration is None:
            raise no_such_resource(req.path)
        if req.method == "GET":
            return Response.json(200, self.configuration.read(host))
        if req.method != "PATCH":
            raise no_matching_method(req.method, req.path)
        if not can_write:
            raise unauthorized(f"User {user} cannot change the simulation.")
        body = _object(req.body)
        path = body.get("path")
        if not isinstance(path, str) or "value" not in body:
            raise _bad_body('Give {"path": "esx/...", "value": ...}: the setting and its new value.')
        try:
            changed = self.configuration.change(host, path, body["value"])
        except KeyError:
            raise invalid_argument(f"{VLCMSIM}.sim.UnknownSetting", f"{path} is not a setting.", path) from None
        except ValueError as exc:
            raise invalid_argument(f"{VLCMSIM}.sim.BadValue", f"{path}: {exc}.", path) from None
        return Response.json(200, changed)

    def _clock(self, req: Request, can_write: bool, user: str) -> Response:
        """/sim/clock: the simulated time scheduled work follows (GET; PATCH
        {"advance_seconds": N} moves it forward, {"offset_seconds": 0} back to real time)."""
        if self.clock is None:
            raise no_such_resource(req.path)
        if req.method == "PATCH":
            if not can_write:
                raise unauthorized(f"User {user} cannot change the simulation.")
            doc = _object(req.body)
            for key, value in doc.items():
                if key not in ("advance_seconds", "offset_seconds"):
                    raise _bad_field(key[:64], f"Unknown field '{key[:64]}'.")
                if isinstance(value, bool) or not isinstance(value, int | float) or abs(value) > 10 * 366 * 86400:
                    raise _bad_field(key, f"{key} must be a number of seconds (at most ten years).")
            if "offset_seconds" in doc:
                self.clock.offset = timedelta(seconds=doc["offset_seconds"])
            self.clock.offset += timedelta(seconds=doc.get("advance_seconds", 0))
        elif req.method != "GET":
            raise no_matching_method(req.method, req.path)
        return Response.json(
            200, {"now": format_datetime(self.clock.now()), "offset_seconds": self.clock.offset.total_seconds()}
        )

    def _depots(self, req: Request, parts: list[str], can_write: bool, user: str) -> Response:
        """/sim/depots/{depot}: the faults of an online depot."""
        if self.depots is None or len(parts) != 4:
            raise no_such_resource(req.path)
        depot = parts[3]
        if not self.depots[1](depot):
            raise not_found(f"{VLCMSIM}.sim.DepotNotFound", f"Online depot {depot} not found.", depot)
        if req.method == "GET":
            return Response.json(200, {"depot": depot, **asdict(self.depots[0].get(depot))})
        if req.method != "PATCH":
            raise no_matching_method(req.method, req.path)
        if not can_write:
            raise unauthorized(f"User {user} cannot change the simulation.")
        changes = _depot_changes(req.body)
        return Response.json(200, {"depot": depot, **asdict(self.depots[0].set(depot, **changes))})


def _bad_field(key: str, text: str) -> VapiError:
    return invalid_argument(f"{VLCMSIM}.sim.BadField", text, key)


def _depot_changes(body: bytes) -> dict[str, Any]:
    doc = _object(body)
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if key in ("unreachable", "corrupt_metadata", "corrupt_payloads"):
            if not isinstance(value, bool):
                raise invalid_argument(f"{VLCMSIM}.sim.BadField", f"{key} must be true or false.", key)
        elif key == "bandwidth_bytes_per_s":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_KNOB:
                raise invalid_argument(
                    f"{VLCMSIM}.sim.BadField", f"{key} must be an integer from 0 to {MAX_KNOB}.", key
                )
        else:
            raise invalid_argument(f"{VLCMSIM}.sim.BadField", f"Unknown field '{key[:64]}'.", key[:64])
        out[key] = value
    return out


def _object(body: bytes) -> dict[str, Any]:
    try:
        doc = orjson.loads(body or b"null")
    except orjson.JSONDecodeError:
        raise _bad_body("The request body is not valid JSON.") from None
    if not isinstance(doc, dict) or not doc:
        raise _bad_body("The body must be a JSON object of fields to set.")
    return doc


def _changes(body: bytes) -> tuple[str | None, dict[str, int], tuple[str | None] | None, dict[str, str]]:
    """(the connection state to set, the knobs to set, (the cluster to move the
    host into, None: out of any) or None, the hardware vendor and model to set)
    that a PATCH body asks for."""
    doc = _object(body)
    state: str | None = None
    knobs: dict[str, int] = {}
    moved: tuple[str | None] | None = None
    hardware: dict[str, str] = {}
    for key, value in doc.items():
        if key in ("vendor", "model"):
            if not isinstance(value, str) or not 0 < len(value) <= 128 or not value.isprintable():
                raise invalid_argument(f"{VLCMSIM}.sim.BadField", f"{key} must be a text of 1 to 128 characters.", key)
            hardware[key] = value
        elif key == "cluster":
            if value is not None and (not isinstance(value, str) or not 0 < len(value) <= 64):
                raise invalid_argument(f"{VLCMSIM}.sim.BadField", "cluster must be a cluster id or null.", key)
            moved = (value,)
        elif key == "connection_state":
            if value not in CONNECTION_STATES:
                raise invalid_argument(
                    f"{VLCMSIM}.sim.BadField",
                    f"connection_state must be one of {', '.join(CONNECTION_STATES)}.",
                    key,
                )
            state = value
        elif key in SETTABLE:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_KNOB:
                raise invalid_argument(
                    f"{VLCMSIM}.sim.BadField", f"{key} must be an integer from 0 to {MAX_KNOB}.", key
                )
            knobs[key] = value
        else:
            raise invalid_argument(f"{VLCMSIM}.sim.BadField", f"Unknown field '{key[:64]}'.", key[:64])
    return state, knobs, moved, hardware
