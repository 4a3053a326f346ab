"""The composition root: builds the store, the domain services (the
`Backend`), the operation table and the wire adapters, and routes each request
to the adapter of its path. `App(settings)` only remembers the settings;
`start()` does the I/O of a start (store, first-start seeding, certificate,
recovery); `startup()` and `shutdown()` run around the serving."""

from __future__ import annotations

import asyncio
import gc
import hmac
import logging
import time
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from vlcmsim.backend import Backend
from vlcmsim.config import Settings
from vlcmsim.depot.fetch import Fetcher
from vlcmsim.depot.listener import ListenerProcess
from vlcmsim.depot.payloads import PayloadStore
from vlcmsim.depot.repository import Depots
from vlcmsim.depot.schedule import SimClock, SyncSchedule
from vlcmsim.depot.serve import RepositoryServer
from vlcmsim.depot.sync import Syncer
from vlcmsim.estate.model import load as load_estate
from vlcmsim.estate.seed import inventory_of, seed_estate
from vlcmsim.hosts.agent_api import PREFIX as AGENT_PREFIX
from vlcmsim.hosts.agent_api import AgentApi
from vlcmsim.hosts.remote import AgentStaging, RemoteHosts, agent_token
from vlcmsim.hosts.simulated import SimulatedHosts
from vlcmsim.hosts.staging import StagingAreas
from vlcmsim.ids import VLCMSIM
from vlcmsim.inventory.events import EventLog
from vlcmsim.inventory.store import Inventory
from vlcmsim.inventory.vms import VirtualMachines
from vlcmsim.lifecycle.configurations import Configurations, SimulatedConfiguration
from vlcmsim.lifecycle.depot_overrides import DepotOverrides
from vlcmsim.lifecycle.desired import DesiredStates
from vlcmsim.lifecycle.documents import export_token, exported_document
from vlcmsim.lifecycle.policies import ApplyPolicies
from vlcmsim.lifecycle.reports import Reports
from vlcmsim.lifecycle.repository import Repository
from vlcmsim.lifecycle.runs import interrupted_result
from vlcmsim.lifecycle.scan import Scanner
from vlcmsim.lifecycle.seed import seed_defaults
from vlcmsim.lifecycle.vm_solutions import VmSolutions
from vlcmsim.server.dashboard import Dashboard
from vlcmsim.server.observe import Metrics, Samples, Tracer, log_request, request_log, wire_of
from vlcmsim.server.upload import UploadSink
from vlcmsim.services import cis, hcl, vcenter
from vlcmsim.services.esx_settings import (
    alternative_images,
    configuration,
    depot_content,
    depot_overrides,
    depots,
    drafts,
    enablement,
    hardware,
    installed,
    inventory,
    online_depots,
    policies,
    recommendations,
    remediation,
    reports,
    repository,
    software,
    solutions,
    transition,
    vm_solutions,
    vm_transition,
)
from vlcmsim.services.esx_settings.depots import MAX_BUNDLE_BYTES
from vlcmsim.services.esx_settings.online_depots import start_scheduled_sync
from vlcmsim.sessions import Sessions
from vlcmsim.sim.api import SimApi
from vlcmsim.sim.knobs import DepotKnobs, HostKnobs, SimKnobs
from vlcmsim.soap.endpoint import SoapEndpoint
from vlcmsim.soap.events import host_events, task_events
from vlcmsim.soap.host_tasks import HostTasks
from vlcmsim.soap.world import World
from vlcmsim.store import schema
from vlcmsim.store.db import Store, request_scope
from vlcmsim.store.start_lock import one_start_at_a_time
from vlcmsim.tasks.manager import TaskManager
from vlcmsim.vapi.errors import (
    Message,
    VapiError,
    internal_error,
    no_matching_method,
    no_such_resource,
    unauthenticated,
    unauthorized,
)
from vlcmsim.vapi.http import Request, Response, error_response
from vlcmsim.vapi.jsonrpc import JsonRpcAdapter
from vlcmsim.vapi.legacy import LegacyAdapter
from vlcmsim.vapi.openapi import describe
from vlcmsim.vapi.operations import OperationTable, current_operation
from vlcmsim.vapi.read_cache import Answer, ReadCache
from vlcmsim.vapi.rest import RestAdapter

log = logging.getLogger(__name__)

