"""One settings object, from defaults, a config file (TOML) and flags."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args, get_type_hints

DEFAULT_PASSWORD = "VMware1!"


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "vlcmsim"


@dataclass
class UserConfig:
    name: str
    password: str
    role: str  # "admin" | "readonly"


@dataclass
class HostConfig:
    name: str
    connection_state: str = "CONNECTED"
    power_state: str = "POWERED_ON"
    bandwidth_bytes_per_s: int = 0  # 0 = unlimited
    staging_capacity_bytes: int = 64 * 1024**3
    image_managed: bool = False  # for a standalone host: managed with an image of its own
    vendor: str = "Dell Inc."  # the hardware, as vSphere reports it (alternative images select on it)
    model: str = "PowerEdge R760"
    uuid: str | None = None  # its hardware UUID (an estate's); None: derived from the store's identity
    in_maintenance_mode: bool = False
    id: str | None = None  # its managed object id (an estate's, host-N); None: the next free one


@dataclass
class ClusterConfig:
    name: str
    image_managed: bool = True
    ha_enabled: bool = True
    drs_enabled: bool = True
    hosts: list[HostConfig] = field(default_factory=list)
    id: str | None = None  # its managed object id (an estate's, domain-cN); None: the next free one


@dataclass
class DatacenterConfig:
    name: str
    clusters: list[ClusterConfig] = field(default_factory=list)
    hosts: list[HostConfig] = field(default_factory=list)  # standalone hosts in its host folder
    id: str | None = None  # its managed object id (an estate's, datacenter-N); None: the next free one


def default_inventory(clusters: int | None = None, hosts_per_cluster: int | None = None) -> list[DatacenterConfig]:
    """Cluster-A (4 hosts) and Cluster-B (3 hosts), image-managed, and Legacy
    (2 hosts, baseline-managed); or `clusters` image-managed clusters of
    `hosts_per_cluster` hosts each, plus Legacy. Two standalone hosts: esx-edge1
    managed with an image of its own, esx-edge2 not."""
    if clusters is None and hosts_per_cluster is None:
        sizes = [4, 3]
    else:
        sizes = [hosts_per_cluster or 4] * (2 if clusters is None else clusters)
    result = []
    for i, size in enumerate(sizes):
        letter = _cluster_letters(i)
        result.append(
            ClusterConfig(
                name=f"Cluster-{letter}",
                hosts=[HostConfig(f"esx-{letter.lower()}{n}.vlcmsim.local") for n in range(1, size + 1)],
            )
        )
    result.append(
        ClusterConfig(
            name="Legacy",
            image_managed=False,
            drs_enabled=False,
            hosts=[HostConfig(f"esx-legacy{n}.vlcmsim.local") for n in (1, 2)],
        )
    )
    edge = [
        HostConfig("esx-edge1.vlcmsim.local", image_managed=True),
        HostConfig("esx-edge2.vlcmsim.local"),
    ]
    return [DatacenterConfig("Datacenter", result, edge)]


def _cluster_letters(i: int) -> str:
    letters = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8443
    depot_port: int = 0  # plain-HTTP payload listener for hosts: 0 = any free port, -1 = none (9084 on a vCenter)
    advertise_host: str | None = None  # the name hosts reach this server by (default: the listen address)
    data_dir: Path = field(default_factory=default_data_dir)
    payload_dir: Path | None = None  # the depots' payload bytes (default <data dir>/payloads); shared by workers
    tls: bool = True
    database_url: str | None = None
    server: str = "granian"  # or "uvicorn"
    workers: int = 1  # API worker processes (granian's), more than one only over a shared store (PostgreSQL)
    hosts_mode: str = "internal"  # "external": the hosts are agents (`vlcmsim hosts run`), not this process's
    worker_heartbeat_seconds: float = 1.0  # how often a worker (and a host agent) says it is alive
    # silent this long: a worker's tasks end FAILED, an agent's hosts are NOT_RESPONDING
    worker_dead_seconds: float = 5.0
    session_idle_seconds: int = 30 * 60
    failed_logins_allowed: int = 5  # wrong passwords in a row (per user, per address) before tries must wait
    login_lockout_max_seconds: float = 60.0  # the longest such wait
    task_retention_seconds: int = 24 * 3600
    task_keep_count: int = 10_000  # ended tasks kept at most, besides their retention time
    metrics_require_login: bool = False  # /metrics answers only with a session (or basic auth) when true
    max_body_bytes: int = 1024 * 1024
    header_read_timeout_seconds: float = 10.0  # a request head must arrive within this (both ports)
    body_read_timeout_seconds: float = 30.0  # and its body within this, once the head is in
    depot_max_connections: int = 512  # open connections the depot port serves at once
    max_concurrent_downloads: int = 12  # hosts downloading at once: more queue task polls behind their work
    host_stage_timeout_seconds: float = 30 * 60
    stage_tries: int = 3
    stage_retry_delay_seconds: float = 0.5  # before the second try; doubled for each next one
    default_payload_bytes: int = 256 * 1024  # size of the embedded content's payloads
    added_host_base_image: str | None = None  # what vcenter.host.create's hosts run (None: 8.0 U2)
    # simulated durations of remediation's phases, in seconds, all multiplied by sim_time_scale
    sim_time_scale: float = 0.1  # 1 = as long as a real host takes; 0 = at once (tests)
    maintenance_mode_seconds: float = 5.0  # entering it, plus the next per VM moved
    maintenance_mode_seconds_per_vm: float = 2.0
    reboot_seconds: float = 60.0
    quick_boot_seconds: float = 15.0
    exit_maintenance_mode_seconds: float = 2.0
    import_dirs: list[Path] = field(default_factory=list)  # file:// imports from here, besides <data dir>/import
    fetch_timeout_seconds: float = 3600.0  # the whole of one http(s) depot or software spec download
    log_level: str = "warning"
    log_format: str = "text"  # or "json": one JSON object per line, with a line per request and per task transition
    trace: bool = False  # print every request and response of the three wires
    users: list[UserConfig] = field(
        default_factory=lambda: [
            UserConfig("administrator@vsphere.local", DEFAULT_PASSWORD, "admin"),
            UserConfig("readonly@vsphere.local", DEFAULT_PASSWORD, "readonly"),
        ]
    )
    inventory: list[DatacenterConfig] = field(default_factory=default_inventory)
    estate: Path | None = None  # serve this estate (its inventory and, at first start, its vLCM state)

    @property
    def allowed_import_dirs(self) -> list[Path]:
        return [self.data_dir / "import", *self.import_dirs]

    @property
    def payloads(self) -> Path:
        return self.payload_dir or self.data_dir / "payloads"

    @property
    def shared_store(self) -> bool:
        """Other processes may write the store (PostgreSQL): caches check it on every read."""
        return bool(self.database_url) and not self.database_url.startswith("sqlite")  # type: ignore[union-attr]

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


class ConfigError(ValueError):
    """What is wrong with the settings, in one line."""


def load_config_file(path: Path, settings: Settings) -> Settings:
    """Apply a TOML config file; see docs/configuration.md."""
    try:
        raw = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(f"config file {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path}: {exc}") from None
    server = raw.get("server", {})
    if not isinstance(server, dict):
        raise ConfigError(f"config file {path}: [server] must be a table")
    for key in (
        "host",
        "port",
        "depot_port",
        "advertise_host",
        "tls",
        "database_url",
        "server",
        "workers",
        "hosts_mode",
        "worker_heartbeat_seconds",
        "worker_dead_seconds",
        "session_idle_seconds",
        "failed_logins_allowed",
        "login_lockout_max_seconds",
        "task_retention_seconds",
        "task_keep_count",
        "metrics_require_login",
        "max_body_bytes",
        "header_read_timeout_seconds",
        "body_read_timeout_seconds",
        "depot_max_connections",
        "max_concurrent_downloads",
        "host_stage_timeout_seconds",
        "stage_tries",
        "stage_retry_delay_seconds",
        "default_payload_bytes",
        "sim_time_scale",
        "maintenance_mode_seconds",
        "maintenance_mode_seconds_per_vm",
        "reboot_seconds",
        "quick_boot_seconds",
        "exit_maintenance_mode_seconds",
        "fetch_timeout_seconds",
        "added_host_base_image",
        "log_level",
        "log_format",
        "trace",
    ):
        if key in server:
            setattr(settings, key, _typed(key, server[key]))
    if "import_dirs" in server:
        settings.import_dirs = [Path(p).expanduser() for p in server["import_dirs"]]
    if "data_dir" in server:
        settings.data_dir = Path(server["data_dir"]).expanduser()
    if "payload_dir" in server:
        settings.payload_dir = Path(server["payload_dir"]).expanduser()
    if "users" in raw:
        settings.users = [
            UserConfig(name, u.get("password", DEFAULT_PASSWORD), u.get("role", "admin"))
            for name, u in raw["users"].items()
        ]
        for u in settings.users:
            if u.role not in ("admin", "readonly"):
                raise ValueError(f"user {u.name}: role must be admin or readonly, not {u.role!r}")
    if "datacenters" in raw:
        settings.inventory = [_datacenter(dc) for dc in raw["datacenters"]]
    return settings


def _typed(key: str, value: Any) -> Any:
    """`value` when it is of the setting's type (an integer counts as a number of seconds)."""
    wanted = {t for t in get_args(_HINTS[key]) or (_HINTS[key],) if t is not type(None)}
    if isinstance(value, bool):
        fits = bool in wanted
    elif isinstance(value, int):
        fits = int in wanted or float in wanted
    elif isinstance(value, float):
        fits = float in wanted
    else:
        fits = isinstance(value, str) and str in wanted
    if not fits:
        names = " or ".join(sorted(_TYPE_NAMES[t] for t in wanted))
        raise ConfigError(f"[server] {key} must be {names}, not {value!r}")
    return float(value) if float in wanted and not isinstance(value, bool) else value


