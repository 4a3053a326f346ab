"""Hosts that run as agents of their own (`vlcmsim hosts run`, see
`vlcmsim.hosts.agent_process` and docs/scale-out.md): the server side.

The store carries everything between an API worker and an agent, so that any
worker can serve any agent: the worker running a stage queues one row of
`host_work` per host; the agent of that host claims it (FOR UPDATE SKIP LOCKED),
downloads from the depot URL the plan names, and reports its progress and end
on the row; the worker watches its rows and moves the task's live progress.
An agent is alive while it keeps calling (its heartbeat): the hosts of a silent
agent are NOT_RESPONDING, and their work in progress fails as a real host's
does when it stops answering."""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from vlcmsim.config import Settings
from vlcmsim.depot.model import Payload
from vlcmsim.hosts.agent import HostProgress, StageFailure, StagePlan
from vlcmsim.hosts.simulated import SimulatedHosts
from vlcmsim.hosts.stager import install_failed
from vlcmsim.hosts.staging import StagingAreas
from vlcmsim.ids import LIFECYCLE
from vlcmsim.inventory.store import Inventory
from vlcmsim.sim.knobs import RUN_MAX_AGE, SimKnobs
from vlcmsim.store import schema
from vlcmsim.store.cache import TTLSnapshot
from vlcmsim.store.db import Store
from vlcmsim.vapi.codec import aware, now

log = logging.getLogger(__name__)

VERSION = "agent_hosts_version"  # bumped when an agent registers hosts or reports what they hold
MEMBERS_VERSION = "agent_members_version"  # bumped when an agent registers hosts (which agent runs which host)
WATCH_EVERY = 0.2  # seconds between two looks at the work this worker waits for
REREAD = timedelta(seconds=2)  # a look reads again what moved this long before the last one (late commits)
LIVENESS_TTL = 0.5  # seconds a look at every agent's heartbeat serves
STAGED_MAX_AGE = 0.25  # seconds a look at what the agents reported they hold serves
OPEN = ("QUEUED", "CLAIMED")


def agent_token(store: Store) -> str:
    """The token agents present (Authorization: Bearer), made at its first use
    and kept in the store: every worker accepts it; it is not a user's password."""
    with store.engine.begin() as conn:
        row = conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == "agent_token")).first()
        if row is not None:
            return str(row[0])
        token = secrets.token_urlsafe(32)
        conn.execute(schema.meta.insert().values(key="agent_token", value=token))
        return token


def check_token(expected: str, authorization: str | None) -> bool:
    if not authorization or not authorization.lower().startswith("bearer "):
        return False
    return hmac.compare_digest(authorization[7:].strip().encode(), expected.encode())


def plan_value(plan: StagePlan) -> dict[str, Any]:
    """The plan as JSON, by hand: `asdict`'s deep copy of every payload was the largest cost
    of queueing 10,000 hosts' work on the loop."""

    def payloads(of: list[Payload]) -> list[dict[str, Any]]:
        return [{"name": p.name, "type": p.type, "size": p.size, "sha256": p.sha256} for p in of]

    return {
        "host": plan.host,
        "host_name": plan.host_name,
        "wanted": payloads(plan.wanted),
        "missing": payloads(plan.missing),
        "depot_url": plan.depot_url,
        "needed": payloads(plan.needed),
    }