OPENAPI = "/api/openapi.json"  # the REST API description: implemented operations only
UPLOADS = "/vum/repository/uploads"  # POST an offline bundle here, then create a PUSH depot of its file_id

OPERATION_SETS = [
    cis.ops,
    vcenter.ops,
    software.ops,
    drafts.ops,
    depots.ops,
    depot_content.ops,
    remediation.ops,
    reports.ops,
    policies.ops,
    hardware.ops,
    solutions.ops,
    enablement.ops,
    inventory.ops,
    online_depots.ops,
    configuration.ops,
    installed.ops,
    hcl.ops,
    recommendations.ops,
    alternative_images.ops,
    repository.ops,
    depot_overrides.ops,
    vm_solutions.ops,
    vm_transition.ops,
    transition.ops,
]


@dataclass
class Started:
    """What `App.start` built."""

    store: Store
    backend: Backend
    rest: RestAdapter
    jsonrpc: JsonRpcAdapter
    legacy: LegacyAdapter
    repository: RepositoryServer
    sim: SimApi
    agents: AgentApi | None  # the host agents' API, when the hosts are agents
    soap: SoapEndpoint
    recovered_tasks: int


def build_backend(settings: Settings, store: Store, cert: Path | None) -> Backend:
    """The domain services over an open store (no seeding, no recovery)."""
    # sharing the store with other workers, every read checks the version of what it caches (one
    # small query): a change made through one worker is seen by the next request to any other
    ttl = 0.0 if settings.shared_store else 1.0
    inventory = Inventory(store, ttl)
    knobs = SimKnobs(store, ttl)
    payloads = PayloadStore(settings.payloads)
    external = settings.hosts_mode == "external"
    staging = (
        AgentStaging(store, settings.data_dir / "hosts") if external else StagingAreas(settings.data_dir / "hosts")
    )
    depots = Depots(store, payloads, ttl)
    desired = DesiredStates(store, ttl)
    reports = Reports(store)
    fetcher = Fetcher(settings.allowed_import_dirs, settings.fetch_timeout_seconds, cert)
    depot_knobs = DepotKnobs(store)
    tasks = TaskManager(store, settings.task_retention_seconds, settings.shared_store, settings.worker_dead_seconds)
    tasks.keep_ended = max(1, settings.task_keep_count)
    hosts: SimulatedHosts
    if isinstance(staging, AgentStaging):
        hosts = RemoteHosts(settings, inventory, knobs, staging)
        hosts.worker_id = tasks.worker_id
    else:
        hosts = SimulatedHosts(settings, inventory, knobs, staging, cert)
    return Backend(
        settings=settings,
        sessions=Sessions(store, settings, shared=settings.shared_store),
        inventory=inventory,
        knobs=knobs,
        payloads=payloads,
        depots=depots,
        desired=desired,
        staging=staging,
        hosts=hosts,
        tasks=tasks,
        fetcher=fetcher,
        syncer=Syncer(depots, payloads, settings.allowed_import_dirs, fetcher.verify, depot_knobs.get),
        depot_knobs=depot_knobs,
        sync_schedule=SyncSchedule(store, SimClock()),
        secret=store.secret(),
        reports=reports,
        scanner=Scanner(inventory, desired, depots, staging, reports),
        policies=ApplyPolicies(store),
        configurations=Configurations(store),
        repository=Repository(store),
        depot_overrides=DepotOverrides(store, ttl),
        vm_solutions=VmSolutions(store),
    )


