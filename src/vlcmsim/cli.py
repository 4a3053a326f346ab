"""The `vlcmsim` command."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vlcmsim.config import ConfigError, Settings, default_data_dir, default_inventory, load_config_file, problem

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
    if getattr(args, "log_format", None):
        settings.log_format = args.log_format
    if getattr(args, "trace", False):
        settings.trace = True
    if getattr(args, "advertise_host", None):
        settings.advertise_host = args.advertise_host
    if getattr(args, "payload_dir", None):
        settings.payload_dir = Path(args.payload_dir).expanduser()
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
    if getattr(args, "workers", None) is not None:
        settings.workers = args.workers
    if getattr(args, "hosts", None) is not None:
        settings.hosts_mode = args.hosts
    if args.clusters is not None or args.hosts_per_cluster is not None:
        settings.inventory = default_inventory(args.clusters, args.hosts_per_cluster)
    if args.estate:
        settings.estate = Path(args.estate).expanduser()
    if args.payload_size is not None:
        if not 0 < args.payload_size <= 1 << 30:
            raise SystemExit("vlcmsim: --payload-size must be from 1 byte to 1 GiB")
        settings.default_payload_bytes = args.payload_size
    return settings


def port_taken(host: str, port: int) -> str | None:
    """Why the server could not listen on the port, asked before anything starts (the HTTP
    server's own refusal is a panic's backtrace)."""
    import socket

    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None


def serve(settings: Settings) -> None:
    started = time.monotonic()
    from vlcmsim import workers
    from vlcmsim.app import App
    from vlcmsim.estate.model import EstateError
    from vlcmsim.store.db import StoreRefused

    refused = problem(settings) or workers.refusal(settings) or port_taken(settings.host, settings.port)
    if refused:
        sys.exit(f"vlcmsim: {refused}")
    if settings.workers > 1:
        workers.share_metrics(settings)
    from vlcmsim.server.observe import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    app = App(settings)
    if settings.workers <= 1:  # (the workers launch their own)
        app.launch_depot_listener()
    try:
        started_app = app.start()
    except (StoreRefused, EstateError) as exc:
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
    if settings.hosts_mode == "external":
        print(f"  hosts: agents (vlcmsim hosts run --server {settings.url} --token-file {app.agent_token_file})")
    sys.stdout.flush()
    if settings.workers > 1:
        asyncio.run(app.shutdown())  # the parent only prepared the store: the workers serve
        print(f"  {settings.workers} workers", flush=True)
        _serve_workers(settings, cert, key)
    elif settings.server == "granian":
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


def _granian_options(settings: Settings, cert: Path | None, key: Path | None) -> dict[str, Any]:
    """What granian serves with, embedded or with workers."""
    import logging

    from granian.constants import Interfaces, SSLProtocols
    from granian.log import LogLevels

    from vlcmsim.server.limits import http_options

    # granian warns that its embedded mode is experimental at every start
    logging.getLogger("_granian").setLevel(logging.ERROR)
    return {
        "address": settings.host,
        "port": settings.port,
        "interface": Interfaces.RSGI,
        "websockets": False,
        "log_level": LogLevels(settings.log_level),
        "ssl_cert": cert,
        "ssl_key": key,
        "ssl_protocol_min": SSLProtocols.tls12,
        **http_options(settings.header_read_timeout_seconds, settings.workers),
    }


def _serve_workers(settings: Settings, cert: Path | None, key: Path | None) -> None:
    from granian import Granian

    from vlcmsim.workers import export_settings

    export_settings(settings)
    options = _granian_options(settings, cert, key)
    Granian(
        "vlcmsim.workers:worker_app", factory=True, workers=settings.workers, respawn_failed_workers=True, **options
    ).serve()


def _serve_granian(app: App, settings: Settings, cert: Path | None, key: Path | None) -> None:
    import asyncio
    import signal

    from granian.server.embed import Server

    from vlcmsim.server.limits import quiet_embedded_warning
    from vlcmsim.server.rsgi import RsgiApp

    quiet_embedded_warning()
    server = Server(RsgiApp(app), **_granian_options(settings, cert, key))

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, server.stop)
        # RSGI has no lifespan protocol: the application starts and stops around the server
        try:
            await app.startup()
        except OSError as exc:  # the depot port taken, say
            sys.exit(f"vlcmsim: {exc}")
        try:
            await server.serve()
        finally:
            await app.shutdown()

    # uvloop under granian's embedded server: its wake-ups from granian's threads cost less
    # (a trivial app answers about a quarter more requests a second than on asyncio's loop)
    with asyncio.Runner(loop_factory=_event_loop_factory()) as runner:
        runner.run(run())


def _event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # not on this platform: asyncio's own
        return None
    return uvloop.new_event_loop


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vlcmsim")
    except PackageNotFoundError:
        return "(not installed)"


def build_parser() -> argparse.ArgumentParser:
    """Every command and flag of `vlcmsim` (the deployment manifests are checked against it)."""
    parser = argparse.ArgumentParser(prog="vlcmsim", description="A vSphere Lifecycle Manager endpoint.")
    parser.add_argument("--version", action="version", version=f"vlcmsim {_package_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="run the server")
    s.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, help="port (default 8443)")
    s.add_argument("--depot-port", type=int, help="plain-HTTP port hosts download payloads from (0 = any, -1 = none)")
    s.add_argument("--data-dir", help=f"state folder (default {default_data_dir()})")
    s.add_argument(
        "--payload-dir",
        help="payload bytes of the depots (default <data dir>/payloads; workers on several machines share one)",
    )
    s.add_argument(
        "--advertise-host",
        help="the name or address host agents reach this server's depot by (default: the listen address)",
    )
    s.add_argument("--no-tls", action="store_true", help="serve plain http")
    s.add_argument(
        "--log-format",
        choices=("text", "json"),
        help="json: one JSON object per line, with a line per request and per task transition",
    )
    s.add_argument("--trace", action="store_true", help="print every request and response (all three wires)")
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
    s.add_argument(
        "--workers", type=int, help="API worker processes (more than 1 needs --database-url postgresql+psycopg://...)"
    )
    s.add_argument(
        "--hosts",
        choices=("internal", "external"),
        help="internal: this process simulates the hosts (default); external: host agents do (vlcmsim hosts run)",
    )
    s.add_argument("--estate", help="serve this estate file (vlcmsim estate import/export) instead of the default")
    s.add_argument(
        "--payload-size", type=int, help="bytes of each generated payload (the embedded content's, an estate's)"
    )
    s.add_argument("--clusters", type=int, help="number of image-managed clusters in the default inventory")
    s.add_argument("--hosts-per-cluster", type=int, help="hosts per cluster in the default inventory")
    from vlcmsim.depot import cli as depot_cli

    depot_cli.add_parsers(sub)
    from vlcmsim.estate import cli as estate_cli

    estate_cli.add_parsers(sub)
    from vlcmsim.client import commands as client

    h = sub.add_parser(
        "hosts",
        parents=[client.common_parser()],
        help="the hosts (client), or `hosts run`: simulated hosts as an agent",
    )
    h.add_argument("--cluster", dest="cluster", help="only this cluster's hosts (its id or name)")
    hsub = h.add_subparsers(dest="hosts_command")
    run = hsub.add_parser("run", help="run hosts as an agent of a server started with --hosts external")
    run.add_argument(
        "--server",
        required=True,
        help="the server's URL, e.g. https://127.0.0.1:8443 (comma-separated: several workers, tried in turn)",
    )
    run.add_argument("--token-file", required=True, help="the agent token (the server writes <data dir>/agent-token)")
    which = run.add_mutually_exclusive_group()
    which.add_argument("--hosts", help="these hosts (comma-separated ids, e.g. host-1,host-2)")
    which.add_argument("--cluster", help="the hosts of this cluster (e.g. domain-c1); neither: every host")
    run.add_argument(
        "--data-dir", default="vlcmsim-agent", help="staging areas and installed images (default ./vlcmsim-agent)"
    )
    run.add_argument(
        "--ca-file", action="append", help="a server's certificate (repeatable; default: the system's trust store)"
    )
    run.add_argument("--insecure", action="store_true", help="do not verify the server's certificate")
    run.add_argument("--max-downloads", type=int, default=32, help="payload downloads at once (default 32)")
    client.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> None:
    from vlcmsim.depot import cli as depot_cli

    args = build_parser().parse_args(argv)
    if args.command == "serve":
        try:
            settings = build_settings(args)
        except ConfigError as exc:
            sys.exit(f"vlcmsim: {exc}")
        serve(settings)
    elif args.command == "depot":
        sys.exit(depot_cli.run(args))
    elif args.command == "estate":
        from vlcmsim.estate import cli as estate_cli

        sys.exit(estate_cli.run(args))
    elif args.command == "hosts" and getattr(args, "hosts_command", None) == "run":
        run_agent(args)
    else:
        from vlcmsim.client import commands as client

        sys.exit(client.run(args))


def run_agent(args: argparse.Namespace) -> None:
    import logging
    import signal
    import ssl

    from vlcmsim.hosts.agent_process import AgentConfig, HostAgentProcess, read_token

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per poll
    verify: ssl.SSLContext | bool = True
    if args.insecure:
        verify = False
    elif args.ca_file:
        verify = ssl.create_default_context()
        for ca in args.ca_file:
            verify.load_verify_locations(cafile=ca)
    servers = [s.strip().rstrip("/") for s in args.server.split(",") if s.strip()]
    wrong = [s for s in servers if not s.startswith(("https://", "http://"))]
    if wrong or not servers:
        sys.exit(f"vlcmsim: --server takes https:// (or http://) URLs, not {', '.join(wrong) or repr(args.server)}")
    if args.max_downloads < 1:
        sys.exit(f"vlcmsim: --max-downloads must be more than 0, not {args.max_downloads}")
    try:
        token = read_token(Path(args.token_file))
    except OSError as exc:
        sys.exit(f"vlcmsim: token file {args.token_file}: {exc.strerror or exc}")
    config = AgentConfig(
        servers=servers,
        token=token,
        data_dir=Path(args.data_dir).expanduser(),
        hosts=[h.strip() for h in args.hosts.split(",") if h.strip()] if args.hosts else None,
        cluster=args.cluster,
        verify=verify,
        max_downloads=args.max_downloads,
    )

    async def main() -> None:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)

        def show_work() -> None:  # kill -USR1: what each of the agent's coroutines waits on
            for t in asyncio.all_tasks():
                t.print_stack(file=sys.stdout)
            sys.stdout.flush()

        loop.add_signal_handler(signal.SIGUSR1, show_work)
        try:
            await HostAgentProcess(config).run()
        except asyncio.CancelledError:
            pass

    print(f"vlcmsim host agent: server {', '.join(config.servers)}, data dir {config.data_dir}", flush=True)
    asyncio.run(main())


if __name__ == "__main__":
    main()
