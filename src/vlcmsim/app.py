"""Assembles the application: store, domain services, operation table, wire
adapters, background work; and serves it as an ASGI callable."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from vlcmsim.auth import Sessions
from vlcmsim.config import Settings
from vlcmsim.depot.listener import PayloadListener
from vlcmsim.depot.payloads import PayloadStore
from vlcmsim.depot.repository import Depots
from vlcmsim.hosts.simulated import SimulatedHosts
from vlcmsim.hosts.staging import StagingAreas
from vlcmsim.inventory.store import Inventory
from vlcmsim.lifecycle.desired import DesiredStates
from vlcmsim.lifecycle.seed import seed_defaults
from vlcmsim.repository_http import RepositoryServer
from vlcmsim.services import cis, vcenter
from vlcmsim.services.esx_settings import depot_content, depots, drafts, software, stage
from vlcmsim.sim_http import SimAdapter
from vlcmsim.store.db import Store
from vlcmsim.tasks.manager import TaskManager
from vlcmsim.vapi.errors import Message, VapiError, internal_error
from vlcmsim.vapi.http import Request, Response, error_response
from vlcmsim.vapi.jsonrpc import JsonRpcAdapter
from vlcmsim.vapi.legacy import LegacyAdapter
from vlcmsim.vapi.operations import OperationTable
from vlcmsim.vapi.rest import RestAdapter, no_such_resource

log = logging.getLogger(__name__)

OPERATION_SETS = [cis.ops, vcenter.ops, software.ops, drafts.ops, depots.ops, depot_content.ops, stage.ops]


class App:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store.open(settings.database_url, settings.data_dir)
        self.inventory = Inventory(self.store)
        self.inventory.seed(settings.inventory)
        self.sessions = Sessions(self.store, settings)
        self.payloads = PayloadStore(settings.data_dir / "payloads")
        self.depots = Depots(self.store, self.payloads)
        self.desired = DesiredStates(self.store)
        self.staging = StagingAreas(settings.data_dir / "hosts", self.depots, self.desired)
        self.staging.discard_partial()
        seed_defaults(self, settings.default_payload_bytes)
        self.cert: Path | None = None
        self.key: Path | None = None
        if settings.tls:
            from vlcmsim.tls import ensure_certificate

            self.cert, self.key = ensure_certificate(settings.data_dir)
        self.hosts = SimulatedHosts(settings, self.inventory, self.staging, self.cert)
        self.tasks = TaskManager(self.store, settings.task_retention_seconds)
        self.recovered_tasks = self.tasks.recover()
        self.operations = OperationTable(OPERATION_SETS)
        self.rest = RestAdapter(self)
        self.jsonrpc = JsonRpcAdapter(self)
        self.legacy = LegacyAdapter(self)
        self.repository = RepositoryServer(self)
        self.sim = SimAdapter(self)
        self._housekeeping: asyncio.Task[None] | None = None
        self.payload_listener: PayloadListener | None = None

    @property
    def depot_url(self) -> str:
        """Where hosts download payloads: the plain-HTTP depot listener once it
        runs (as hosts use vCenter's port 9084), else the main port; on a
        loopback address when the server listens on every address."""
        host = self.settings.host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        host = f"[{host}]" if ":" in host else host
        if self.payload_listener is not None:
            return f"http://{host}:{self.payload_listener.port}/vum/repository/payloads/"
        return f"{self.settings.scheme}://{host}:{self.settings.port}/vum/repository/payloads/"

    # -- lifecycle -------------------------------------------------------------

    async def startup(self) -> None:
        self._housekeeping = asyncio.get_running_loop().create_task(self._housekeep())
        if self.settings.depot_port >= 0:
            listener = PayloadListener(self.payloads, self.settings.host, self.settings.depot_port)
            await listener.start()
            self.payload_listener = listener
            print(f"  depot for hosts {self.depot_url}", flush=True)

    async def shutdown(self) -> None:
        if self._housekeeping:
            self._housekeeping.cancel()
        await self.tasks.shutdown()
        if self.payload_listener is not None:
            await self.payload_listener.stop()
        self.store.dispose()

    async def _housekeep(self) -> None:
        while True:
            await asyncio.sleep(300)
            try:
                self.sessions.purge_expired()
                self.tasks.purge()
            except Exception:  # keep serving; the next round retries
                log.exception("housekeeping failed")

    # -- dispatch ----------------------------------------------------------------

    async def dispatch(self, req: Request) -> Response:
        path = req.path
        try:
            if path == "/api" or path == "/api/":
                if req.method == "POST":
                    return await self.jsonrpc.handle(req)
                raise no_such_resource(path)
            if path.startswith("/api/"):
                return await self.rest.handle(req)
            if path.startswith("/rest/"):
                return await self.legacy.handle(req)
            if path.startswith("/vum/repository/"):
                return await self.repository.handle(req)
            if path.startswith("/sim/"):
                return await self.sim.handle(req)
            raise no_such_resource(path)
        except VapiError as err:
            return error_response(err)
        except Exception:  # never a stack trace on the wire
            log.exception("internal error on %s %s", req.method, path)
            return error_response(internal_error("Internal server error; see the server log."))

    # -- ASGI ----------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.startup()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _too_large(self) -> Response:
        limit = self.settings.max_body_bytes
        response = error_response(
            VapiError(
                "invalid_request",
                [
                    Message(
                        "com.vmware.vlcmsim.RequestTooLarge",
                        f"The request body is larger than {limit} bytes.",
                        (str(limit),),
                    )
                ],
            )
        )
        response.status = 413
        return response

    async def _http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        limit = self.settings.max_body_bytes
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size <= limit and chunk:
                chunks.append(chunk)
            more = message.get("more_body", False)
        if size > limit:
            response = self._too_large()
        else:
            response = await self.dispatch(Request.from_scope(scope, b"".join(chunks)))
        await send({"type": "http.response.start", "status": response.status, "headers": response.headers})
        if response.file is None:
            await send({"type": "http.response.body", "body": response.body})
            return
        with open(response.file, "rb") as f:
            while chunk := f.read(1 << 20):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    # -- RSGI (granian's native interface: one call per response) ------------------------

    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        if scope.proto != "http":
            return
        limit = self.settings.max_body_bytes
        body = b""
        if scope.method not in ("GET", "HEAD") or scope.headers.get("content-length", "0") != "0":
            chunks: list[bytes] = []
            size = 0
            async for chunk in protocol:
                size += len(chunk)
                if size <= limit:
                    chunks.append(chunk)
            body = b"".join(chunks) if size <= limit else b""
            if size > limit:
                return self._rsgi_send(protocol, self._too_large())
        self._rsgi_send(protocol, await self.dispatch(Request.from_rsgi(scope, body)))

    @staticmethod
    def _rsgi_send(protocol: Any, response: Response) -> None:
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers]
        if response.file is not None:
            protocol.response_file(response.status, headers, str(response.file))
        else:
            protocol.response_bytes(response.status, headers, response.body)