class App:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.max_body_bytes = settings.max_body_bytes
        self.body_read_timeout = settings.body_read_timeout_seconds
        self.upload_timeout = settings.fetch_timeout_seconds
        self.cert: Path | None = None
        self.key: Path | None = None
        self._started: Started | None = None
        self._housekeeping: asyncio.Task[None] | None = None
        self._scheduler: asyncio.Task[None] | None = None
        self._keep_alive: asyncio.Task[None] | None = None
        self._watcher: asyncio.Task[None] | None = None
        self.payload_listener: ListenerProcess | None = None
        self.metrics: Metrics | None = None
        self.tracer = Tracer() if settings.trace else None
        self.read_cache: ReadCache | None = None  # repeated reads answered again (vapi/read_cache.py)
        self._api_description: Response | None = None  # made at its first request, not at start-up
        self.dashboard = Dashboard()

    async def api_description(self) -> Response:
        """/api/openapi.json, described once (beside the loop: it reads the SDK's bindings when installed)."""
        if self._api_description is None:
            table = self._table
            described = await asyncio.to_thread(describe, [*table, *table.aliases], _version())
            self._api_description = Response(200, orjson.dumps(described))
        return self._api_description

    @property
    def started(self) -> Started:
        if self._started is None:
            raise RuntimeError("App.start() has not run")
        return self._started

    @property
    def backend(self) -> Backend:
        return self.started.backend

    def start(self) -> Started:
        """Open the store, seed a new data dir, make the certificate, recover tasks — one
        starting server at a time on a data dir or a database (see `one_start_at_a_time`)."""
        with one_start_at_a_time(self.settings.data_dir, self.settings.database_url):
            return self._start()

    def _start(self) -> Started:
        settings = self.settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        (settings.data_dir / "hosts").mkdir(exist_ok=True)
        (settings.data_dir / "import").mkdir(exist_ok=True)
        if settings.tls:
            from vlcmsim.server.tls import ensure_certificate

            self.cert, self.key = ensure_certificate(settings.data_dir)
        estate = load_estate(settings.estate) if settings.estate else None
        if estate is not None:
            settings.inventory = inventory_of(estate)
        store = Store.open(settings.database_url, settings.data_dir)
        backend = build_backend(settings, store, self.cert)
        created = backend.inventory.seed(settings.inventory)
        backend.knobs.seed({h: HostKnobs(c.bandwidth_bytes_per_s, c.staging_capacity_bytes) for h, c in created})
        backend.staging.discard_partial()
        for partial in (settings.data_dir / "uploads").glob("*.part"):  # uploads a stop cut short
            partial.unlink(missing_ok=True)
        if isinstance(backend.hosts, SimulatedHosts):
            backend.hosts.finish_interrupted_reboots()
        if estate is not None:
            seed_estate(
                store,
                estate,
                payloads=backend.payloads,
                depots=backend.depots,
                desired=backend.desired,
                inventory=backend.inventory,
                policies=backend.policies,
                knobs=backend.knobs,
                payload_bytes=settings.default_payload_bytes,
            )
        else:
            seed_defaults(
                store,
                backend.payloads,
                backend.depots,
                backend.desired,
                backend.inventory,
                settings.default_payload_bytes,
            )
        recovered = backend.tasks.recover(_interrupted)
        agents = None
        if isinstance(backend.hosts, RemoteHosts):
            token = agent_token(store)
            self.agent_token_file.write_text(token + "\n")
            self.agent_token_file.chmod(0o600)
            agents = AgentApi(store, backend.inventory, settings, token)
            if not settings.shared_store:  # alone on the store: nobody waits for work queued before
                backend.hosts.drop_orphaned_work()
        known = {p.sha256 for vib in backend.depots.catalog().vibs.values() for p in vib.payloads}
        orphans = backend.payloads.remove_orphans(known)
        if orphans:
            log.warning("removed %d payload file(s) that no depot names", orphans)
        backend.depot_url = self._depot_url()
        self.metrics = metrics = Metrics(backend.tasks.worker_id, shared=settings.workers > 1)
        backend.on_staged = metrics.staged
        metrics.gauge("vlcmsim_tasks", "Tasks in the store, by service, operation and status.", task_counts(store))
        metrics.gauge("vlcmsim_hosts", "Hosts by connection state.", host_states(backend))
        metrics.gauge(
            "vlcmsim_hosts_by_stage_status",
            "Hosts of image-managed clusters and standalone hosts by stage status (their last scan).",
            stage_statuses(backend),
        )
        table = OperationTable(OPERATION_SETS, store_error)
        self._table = table
        rest = RestAdapter(table, backend.sessions, backend)
        self.read_cache = rest.read_cache = read_cache(store, backend.sessions)
        self._started = Started(
            store=store,
            backend=backend,
            rest=rest,
            jsonrpc=JsonRpcAdapter(table, backend.sessions, backend),
            legacy=LegacyAdapter(rest),
            repository=RepositoryServer(
                backend.payloads,
                lambda owner, name: (
                    repository.exported_spec(backend, name)
                    if owner == repository.REPOSITORY
                    else exported_document(backend.desired, owner, name)
                ),
                lambda cluster, commit, token: hmac.compare_digest(
                    token, export_token(backend.secret, cluster, commit)
                ),
                backend.sessions,
                settings.data_dir / "exports",
            ),
            sim=SimApi(
                backend.sessions,
                backend.inventory,
                backend.knobs,
                backend.staging,
                lambda host: backend.scanner.scan(host.cluster or host.id),
                backend.move_host,
                (backend.depot_knobs, lambda d: (found := backend.depots.get(d)) is not None and found.online),
                backend.sync_schedule.clock,
                SimulatedConfiguration(backend.configurations),
            ),
            agents=agents,
            soap=self._soap(backend, store),
            recovered_tasks=recovered,
        )
        return self._started

    def _soap(self, backend: Backend, store: Store) -> SoapEndpoint:
        """vim25 over the same state: VMs per host (as many as each host's vm_count knob
        says), the event log following every change of a host, and the host's own tasks."""
        vms = VirtualMachines(store, backend.knobs, 0.0 if self.settings.shared_store else 1.0)
        hosts = backend.inventory.hosts()
        vms.reconcile({h.id: backend.knobs.get(h.id).vm_count for h in hosts}, {h.id: h.name for h in hosts})
        if isinstance(backend.hosts, SimulatedHosts):
            backend.hosts.vms = vms
        backend.vms = vms
        log_ = EventLog(store)
        backend.inventory.on_host_changed.append(host_events(log_, backend.knobs))
        backend.tasks.on_transition.append(task_events(log_, backend.inventory))
        world = World(
            inventory=backend.inventory,
            vms=vms,
            knobs=backend.knobs,
            sessions=backend.sessions,
            tasks=backend.tasks,
            events=log_,
            installed=backend.desired.installed,
            catalog=backend.depots.catalog,
            instance_uuid=backend.inventory.instance_uuid(),
        )
        return SoapEndpoint(
            backend.sessions, world, HostTasks(world, self.settings, backend.hosts), secure_cookie=self.settings.tls
        )

    def _depot_url(self) -> str:
        """Where hosts download payloads: the plain-HTTP depot listener once it
        runs (as hosts use vCenter's port 9084), else the main port; on a
        loopback address when the server listens on every address."""
        host = self.settings.advertise_host or self.settings.host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        host = f"[{host}]" if ":" in host else host
        if self.payload_listener is not None and self.payload_listener.listening:
            return f"http://{host}:{self.payload_listener.port}/vum/repository/payloads/"
        return f"{self.settings.scheme}://{host}:{self.settings.port}/vum/repository/payloads/"

    @property
    def agent_token_file(self) -> Path:
        """Where the token host agents present is written (`vlcmsim hosts run --token-file`)."""
        return self.settings.data_dir / "agent-token"

    @property
    def depot_url(self) -> str:
        return self.backend.depot_url

    # -- around the serving ----------------------------------------------------

    def launch_depot_listener(self) -> ListenerProcess | None:
        """The depot listener's process, launched (once; None with no depot port): the CLI
        launches it before the store opens, so that both start at the same time."""
        if self.payload_listener is None and self.settings.depot_port >= 0:
            self.payload_listener = ListenerProcess(
                self.settings.payloads,
                self.settings.host,
                self.settings.depot_port,
                header_timeout=self.settings.header_read_timeout_seconds,
                max_connections=self.settings.depot_max_connections,
            )
            self.payload_listener.launch()
        return self.payload_listener

    async def startup(self) -> None:
        listener = self.launch_depot_listener()
        try:
            started = self.started if self._started else self.start()
        except BaseException:
            if listener is not None:
                await listener.stop()
            raise
        loop = asyncio.get_running_loop()
        self._housekeeping = loop.create_task(self._housekeep())
        backend = started.backend
        external = isinstance(backend.hosts, RemoteHosts)
        if self.settings.shared_store or external:
            self._keep_alive = loop.create_task(backend.tasks.keep_alive(self.settings.worker_heartbeat_seconds))
        if isinstance(backend.hosts, RemoteHosts):
            self._watcher = loop.create_task(backend.hosts.watch())
        self._scheduler = loop.create_task(backend.sync_schedule.run(lambda: start_scheduled_sync(backend)))
        if listener is not None:
            await listener.start()
            started.backend.depot_url = self._depot_url()
            print(f"  depot for hosts {started.backend.depot_url}", flush=True)
        # what the start built (the inventory, the catalog) lives as long as the server: out of the
        # collector's way, and collections rarer, so that no read waits on a sweep of 10,000 hosts
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 50, 100)

    async def shutdown(self) -> None:
        if self._housekeeping:
            self._housekeeping.cancel()
        if self._scheduler:
            self._scheduler.cancel()
        for loop_task in (self._keep_alive, self._watcher):
            if loop_task:
                loop_task.cancel()
        if self._started is None:
            return
        await self._started.backend.tasks.shutdown()
        if isinstance(self._started.backend.hosts, SimulatedHosts):
            await self._started.backend.hosts.stager.close()
        if self.payload_listener is not None:
            await self.payload_listener.stop()
        self._started.store.dispose()

    async def _housekeep(self) -> None:
        backend = self.backend
        while True:
            await asyncio.sleep(300)
            try:
                backend.sessions.purge_expired()
                backend.tasks.purge()
            except Exception:  # keep serving; the next round retries
                log.exception("housekeeping failed")

    # -- uploads ---------------------------------------------------------------------

    def upload_sink(self, method: str, path: str, session_id: str | None) -> UploadSink | None:
        """An offline bundle POSTed to UPLOADS by an administrator streams to disk (ours:
        vCenter's own upload endpoint is not documented); anything else is a plain request."""
        if method != "POST" or path.rstrip("/") != UPLOADS or not session_id:
            return None
        session = self.backend.sessions.lookup(session_id)
        if session is None or not session.user.can_write:
            return None  # answered 401/403 by the dispatch, the body bounded as any other
        return UploadSink(self.settings.data_dir / "uploads", MAX_BUNDLE_BYTES)

    def _uploaded(self, req: Request) -> Response:
        if req.upload is None:
            session = self.backend.sessions.lookup(req.header(b"vmware-api-session-id") or "")
            if session is None:
                raise unauthenticated()
            if not session.user.can_write:
                raise unauthorized(f"User {session.user.name} cannot upload depots.")
            raise no_matching_method(req.method, req.path)
        return Response.json(201, {"file_id": req.upload.name})

    def _require_login(self, req: Request) -> None:
        """A session id or basic auth of any user (`metrics_require_login`)."""
        if self.backend.sessions.lookup(req.header(b"vmware-api-session-id") or "") is not None:
            return
        basic = req.basic_auth()
        if basic is None:
            raise unauthenticated()
        self.backend.sessions.authenticate(basic[0], basic[1], req.client)  # unauthenticated when wrong

    # -- dispatch ----------------------------------------------------------------

    def cached(self, session_id: str, path: str, query: str) -> Answer | None:
        """A GET answered as it was a moment ago, when nothing was committed since (see
        vapi/read_cache.py); counted in /metrics as the full way counts it. None when each
        request must go the full way to be seen (request log, --trace)."""
        cache = self.read_cache
        if cache is None or self.tracer is not None or request_log.isEnabledFor(logging.INFO):
            return None
        started = time.perf_counter()
        answer = cache.lookup(session_id, path, query)
        if answer is not None and self.metrics is not None:
            self.metrics.observe("rest", answer.operation, 200, time.perf_counter() - started)
            self.metrics.read_cache_hit()
        return answer

    async def dispatch(self, req: Request) -> Response:
        started = time.perf_counter()
        current_operation.set("")
        with request_scope():
            resp = await self._dispatch(req)
        seconds = time.perf_counter() - started
        operation = current_operation.get()
        if self.metrics is not None:
            self.metrics.observe(wire_of(req.path), operation, resp.status, seconds)
        log_request(req, resp, operation, seconds)
        if self.tracer is not None:
            self.tracer.trace(req, resp)
        return resp

    async def _dispatch(self, req: Request) -> Response:
        started = self.started
        path = req.path
        try:
            if path == OPENAPI and req.method in ("GET", "HEAD"):
                return await self.api_description()
            if path == "/api" or path == "/api/":
                if req.method == "POST":
                    return await started.jsonrpc.handle(req)
                raise no_such_resource(path)
            if path.startswith("/api/"):
                return await started.rest.handle(req)
            if path.startswith("/rest/"):
                return await started.legacy.handle(req)
            if path.rstrip("/") == UPLOADS:
                return self._uploaded(req)
            if path.startswith("/vum/repository/"):
                return await started.repository.handle(req)
            if started.soap.handles(path):
                return await started.soap.handle(req)
            if self.dashboard.handles(path):
                return self.dashboard.handle(req)
            if path == "/metrics" and self.metrics is not None:
                if self.settings.metrics_require_login:
                    self._require_login(req)
                return self.metrics.response()
            if path.startswith("/sim/"):
                return await started.sim.handle(req)
            if path.startswith(AGENT_PREFIX) and started.agents is not None:
                return await started.agents.handle(req)
            raise no_such_resource(path)
        except VapiError as err:
            return error_response(err)
        except Exception as exc:  # never a stack trace on the wire
            translated = store_error(exc)
            if translated is not None:
                return error_response(translated)
            log.exception("internal error on %s %s", req.method, path)
            return error_response(internal_error("Internal server error; see the server log."))