class AgentStaging(StagingAreas):
    """What the agents last reported their hosts hold (scans and checks read
    it as they would read a staging area in this process).

    Kept in memory and read again from the store only for the hosts whose row
    moved (their `version`): agents report all the time while they stage, and
    reading every host's row at each report took the API's loop for tens of
    milliseconds at 5,000 hosts. A host removed by another process stays here
    as it was; nothing asks for it any more."""

    def __init__(self, store: Store, root: Path) -> None:
        super().__init__(root)
        self.store = store
        self._snap = TTLSnapshot(self._load, 0.0, lambda: store.version(VERSION), self._moved_since)

    def _load(self) -> dict[str, dict[str, Any]]:
        return self._moved_since({}, -1)

    def _moved_since(self, held: dict[str, dict[str, Any]], version: int) -> dict[str, dict[str, Any]]:
        """`held` with the rows written after `version`: a writer bumps the counter first and
        holds it to its commit, so every row up to the version the snapshot reads is committed."""
        ah = schema.agent_hosts
        with self.store.engine.connect() as conn:
            held.update(
                {r.host: r.staged for r in conn.execute(select(ah.c.host, ah.c.staged).where(ah.c.version > version))}
            )
        return held

    def staged(self, host: str) -> set[str]:
        # a stage of 10,000 hosts asks once per host: one look at the store serves a moment
        # (the work this process sees end makes the next look at once: its scan reads what the
        # agent reported)
        return set((self._snap.get(STAGED_MAX_AGE).get(host) or {}).get("payloads", ()))

    def used_bytes(self, host: str) -> int:
        return int((self._snap.get().get(host) or {}).get("used_bytes", 0))

    def changed(self) -> None:
        self._snap.expire()

    def verify(self, host: str, sha256: str) -> bool:
        return sha256 in self.staged(host)

    def remove(self, host: str) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(schema.agent_hosts.delete().where(schema.agent_hosts.c.host == host))
            Store.bump(conn, VERSION)
        self._snap.invalidate()  # (a refresh sees no removed row)


@dataclass
class _Waiter:
    host: str
    host_name: str
    progress: HostProgress | None
    done: asyncio.Future[None]
    turned: bool = False
    seen_completed: int = field(default=0)


