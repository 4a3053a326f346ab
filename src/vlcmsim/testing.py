"""vlcmsim servers for tests and benchmarks (needs httpx, a test dependency):

- `in_process(data_dir)`: the application in this process, spoken to through
  httpx's ASGI transport without a socket (like vcsim's `simulator.Test`):

      async with in_process(tmp_path) as server:
          async with server.client() as client:
              r = await client.get("/api/vcenter/cluster")

- `start_server(data_dir)`: `vlcmsim serve` in a subprocess on a free port,
  for what only a real process proves (TLS, restarts, kill -9, the SDK).
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from vlcmsim.app import App
    from vlcmsim.backend import Backend

ADMIN = ("administrator@vsphere.local", "VMware1!")
READONLY = ("readonly@vsphere.local", "VMware1!")


class InProcessServer:
    def __init__(self, app: App) -> None:
        self.app = app

    @property
    def backend(self) -> Backend:
        return self.app.backend

    async def client(self, auth: tuple[str, str] | None = ADMIN) -> httpx.AsyncClient:
        """An HTTP client on the application, logged in as `auth` (or anonymous)."""
        from vlcmsim.server.asgi import AsgiApp

        transport = httpx.ASGITransport(app=AsgiApp(self.app))
        client = httpx.AsyncClient(transport=transport, base_url="http://vlcmsim.test")
        if auth is not None:
            r = await client.post("/api/session", auth=auth)
            assert r.status_code == 201, r.text
            client.headers["vmware-api-session-id"] = r.json()
        return client


@asynccontextmanager
async def in_process(data_dir: Path, **settings: Any) -> AsyncIterator[InProcessServer]:
    """The application started in this process on `data_dir`: plain http, small
    embedded payloads, the depot listener on a free loopback port; `settings`
    override any `Settings` field."""
    from vlcmsim.app import App
    from vlcmsim.config import Settings

    values: dict[str, Any] = {"tls": False, "default_payload_bytes": 4096, "log_level": "error", "sim_time_scale": 0.0}
    values.update(settings)
    app = App(Settings(data_dir=data_dir, **values))
    app.start()
    await app.startup()
    try:
        yield InProcessServer(app)
    finally:
        await app.shutdown()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    args: list[str]
    log_path: Path

    @property
    def cert(self) -> Path:
        return self.data_dir / "server.crt"

    @property
    def address(self) -> str:
        return self.url.split("://", 1)[1]

    def client(self, auth: tuple[str, str] | None = ADMIN) -> httpx.Client:
        """An HTTP client, logged in as `auth` (or anonymous)."""
        verify = ssl.create_default_context(cafile=str(self.cert)) if self.url.startswith("https") else False
        client = httpx.Client(base_url=self.url, verify=verify, trust_env=False, timeout=30)
        if auth is not None:
            r = httpx.post(f"{self.url}/api/session", auth=auth, verify=verify, trust_env=False)
            assert r.status_code == 201, r.text
            client.headers["vmware-api-session-id"] = r.json()
        return client

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout=20)


def start_server(data_dir: Path, *extra: str, tls: bool = True, time_scale: float = 0.0) -> Server:
    """`time_scale` 0: remediation's maintenance mode and reboots take no time."""
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "vlcmsim.cli",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        "--time-scale",
        str(time_scale),
        *extra,
    ]
    if not tls:
        args.append("--no-tls")
    log_path = data_dir.parent / f"server-{port}.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "wb")
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    atexit.register(_reap, process)  # a crashed test run must not leave servers behind
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    _wait_listening(process, port, log_path)
    return Server(url, data_dir, process, args, log_path)


def _wait_listening(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + 60  # (a first start of 10,000 hosts on PostgreSQL took 17-20 s here)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log_path.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"server did not start: {log_path.read_text()}")


def _reap(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()


def store_task(data_dir: Path, **fields: Any) -> str:
    """Write one task record straight into the store of a stopped server's data
    dir (a task that finished, or one a killed server left RUNNING); returns its id.
    `fields` are TaskRecord fields over a stage task of Cluster-A's defaults."""
    import asyncio

    from vlcmsim.app import App
    from vlcmsim.config import Settings
    from vlcmsim.tasks.manager import TaskRecord
    from vlcmsim.vapi.codec import now
    from vlcmsim.vapi.errors import Message

    service = fields.pop("service", "com.vmware.esx.settings.clusters.software")
    operation = fields.pop("operation", "stage")
    values: dict[str, Any] = {
        "id": f"{uuid.uuid4()}:{service}",
        "service": service,
        "operation": operation,
        "description": Message(f"{service}.{operation}", operation.capitalize()),
        "target": ("ClusterComputeResource", "domain-c1"),
        "user": "VSPHERE.LOCAL\\Administrator",
        "cancelable": False,
        "result_td": None,
        "start_time": now(),
    }
    values.update(fields)
    app = App(Settings(data_dir=data_dir))
    record = TaskRecord(**values)
    app.start().backend.tasks.save(record)
    asyncio.run(app.shutdown())
    return record.id


@dataclass
class Agent:
    """A `vlcmsim hosts run` process."""

    data_dir: Path
    process: subprocess.Popen[bytes]
    args: list[str]
    log_path: Path

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=20)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


def start_agent(servers: list[Server], data_dir: Path, *selection: str) -> Agent:
    """Host agents of `servers` (tried in turn), keeping their hosts under `data_dir`;
    `selection`: ("--cluster", "domain-c1") or ("--hosts", "host-1,host-2").
    Returns once the agent has registered its hosts."""
    args = [
        sys.executable,
        "-m",
        "vlcmsim.cli",
        "hosts",
        "run",
        "--server",
        ",".join(s.url for s in servers),
        "--token-file",
        str(servers[0].data_dir / "agent-token"),
        "--data-dir",
        str(data_dir),
        *(a for s in servers if s.url.startswith("https") for a in ("--ca-file", str(s.cert))),
        *selection,
    ]
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir.parent / f"{data_dir.name}.log"
    log = open(log_path, "ab")
    seen = log_path.stat().st_size
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    atexit.register(_reap, process)
    deadline = time.monotonic() + 30
    while b" runs " not in log_path.read_bytes()[seen:]:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the agent did not register: {log_path.read_text()}")
        time.sleep(0.05)
    return Agent(data_dir, process, args, log_path)


def restart(server: Server) -> Server:
    """The same server (same port, data dir and flags) started again after it stopped."""
    log = open(server.log_path, "ab")
    process = subprocess.Popen(
        server.args, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    atexit.register(_reap, process)
    _wait_listening(process, int(server.url.rsplit(":", 1)[1]), server.log_path)
    return Server(server.url, server.data_dir, process, server.args, server.log_path)