def read_cache(store: Store, sessions: Sessions) -> ReadCache:
    """Repeated reads answered again while the store's generation stands: alone on SQLite, the
    count of this process's commits; shared on PostgreSQL, what its change feed heard of every
    process's commits (no round trip), or without a feed its snapshot of committed transactions,
    read with the session in one round trip."""
    if store.engine.dialect.name == "postgresql":
        feed = store.change_feed()
        if feed is not None:

            def feed_check(session_id: str) -> Hashable | None:
                return feed.generation() if sessions.quiet(session_id) else None

            return ReadCache(feed.generation, feed_check)

        def snapshot_check(session_id: str) -> str | None:
            session, snapshot = sessions.lookup_in_snapshot(session_id)
            return snapshot if session is not None else None

        return ReadCache(store.snapshot, snapshot_check)
    commits = store.commits

    def count_check(session_id: str) -> int | None:
        return commits.count if sessions.quiet(session_id) else None

    return ReadCache(lambda: commits.count, count_check)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vlcmsim")
    except PackageNotFoundError:
        return "0"


def task_counts(store: Store) -> Callable[[], Samples]:
    def read() -> Samples:
        t = schema.tasks
        with store.engine.connect() as conn:
            rows = conn.execute(
                select(t.c.service, t.c.operation, t.c.status, func.count()).group_by(
                    t.c.service, t.c.operation, t.c.status
                )
            ).all()
        return [({"service": r[0], "operation": r[1], "status": r[2]}, float(r[3])) for r in rows]

    return read