_TYPE_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
_POSITIVE = (
    "workers", "failed_logins_allowed", "task_keep_count", "max_body_bytes", "depot_max_connections",
    "max_concurrent_downloads", "stage_tries", "worker_heartbeat_seconds", "worker_dead_seconds",
    "session_idle_seconds", "task_retention_seconds", "header_read_timeout_seconds", "body_read_timeout_seconds",
    "host_stage_timeout_seconds", "fetch_timeout_seconds",
)  # fmt: skip
_NOT_NEGATIVE = (
    "login_lockout_max_seconds", "stage_retry_delay_seconds", "sim_time_scale", "maintenance_mode_seconds",
    "maintenance_mode_seconds_per_vm", "reboot_seconds", "quick_boot_seconds", "exit_maintenance_mode_seconds",
)  # fmt: skip
_CHOICES = {
    "server": ("granian", "uvicorn"),
    "hosts_mode": ("internal", "external"),
    "log_format": ("text", "json"),
    "log_level": ("debug", "info", "warning", "error", "critical"),
}


def problem(settings: Settings) -> str | None:
    """What is out of range in the settings, whatever set it (a flag or the config file); the
    data dir is made here, as the start would make it, to tell whether it can be."""
    if not 1 <= settings.port <= 65535:
        return f"port must be from 1 to 65535, not {settings.port}"
    if not -1 <= settings.depot_port <= 65535:
        return f"depot_port must be from 1 to 65535, 0 (any free port) or -1 (none), not {settings.depot_port}"
    for key in _POSITIVE:
        if getattr(settings, key) <= 0:
            return f"{key} must be more than 0, not {getattr(settings, key)}"
    for key in _NOT_NEGATIVE:
        if getattr(settings, key) < 0:
            return f"{key} must not be negative, not {getattr(settings, key)}"
    for key, choices in _CHOICES.items():
        value = getattr(settings, key)
        if (value.lower() if key == "log_level" else value) not in choices:  # (a level in any case)
            return f"{key} must be {' or '.join(choices)}, not {value!r}"
    if not 0 < settings.default_payload_bytes <= 1 << 30:
        return f"default_payload_bytes must be from 1 byte to 1 GiB, not {settings.default_payload_bytes}"
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"data dir {settings.data_dir}: {exc.strerror or exc}"
    return None


def _datacenter(raw: dict[str, Any]) -> DatacenterConfig:
    return DatacenterConfig(
        raw["name"], [_cluster(c) for c in raw.get("clusters", [])], [HostConfig(**h) for h in raw.get("hosts", [])]
    )


def _cluster(raw: dict[str, Any]) -> ClusterConfig:
    hosts_raw = raw.get("hosts", [])
    name = raw["name"]
    if isinstance(hosts_raw, int):
        stem = name.lower().replace(" ", "-")
        hosts = [HostConfig(f"esx-{stem}-{n}.vlcmsim.local") for n in range(1, hosts_raw + 1)]
    else:
        hosts = [HostConfig(**h) for h in hosts_raw]
    return ClusterConfig(
        name=name,
        image_managed=raw.get("image_managed", True),
        ha_enabled=raw.get("ha_enabled", True),
        drs_enabled=raw.get("drs_enabled", True),
        hosts=hosts,
    )


_HINTS = get_type_hints(Settings)