class RemoteHosts(SimulatedHosts):
    """The HostAgent of hosts run by agents. Maintenance mode and reboots are
    vCenter's view of the host (its inventory state, its VMs) and stay here;
    downloads and installs are the host's own and happen in its agent."""

    def __init__(self, settings: Settings, inventory: Inventory, knobs: SimKnobs, staging: AgentStaging) -> None:
        super().__init__(settings, inventory, knobs, staging, None)
        self.store = staging.store
        self.agent_staging = staging
        self.dead_after = timedelta(seconds=settings.worker_dead_seconds)
        self.worker_id = ""  # the API worker's id (its task manager's), set by the composition root
        self._waiting: dict[str, _Waiter] = {}
        self._heartbeats: tuple[float, dict[str, bool]] = (0.0, {})  # (when read, agent -> alive)
        self._members = TTLSnapshot(self._load_members, 0.0, lambda: self.store.version(MEMBERS_VERSION))
        self._since: datetime | None = None  # work rows updated since then are read again
        self._to_queue: list[dict[str, Any]] = []  # work rows to insert, in one transaction
        self._queue_flush: asyncio.Handle | None = None

    # -- liveness ------------------------------------------------------------------

    def _load_members(self) -> dict[str, str]:
        """host -> the agent that runs it."""
        ah = schema.agent_hosts
        with self.store.engine.connect() as conn:
            return {r.host: r.agent for r in conn.execute(select(ah.c.host, ah.c.agent))}

    def _agents_alive(self) -> dict[str, bool]:
        """agent -> alive, from a look at their heartbeats at most LIVENESS_TTL old (a few rows)."""
        taken, alive = self._heartbeats
        if time.monotonic() - taken >= LIVENESS_TTL:
            cutoff = now() - self.dead_after
            with self.store.engine.connect() as conn:
                rows = conn.execute(select(schema.host_agents.c.id, schema.host_agents.c.heartbeat)).all()
            alive = {r.id: aware(r.heartbeat) >= cutoff for r in rows}
            self._heartbeats = (time.monotonic(), alive)
        return alive

    def _alive(self, host: str) -> bool | None:
        """Whether the host's agent is alive (None: no agent runs it): which agent
        runs which host is read when an agent registers, their heartbeats at most
        LIVENESS_TTL apart — 10,000 hosts staged at once cost no query each."""
        agent = self._members.get(STAGED_MAX_AGE).get(host)
        if agent is None:  # an agent may have registered it a moment ago: ask the store before saying no
            agent = self._members.get().get(host)
        if agent is None:
            return None
        if not self._agents_alive().get(agent, False):  # as for a silence: a fresh look first
            self._heartbeats = (0.0, {})
        return self._agents_alive().get(agent, False)

    def _check_connected(self, host: str) -> None:
        super()._check_connected(host)
        alive = self._alive(host)
        if not alive:
            _, name = self._state(host)
            raise not_responding(name, "no host agent runs it" if alive is None else "its agent stopped answering")

    # -- work for the agents -----------------------------------------------------------

    async def stage(self, plan: StagePlan, progress: HostProgress) -> None:
        self._check_connected(plan.host)
        knobs = self.knobs.get(plan.host, RUN_MAX_AGE)
        corrupt = 0
        for _ in range(len(plan.missing) * self.settings.stage_tries):  # the faults the agent will play
            if not self.knobs.take_corrupt_download(plan.host):
                break
            corrupt += 1
        faults = {
            "staging_capacity_bytes": knobs.staging_capacity_bytes,
            "bandwidth_bytes_per_s": knobs.bandwidth_bytes_per_s,
            "corrupt_downloads": corrupt,
        }
        await self._run(plan, "stage", progress, faults)

    async def install(self, plan: StagePlan) -> None:
        self._check_connected(plan.host)
        if self.knobs.take(plan.host, "fail_installs"):
            raise install_failed(plan.host_name)
        await self._run(plan, "install", None, {})

    async def _run(self, plan: StagePlan, kind: str, progress: HostProgress | None, faults: dict[str, Any]) -> None:
        work_id = uuid.uuid4().hex
        self._to_queue.append(
            {
                "id": work_id,
                "host": plan.host,
                "kind": kind,
                "plan": {**plan_value(plan), "faults": faults},
                "status": "QUEUED",
                "worker": self.worker_id,
                "created": now(),
            }
        )
        if self._queue_flush is None:  # the hosts of a stage queue their work together
            self._queue_flush = asyncio.get_running_loop().call_soon(self._flush_queue)
        waiter = self._waiting[work_id] = _Waiter(
            plan.host, plan.host_name, progress, asyncio.get_running_loop().create_future()
        )
        try:
            await waiter.done
        except BaseException:
            self._cancel(work_id)  # canceled, timed out, or the host stopped answering
            raise
        finally:
            self._waiting.pop(work_id, None)

    def _flush_queue(self) -> None:
        rows, self._to_queue, self._queue_flush = self._to_queue, [], None
        if rows:
            with self.store.engine.begin() as conn:
                conn.execute(schema.host_work.insert(), rows)

    def _cancel(self, work_id: str) -> None:
        if any(r["id"] == work_id for r in self._to_queue):
            self._to_queue = [r for r in self._to_queue if r["id"] != work_id]
            return
        with self.store.engine.begin() as conn:
            conn.execute(
                update(schema.host_work)
                .where(schema.host_work.c.id == work_id, schema.host_work.c.status.in_(OPEN))
                .values(status="CANCELED")
            )

    async def watch(self) -> None:
        """Move the waiting work on from what the agents reported; mark the hosts
        of silent agents NOT_RESPONDING (and back); until canceled."""
        last_liveness = 0.0
        loop = asyncio.get_running_loop()
        while True:
            try:
                if self._waiting:
                    waiting = dict(self._waiting)
                    self._settle(waiting, *(await asyncio.to_thread(self._reports, waiting)))
                if loop.time() - last_liveness >= self.settings.worker_heartbeat_seconds:
                    last_liveness = loop.time()
                    await asyncio.to_thread(self.mark_liveness)
                    await asyncio.to_thread(self.drop_orphaned_work, self._alive_workers())
            except Exception:  # the store may be away a moment
                log.warning("could not look at the host agents' work", exc_info=True)
            await asyncio.sleep(WATCH_EVERY)

    def _alive_workers(self) -> set[str]:
        with self.store.engine.connect() as conn:
            cutoff = now() - self.dead_after
            return set(conn.execute(select(schema.workers.c.id).where(schema.workers.c.heartbeat >= cutoff)).scalars())

    def _reports(self, waiting: dict[str, _Waiter]) -> tuple[list[Any], dict[str, bool]]:
        """What the agents wrote of this worker's work since the last look (rows
        that moved, not every waiting row), and whether the waiting hosts' agents
        are alive (in a thread)."""
        hw = schema.host_work
        started = now()
        since = (self._since or started - timedelta(days=1)) - REREAD  # reports committing meanwhile
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(hw.c.id, hw.c.status, hw.c.completed, hw.c.retrying, hw.c.started, hw.c.error).where(
                    hw.c.worker == self.worker_id, hw.c.updated >= since
                )
            ).all()
        self._since = started
        members, agents = self._members.get(STAGED_MAX_AGE), self._agents_alive()
        if any(w.host not in members for w in waiting.values()):  # registered a moment ago
            members = self._members.get()
        alive = {w.host: agents.get(members.get(w.host, ""), False) for w in waiting.values()}
        return [r for r in rows if r.id in waiting], alive

    def _settle(self, waiting: dict[str, _Waiter], rows: list[Any], alive: dict[str, bool]) -> None:
        """On the loop: progress moves, the host's turn starts its timeout, ended
        work settles; work whose agent went silent or whose host was disconnected fails."""
        outcomes: list[tuple[_Waiter, StageFailure | None]] = []
        ended: set[str] = set()
        for row in rows:
            w = waiting[row.id]
            if w.progress is not None:
                w.progress.completed = int(row.completed)
                w.progress.status = "RETRY_PENDING" if row.retrying else "RUNNING"
                if row.started and not w.turned:
                    w.turned = True
                    w.progress.turn()
            if row.status == "DONE":
                outcomes.append((w, None))
            elif row.status == "FAILED":
                e = row.error or {}
                failed = StageFailure(
                    e.get("msg_id", f"{LIFECYCLE}.HostFailed"),
                    e.get("message", f"Host {w.host_name} failed."),
                    e.get("resolution"),
                    bool(e.get("retriable")),
                )
                outcomes.append((w, failed))
            else:
                continue
            ended.add(row.id)
        hosts = {h.id: h for h in self.inventory.hosts(max_age=RUN_MAX_AGE)}  # one look per round
        for work_id, w in waiting.items():
            if work_id in ended:
                continue
            host = hosts.get(w.host)
            if not alive.get(w.host):
                outcomes.append((w, not_responding(w.host_name, "its agent stopped answering")))
            elif host is not None and host.connection_state != "CONNECTED":
                words = host.connection_state.lower().replace("_", " ")
                outcomes.append(
                    (
                        w,
                        StageFailure(
                            f"{LIFECYCLE}.HostNotConnected",
                            f"Host {w.host_name} is {words}: its software cannot be staged.",
                            "Reconnect the host and stage again.",
                            retriable=True,
                        ),
                    )
                )
        if outcomes:
            self.agent_staging.changed()
        for w, failure in outcomes:
            if w.done.done():
                continue
            if failure is None:
                w.done.set_result(None)
            else:
                w.done.set_exception(failure)

    def mark_liveness(self) -> None:
        """Hosts whose agent went silent are NOT_RESPONDING; they answer again
        (CONNECTED) when it is back — unless something else put them there."""
        ah = schema.agent_hosts
        with self.store.engine.connect() as conn:
            marked = set(conn.execute(select(ah.c.host).where(ah.c.marked_down)).scalars())
        agents = self._agents_alive()
        alive = {host: agents.get(agent, False) for host, agent in self._members.get().items()}
        hosts = {h.id: h for h in self.inventory.hosts()}
        for host, up in alive.items():
            h = hosts.get(host)
            if h is None:
                continue
            if not up and h.connection_state == "CONNECTED":
                self.inventory.update_host(host, connection_state="NOT_RESPONDING")
                self._mark(host, True)
            elif up and host in marked and not self.knobs.get(host, RUN_MAX_AGE).rebooting:
                if h.connection_state == "NOT_RESPONDING":
                    self.inventory.update_host(host, connection_state="CONNECTED")
                self._mark(host, False)

    def _mark(self, host: str, down: bool) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(update(schema.agent_hosts).where(schema.agent_hosts.c.host == host).values(marked_down=down))

    def drop_orphaned_work(self, alive_workers: set[str] | None = None) -> int:
        """Work queued by workers that stopped (nobody waits for it) is canceled."""
        hw = schema.host_work
        with self.store.engine.begin() as conn:
            query = update(hw).where(hw.c.status.in_(OPEN))
            if alive_workers is not None:
                query = query.where(hw.c.worker.not_in(alive_workers))
            else:
                query = query.where(hw.c.worker != self.worker_id)
            return int(conn.execute(query.values(status="CANCELED")).rowcount)


def not_responding(host_name: str, why: str) -> StageFailure:
    return StageFailure(
        f"{LIFECYCLE}.HostNotResponding",
        f"Host {host_name} is not responding: {why}.",
        "Start the host's agent (vlcmsim hosts run), then try again.",
        retriable=True,
    )