def host_states(backend: Backend) -> Callable[[], Samples]:
    def read() -> Samples:
        counts = Counter(h.connection_state for h in backend.inventory.hosts())
        return [({"connection_state": state}, float(n)) for state, n in sorted(counts.items())]

    return read


def stage_statuses(backend: Backend) -> Callable[[], Samples]:
    """From each image owner's last scan (its compliance report)."""

    def read() -> Samples:
        counts: Counter[str] = Counter()
        owners = [c.id for c in backend.inventory.clusters() if c.image_managed]
        owners += [h.id for h in backend.inventory.standalone_hosts() if h.image_managed]
        for owner in owners:
            report = backend.reports.get(owner, "compliance")
            if report is None:
                continue
            hosts = report.get("hosts") if "hosts" in report else {owner: report}
            for value in (hosts or {}).values():
                counts[str(value.get("stage_status") or "NOT_STAGED")] += 1
        return [({"stage_status": status}, float(n)) for status, n in sorted(counts.items())]

    return read


def _interrupted(service: str, operation: str, result: Any) -> Any:
    """The stored result of a stage or apply that a crash ended: its hosts end too."""
    if service.endswith(".software") and operation in ("stage", "apply") and isinstance(result, dict):
        return interrupted_result(result, "the server stopped")
    return result


def store_error(exc: Exception) -> VapiError | None:
    """A store that cannot take a write (a full disk) or cannot be reached
    answers ServiceUnavailable saying so; reads that need no write go on working."""
    if not isinstance(exc, DBAPIError):
        return None
    text = str(exc.orig) if exc.orig is not None else str(exc)
    if "full" in text.lower() or "no space" in text.lower():
        why = "the store is full: free space where it lives, then try again"
    else:
        why = "the store cannot be reached or refused the change"
    log.warning("store error: %s", text)
    return VapiError(
        "service_unavailable", [Message(f"{VLCMSIM}.StoreUnavailable", f"The change was not made: {why}.")]
    )
