"""`vlcmsim hosts run`: simulated ESXi hosts in a process of their own, on this
machine or another. The agent registers its hosts with the server, takes their
work (stage, install) from it, downloads payloads from the depot URL each plan
names into staging areas under its own data dir, and reports progress as it
goes. Its disk is its memory: restarted, it reports what its staging areas
hold, and a new stage downloads only what is missing.

    agent = HostAgentProcess(AgentConfig(server, token, data_dir, cluster="domain-c1"))
    asyncio.run(agent.run())
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from vlcmsim.depot.model import Payload
from vlcmsim.hosts.agent import HostProgress, StageFailure, StagePlan
from vlcmsim.hosts.download import Link
from vlcmsim.hosts.stager import Stager
from vlcmsim.hosts.staging import StagingAreas
from vlcmsim.ids import LIFECYCLE

log = logging.getLogger(__name__)

REPORT_EVERY = 0.25  # seconds between two progress reports while work runs
POLL_WAIT = 2.0  # seconds a work poll waits on the server (a heartbeat besides)
RESEND_EVERY = 8  # reports after which unchanged work is sent again (its cancel is learnt from the answer)


@dataclass
class AgentConfig:
    servers: list[str]  # https://vcenter:8443, ...: any API worker; the next is tried when one is away
    token: str
    data_dir: Path
    hosts: list[str] | None = None  # these hosts, or
    cluster: str | None = None  # this cluster's, or (neither) every host
    verify: ssl.SSLContext | bool = True  # the server's and the depot's certificate
    max_downloads: int = 32


@dataclass
class _Running:
    host: str
    progress: HostProgress
    task: asyncio.Task[None] | None = None
    status: str = "RUNNING"  # then DONE | FAILED
    error: dict[str, Any] | None = None
    started: bool = False
    reported: dict[str, Any] | None = None  # what the last report said of it
    since_sent: int = 0  # reports since it was last sent


@dataclass
class HostAgentProcess:
    config: AgentConfig
    agent_id: str = ""
    hosts: dict[str, str] = field(default_factory=dict)  # id -> name
    _server: int = 0  # which of the servers it talks to
    _running: dict[str, _Running] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        id_file = self.config.data_dir / "agent-id"
        if not id_file.exists():  # the same agent across restarts: its hosts' work is known to be its own
            id_file.write_text(f"{os.uname().nodename}-{secrets.token_hex(4)}\n")
        self.agent_id = self.agent_id or id_file.read_text().strip()
        self.staging = StagingAreas(self.config.data_dir / "hosts")
        self.stager: Stager | None = None

    def _held(self, host: str) -> dict[str, Any]:
        return {"payloads": sorted(self.staging.staged(host)), "used_bytes": self.staging.used_bytes(host)}

    async def run(self) -> None:
        discarded = self.staging.discard_partial()
        if discarded:
            log.info("removed %d partial download(s) a stop left", discarded)
        headers = {"authorization": f"Bearer {self.config.token}"}
        async with httpx.AsyncClient(verify=self.config.verify, headers=headers, timeout=30, trust_env=False) as client:
            self.client = client
            registered = await self._register()
            ssl_context = self.config.verify if isinstance(self.config.verify, ssl.SSLContext) else None
            self.stager = Stager(
                self.staging,
                self.config.max_downloads,
                ssl_context,
                int(registered["stage_tries"]),
                float(registered["stage_retry_delay_seconds"]),
                writers=0,  # several agents share the cores: each writes its hosts' files itself
            )
            reporter = asyncio.get_running_loop().create_task(self._report_loop())
            try:
                await self._work_loop()
            finally:
                reporter.cancel()
                await self.stager.close()

    async def _call(self, what: str, body: dict[str, Any]) -> dict[str, Any]:
        """A call to the server, tried again (at the next server given) while it is away."""
        delay = 0.2
        while True:
            used = self._server
            server = self.config.servers[used % len(self.config.servers)]
            try:
                r = await self.client.post(f"{server}/agent/{what}", json={"agent": self.agent_id, **body})
            except httpx.TransportError as exc:
                self._server = used + 1 if self._server == used else self._server  # once per failure seen
                log.warning("server %s unreachable (%s): trying again in %.1fs", server, exc, delay)
            else:
                if r.status_code == 200:
                    result: dict[str, Any] = r.json()
                    return result
                if r.status_code < 500:
                    raise SystemExit(f"vlcmsim hosts: the server refused {what}: {r.status_code} {r.text}")
                log.warning("server answered %s to %s: trying again", r.status_code, what)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def _register(self) -> dict[str, Any]:
        # what the staging areas hold: of the hosts this agent ran before (the server keeps its own)
        known = [p.name for p in self.staging.root.iterdir()] if self.staging.root.is_dir() else []
        body: dict[str, Any] = {"staged": {h: self._held(h) for h in known}}
        if self.config.cluster:
            body["cluster"] = self.config.cluster
        elif self.config.hosts is not None:
            body["hosts"] = self.config.hosts
        registered = await self._call("register", body)
        self.hosts = {h["id"]: h["name"] for h in registered["hosts"]}
        log.info("agent %s runs %d host(s)", self.agent_id, len(self.hosts))
        return registered

    async def _work_loop(self) -> None:
        while True:
            got = await self._call("work", {"wait": POLL_WAIT})
            for item in got["work"]:
                running = _Running(item["host"], HostProgress(total=0))
                self._running[item["id"]] = running
                running.task = asyncio.get_running_loop().create_task(self._do(item, running))

    async def _report_loop(self) -> None:
        while True:
            await asyncio.sleep(REPORT_EVERY)
            if self._running:
                try:
                    await self.report()
                except Exception:  # a bug must not silence the host: the next round reports again
                    log.exception("could not report progress")

    async def report(self) -> None:
        """What changed since the last report (a host whose bytes did not move is not sent)."""
        running = dict(self._running)
        work: list[dict[str, Any]] = []
        for work_id, r in running.items():
            state = {
                "id": work_id,
                "status": r.status,
                "completed": r.progress.completed,
                "retrying": r.progress.status == "RETRY_PENDING",
                "started": r.started,
                "error": r.error,
            }
            if state != r.reported or r.since_sent >= RESEND_EVERY:
                work.append(state)
                r.reported, r.since_sent = state, 0
            else:
                r.since_sent += 1
        # ended as sent: a host may end while this report is on its way (reported next time)
        ended = {w["id"] for w in work if w["status"] != "RUNNING"}
        ended_hosts = {running[i].host for i in ended}
        answer = await self._call("report", {"work": work, "staged": {h: self._held(h) for h in ended_hosts}})
        canceled = {str(i) for i in answer.get("cancel", [])}
        for work_id in canceled:  # the server stopped waiting (canceled, timed out)
            gone = running.get(work_id)
            if gone is not None and gone.task is not None:
                gone.task.cancel()
        for work_id in ended | canceled:
            self._running.pop(work_id, None)

    async def _do(self, item: dict[str, Any], running: _Running) -> None:
        raw = item["plan"]
        plan = StagePlan(
            raw["host"],
            raw["host_name"],
            [Payload(**p) for p in raw["wanted"]],
            [Payload(**p) for p in raw["missing"]],
            raw["depot_url"],
            [Payload(**p) for p in raw["needed"]],
        )
        faults = raw.get("faults") or {}
        running.progress.total = sum(p.size for p in plan.missing)

        def turn() -> None:
            running.started = True

        running.progress.on_turn = turn
        corrupt = [int(faults.get("corrupt_downloads", 0))]

        def before_try() -> Link:
            flip = corrupt[0] > 0
            corrupt[0] -= int(flip)
            return Link(bandwidth_bytes_per_s=int(faults.get("bandwidth_bytes_per_s", 0)), corrupt=flip)

        assert self.stager is not None
        try:
            if item["kind"] == "stage":
                capacity = int(faults.get("staging_capacity_bytes", 64 * 1024**3))
                await self.stager.stage(plan, running.progress, capacity, before_try)
            elif item["kind"] == "install":
                await asyncio.to_thread(self.stager.install, plan)
                self._installed(plan)
            else:
                raise StageFailure(f"{LIFECYCLE}.HostFailed", f"Unknown work {item['kind']!r}.")
            running.status = "DONE"
        except asyncio.CancelledError:
            self._running.pop(item["id"], None)
            raise
        except StageFailure as failure:
            running.status = "FAILED"
            running.error = {
                "msg_id": failure.msg_id,
                "message": failure.message,
                "resolution": failure.resolution,
                "retriable": failure.retriable,
            }
        except Exception as exc:  # the host's own trouble (a full disk): it says so
            log.warning("host %s failed its %s: %r", plan.host, item["kind"], exc)
            running.status = "FAILED"
            running.error = {
                "msg_id": f"{LIFECYCLE}.HostFailed",
                "message": f"Host {plan.host_name} failed to {item['kind']}: {exc}.",
                "resolution": None,
                "retriable": False,
            }

    def _installed(self, plan: StagePlan) -> None:
        """The host's record of what it installed, on its own disk."""
        folder = self.config.data_dir / "hosts" / plan.host
        folder.mkdir(parents=True, exist_ok=True)
        image = {"payloads": sorted({p.sha256 for p in plan.wanted})}
        tmp = folder / "installed.json.part"
        tmp.write_text(json.dumps(image))
        os.replace(tmp, folder / "installed.json")


def read_token(path: Path) -> str:
    token = path.read_text().strip()
    if not token:
        raise SystemExit(f"vlcmsim hosts: {path} holds no token")
    return token
