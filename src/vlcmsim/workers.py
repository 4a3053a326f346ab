"""Several API workers (granian's processes) over one shared store: the parent
opens the store once (migration, first-start seeding, certificate), then each
worker builds its own application from the same settings and serves the same
port. Workers share nothing but the store: sessions, tasks, locks and state are
all there (`vlcmsim.tasks.manager` says how tasks stay single-run)."""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import os
import pickle
import shutil
from typing import TYPE_CHECKING, Any

from vlcmsim.config import Settings

if TYPE_CHECKING:
    from granian._granian import RSGIHTTPProtocol as HTTPProtocol
    from granian.rsgi import Scope

    from vlcmsim.server.rsgi import RsgiApp

SETTINGS_ENV = "VLCMSIM_WORKER_SETTINGS"
METRICS_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client reads it when it is imported


def refusal(settings: Settings) -> str | None:
    """Why these settings cannot run several workers, if they cannot."""
    if settings.workers > 1 and not settings.shared_store:
        return (
            f"--workers {settings.workers} needs a store the workers share: give --database-url "
            "postgresql+psycopg://... (SQLite is the embedded store of one process)"
        )
    if settings.workers > 1 and settings.server != "granian":
        return "--workers runs granian's workers: leave --server at granian"
    if settings.workers > 1 and importlib.util.find_spec("prometheus_client") is None:
        return (
            f"--workers {settings.workers} counts /metrics over all workers with prometheus-client: "
            "pip install 'vlcmsim[postgres]'"
        )
    return None


def share_metrics(settings: Settings) -> None:
    """Before anything imports prometheus_client: its multi-process mode, in a folder of the data dir
    emptied of the counts of an earlier run (the workers inherit the environment)."""
    folder = settings.data_dir / "metrics"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ[METRICS_ENV] = str(folder)


def export_settings(settings: Settings) -> None:
    """For the workers this process spawns: they read their settings from the environment."""
    os.environ[SETTINGS_ENV] = base64.b64encode(pickle.dumps(settings)).decode()


class WorkerApp:
    """One worker's application, started and stopped by granian around its serving."""

    def __init__(self, settings: Settings) -> None:
        from vlcmsim.app import App
        from vlcmsim.server.rsgi import RsgiApp

        self.app = App(settings)
        self.rsgi: RsgiApp = RsgiApp(self.app)

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.run_until_complete(self.app.startup())

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.run_until_complete(self.app.shutdown())

    async def __rsgi__(self, scope: Scope, protocol: HTTPProtocol) -> None:
        await self.rsgi.__rsgi__(scope, protocol)


def worker_app() -> Any:
    """granian's factory, called in each worker process."""
    settings: Settings = pickle.loads(base64.b64decode(os.environ[SETTINGS_ENV]))
    settings.depot_port = 0  # each worker its own payload listener, on a port of its own
    from vlcmsim.server.observe import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    return WorkerApp(settings)
