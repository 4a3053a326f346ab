"""The `vlcmsim` command."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from vlcmsim.config import Settings, default_data_dir, default_inventory, load_config_file

if TYPE_CHECKING:
    from vlcmsim.app import App


def build_settings(args: argparse.Namespace) -> Settings:
    settings = Settings()
    if args.config:
        load_config_file(Path(args.config), settings)
    if args.host is not None:
        settings.host = args.host
    if args.port is not None:
        settings.port = args.port
    if args.depot_port is not None:
        settings.depot_port = args.depot_port
    if args.data_dir is not None:
        settings.data_dir = Path(args.data_dir).expanduser()
    if args.no_tls:
        settings.tls = False
    if args.database_url:
        settings.database_url = args.database_url
    if args.server:
        settings.server = args.server
    if args.time_scale is not None:
        settings.sim_time_scale = args.time_scale
    if args.import_dir:
        settings.import_dirs += [Path(d).expanduser() for d in args.import_dir]
    if args.clusters is not None or args.hosts_per_cluster is not None:
        settings.inventory = default_inventory(args.clusters, args.hosts_per_cluster)
    return settings


def serve(settings: Settings) -> None:
    started = time.monotonic()
    from vlcmsim.app import App
    from vlcmsim.store.db import StoreRefused

    app = App(settings)
    try:
        started_app = app.start()
    except StoreRefused as exc:
        sys.exit(f"vlcmsim: {exc}")
    cert, key = (app.cert, app.key) if settings.tls else (None, None)
    print(f"vlcmsim serving {settings.url}  (started in {time.monotonic() - started:.2f}s)")
    for u in settings.users:
        print(f"  user {u.name}  password {u.password}  ({u.role})")
    if cert:
        print(f"  certificate {cert}")
    print(f"  data dir {settings.data_dir}")
    if started_app.recovered_tasks:
        print(f"  {started_app.recovered_tasks} task(s) that were running at the last stop are now FAILED")
    sys.stdout.flush()
    if settings.server == "granian":
        _serve_granian(app, settings, cert, key)
    else:
        import uvicorn

        from vlcmsim.server.asgi import AsgiApp

        uvicorn.run(
            AsgiApp(app),
            host=settings.host,
            port=settings.port,
            ssl_certfile=str(cert) if cert else None,
            ssl_keyfile=str(key) if key else None,
            loop="uvloop",
            http="httptools",
            lifespan="on",
            log_level=settings.log_level,
            access_log=False,
            server_header=False,
            # idle keep-alive TLS connections (the SDK keeps one) would hold a
            # graceful stop open for ever
            timeout_graceful_shutdown=2,
        )


def _serve_granian(app: App, settings: Settings, cert: Path | None, key: Path | None) -> None:
    import asyncio
    import logging
    import signal

    from granian.constants import Interfaces, SSLProtocols
    from granian.http import HTTP1Settings
    from granian.log import LogLevels
    from granian.server.embed import Server

    from vlcmsim.server.rsgi import RsgiApp

    server = Server(
        RsgiApp(app),
        address=settings.host,
        port=settings.port,
        interface=Interfaces.RSGI,
        websockets=False,
        backlog=1024,
        log_level=LogLevels(settings.log_level),
        ssl_cert=cert,
        ssl_key=key,
        ssl_protocol_min=SSLProtocols.tls12,
        http1_settings=HTTP1Settings(header_read_timeout=int(settings.header_read_timeout_seconds * 1000)),
    )
    # granian warns that its embedded mode is experimental at every start
    logging.getLogger("_granian").setLevel(logging.ERROR)

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, server.stop)
        # RSGI has no lifespan protocol: the application starts and stops around the server
        await app.startup()
        try:
            await server.serve()
        finally:
            await app.shutdown()

    asyncio.run(run())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="vlcmsim", description="A vSphere Lifecycle Manager endpoint.")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="run the server")
    s.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, help="port (default 8443)")
    s.add_argument("--depot-port", type=int, help="plain-HTTP port hosts download payloads from (0 = any, -1 = none)")
    s.add_argument("--data-dir", help=f"state folder (default {default_data_dir()})")
    s.add_argument("--no-tls", action="store_true", help="serve plain http")
    s.add_argument("--config", help="TOML configuration file (docs/configuration.md)")
    s.add_argument("--database-url", help="SQLAlchemy URL, e.g. postgresql+psycopg://... (default SQLite)")
    s.add_argument("--server", choices=("granian", "uvicorn"), help="HTTP server (default granian)")
    s.add_argument(
        "--time-scale",
        type=float,
        help="how long simulated hosts take for maintenance mode and reboots: 1 = real time, 0 = at once (default 0.1)",
    )
    s.add_argument(
        "--import-dir", action="append", help="a folder file:// imports may read (repeatable; <data dir>/import always)"
    )
    s.add_argument("--clusters", type=int, help="number of image-managed clusters in the default inventory")
    s.add_argument("--hosts-per-cluster", type=int, help="hosts per cluster in the default inventory")
    from vlcmsim.depot import cli as depot_cli

    depot_cli.add_parsers(sub)
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(build_settings(args))
    elif args.command == "depot":
        sys.exit(depot_cli.run(args))


if __name__ == "__main__":
    main()
