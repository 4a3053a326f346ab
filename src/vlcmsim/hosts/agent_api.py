"""/agent/...: the small HTTP+JSON protocol between API workers and host agents
(docs/scale-out.md has it in full). Every call carries the agent token
(`Authorization: Bearer`) and the agent's id; every call is a heartbeat.

    POST /agent/register  {"agent", "hosts": [ids] | "cluster": id | neither (all),
                           "staged": {host: {"payloads": [sha-256], "used_bytes"}}}
                       -> {"hosts": [{"id", "name"}], "stage_tries", "stage_retry_delay_seconds",
                           "heartbeat_seconds"}
    POST /agent/work      {"agent", "wait": seconds}
                       -> {"work": [{"id", "host", "kind": "stage" | "install", "plan"}]}  (long poll)
    POST /agent/report    {"agent", "work": [{"id", "status": RUNNING | DONE | FAILED, "completed",
                           "retrying", "started", "error"}], "staged": {host: {...}}}
                       -> {"cancel": [ids of reported work that is no longer wanted]}
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, select, update

from vlcmsim.config import Settings
from vlcmsim.hosts.remote import MEMBERS_VERSION, VERSION, check_token
from vlcmsim.ids import VLCMSIM
from vlcmsim.inventory.store import Inventory
from vlcmsim.store import schema
from vlcmsim.store.db import Store
from vlcmsim.vapi.codec import now
from vlcmsim.vapi.errors import (
    VapiError,
    invalid_argument,
    no_matching_method,
    no_such_resource,
    not_found,
    unauthenticated,
)
from vlcmsim.vapi.http import Request, Response, error_response

PREFIX = "/agent/"
MAX_WAIT = 10.0  # seconds a work poll may wait
POLL_EVERY = 0.1  # seconds between two looks at the queue while a poll waits
CLAIM_AT_ONCE = 1000


def _bad(text: str) -> VapiError:
    return invalid_argument(f"{VLCMSIM}.agent.BadBody", text)


class AgentApi:
    def __init__(self, store: Store, inventory: Inventory, settings: Settings, token: str) -> None:
        self.store = store
        self.inventory = inventory
        self.settings = settings
        self.token = token

    async def handle(self, req: Request) -> Response:
        try:
            if not check_token(self.token, req.header(b"authorization")):
                raise unauthenticated("A host agent must present the agent token (Authorization: Bearer).")
            if req.method != "POST":
                raise no_matching_method(req.method, req.path)
            try:
                body = orjson.loads(req.body or b"{}")
            except orjson.JSONDecodeError:
                raise _bad("The body is not JSON.") from None
            if not isinstance(body, dict) or not isinstance(body.get("agent"), str) or not body["agent"]:
                raise _bad('The body must be an object naming the agent ("agent").')
            agent = body["agent"][:64]
            what = req.path.removeprefix(PREFIX).strip("/")
            if what == "register":
                return Response.json(200, await asyncio.to_thread(self._register, agent, body))
            if what == "work":
                return Response.json(200, await self._work(agent, body))
            if what == "report":
                return Response.json(200, await asyncio.to_thread(self._report, agent, body))
            raise no_such_resource(req.path)
        except (ValueError, TypeError, AttributeError) as exc:  # a number that is not one, a list that is not
            return error_response(_bad(f"The body does not say what the agent protocol expects: {exc}."))
        except VapiError as err:
            return error_response(err)

    # -- the calls -----------------------------------------------------------------

    def _register(self, agent: str, body: dict[str, Any]) -> dict[str, Any]:
        cluster, named = body.get("cluster"), body.get("hosts")
        if cluster is not None:
            if self.inventory.cluster(str(cluster)) is None:
                raise not_found(f"{VLCMSIM}.agent.ClusterNotFound", f"Cluster {cluster} not found.", str(cluster))
            hosts = self.inventory.hosts(str(cluster))
        elif named is not None:
            if not isinstance(named, list) or not all(isinstance(h, str) for h in named):
                raise _bad('"hosts" must be a list of host ids.')
            if not named:
                raise _bad('"hosts" names no host: name at least one, or leave it out for all of them.')
            hosts = []
            for host_id in named:
                h = self.inventory.host(host_id)
                if h is None:
                    raise not_found(f"{VLCMSIM}.agent.HostNotFound", f"Host {host_id} not found.", host_id)
                hosts.append(h)
        else:
            hosts = self.inventory.hosts()
        staged = _staged(body)
        ah = schema.agent_hosts
        with self.store.engine.begin() as conn:
            version = Store.bump(conn, VERSION)  # first: held to the commit (see AgentStaging)
            self._heartbeat(conn, agent)
            held = {h.id for h in hosts}
            conn.execute(ah.delete().where(ah.c.host.in_(held)))
            conn.execute(
                ah.insert(),
                [
                    {
                        "host": h.id,
                        "agent": agent,
                        "staged": staged.get(h.id, {"payloads": [], "used_bytes": 0}),
                        # a host found NOT_RESPONDING for its agent's silence comes back
                        "marked_down": h.connection_state == "NOT_RESPONDING",
                        "version": version,
                    }
                    for h in hosts
                ],
            )
            Store.bump(conn, MEMBERS_VERSION)
            # work the agent held before it restarted is not going on any more
            conn.execute(
                update(schema.host_work)
                .where(schema.host_work.c.agent == agent, schema.host_work.c.status == "CLAIMED")
                .values(
                    status="FAILED",
                    updated=now(),
                    error={
                        "msg_id": f"{VLCMSIM}.agent.Restarted",
                        "message": "The host's agent restarted while it worked.",
                        "resolution": "Try again.",
                        "retriable": True,
                    },
                )
            )
        return {
            "hosts": [{"id": h.id, "name": h.name} for h in hosts],
            "stage_tries": self.settings.stage_tries,
            "stage_retry_delay_seconds": self.settings.stage_retry_delay_seconds,
            "heartbeat_seconds": self.settings.worker_heartbeat_seconds,
        }

    async def _work(self, agent: str, body: dict[str, Any]) -> dict[str, Any]:
        wait = body.get("wait", 0)
        if not isinstance(wait, (int, float)) or wait < 0:
            raise _bad('"wait" must be a number of seconds.')
        deadline = time.monotonic() + min(float(wait), MAX_WAIT)
        beat = 0.0
        while True:
            if time.monotonic() - beat >= self.settings.worker_heartbeat_seconds:
                beat = time.monotonic()
                await asyncio.to_thread(self._beat, agent)
            claimed = await asyncio.to_thread(self._claim, agent)
            if claimed or time.monotonic() >= deadline:
                return {"work": claimed}
            await asyncio.sleep(POLL_EVERY)

    def _beat(self, agent: str) -> None:
        with self.store.engine.begin() as conn:
            self._heartbeat(conn, agent)

    def _claim(self, agent: str) -> list[dict[str, Any]]:
        hw, ah = schema.host_work, schema.agent_hosts
        with self.store.engine.begin() as conn:
            mine = select(ah.c.host).where(ah.c.agent == agent)
            ids = list(
                conn.execute(
                    select(hw.c.id)
                    .where(hw.c.status == "QUEUED", hw.c.host.in_(mine))
                    .order_by(hw.c.created)
                    .limit(CLAIM_AT_ONCE)
                    .with_for_update(skip_locked=True)
                ).scalars()
            )
            if not ids:
                return []
            conn.execute(update(hw).where(hw.c.id.in_(ids)).values(status="CLAIMED", agent=agent, updated=now()))
            rows = conn.execute(select(hw.c.id, hw.c.host, hw.c.kind, hw.c.plan).where(hw.c.id.in_(ids))).all()
        return [{"id": r.id, "host": r.host, "kind": r.kind, "plan": r.plan} for r in rows]

    def _report(self, agent: str, body: dict[str, Any]) -> dict[str, Any]:
        work = body.get("work") or []
        if not isinstance(work, list) or not all(isinstance(w, dict) and isinstance(w.get("id"), str) for w in work):
            raise _bad('"work" must be a list of objects with an "id".')
        staged = _staged(body)
        hw, ah = schema.host_work, schema.agent_hosts
        rows = []
        t = now()
        for w in work:
            status = w.get("status", "RUNNING")
            if status not in ("RUNNING", "DONE", "FAILED"):
                raise _bad(f"Work status {status!r} is not RUNNING, DONE or FAILED.")
            error = w.get("error") if isinstance(w.get("error"), dict) else {}
            rows.append(
                {
                    "wid": w["id"],
                    "completed": _count(w.get("completed"), "completed"),
                    "retrying": bool(w.get("retrying")),
                    "started": bool(w.get("started")),
                    "status": "CLAIMED" if status == "RUNNING" else status,
                    "error": error if status == "FAILED" else None,
                    "updated": t,
                }
            )
        with self.store.engine.begin() as conn:
            # first, when what hosts hold changed: held to the commit (see AgentStaging)
            version = Store.bump(conn, VERSION) if staged else 0
            self._heartbeat(conn, agent)
            if rows:  # one statement for all (2,500 hosts' progress is one round trip)
                conn.execute(
                    update(hw)
                    .where(hw.c.id == bindparam("wid"), hw.c.agent == agent, hw.c.status == "CLAIMED")
                    .values(
                        completed=bindparam("completed"),
                        retrying=bindparam("retrying"),
                        started=bindparam("started"),
                        status=bindparam("status"),
                        error=bindparam("error"),
                        updated=bindparam("updated"),
                    ),
                    rows,
                )
            if staged:
                conn.execute(
                    update(ah)
                    .where(ah.c.host == bindparam("h"), ah.c.agent == agent)
                    .values(staged=bindparam("held"), version=version),
                    [{"h": host, "held": held} for host, held in staged.items()],
                )
            ids = [w["id"] for w in work]
            canceled = (
                list(conn.execute(select(hw.c.id).where(hw.c.id.in_(ids), hw.c.status == "CANCELED")).scalars())
                if ids
                else []
            )
        return {"cancel": canceled}

    @staticmethod
    def _heartbeat(conn: Connection, agent: str) -> None:
        t = now()
        table = schema.host_agents
        if not conn.execute(update(table).where(table.c.id == agent).values(heartbeat=t)).rowcount:
            conn.execute(table.insert().values(id=agent, heartbeat=t))


MAX_COUNT = 2**62  # bytes and counts an agent reports: what a signed 64-bit column holds, with room


def _count(value: Any, what: str) -> int:
    """A non-negative whole number an agent reports (bytes done, bytes used), within the store's range."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise _bad(f'"{what}" must be a whole number of bytes.')
    if not 0 <= value <= MAX_COUNT:
        raise _bad(f'"{what}" must be between 0 and {MAX_COUNT}; got {value:.3g}.')
    return int(value)


def _staged(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    raw = body.get("staged") or {}
    if not isinstance(raw, dict):
        raise _bad('"staged" must map host ids to what their staging areas hold.')
    out: dict[str, dict[str, Any]] = {}
    for host, held in raw.items():
        if not isinstance(held, dict) or not isinstance(held.get("payloads", []), list):
            raise _bad(f'"staged" of host {host} must be {{"payloads": [...], "used_bytes": n}}.')
        out[str(host)] = {
            "payloads": sorted(str(p) for p in held.get("payloads", [])),
            "used_bytes": _count(held.get("used_bytes"), "used_bytes"),
        }
    return out
