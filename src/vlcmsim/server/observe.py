"""What the server tells about itself: `/metrics` in Prometheus' text format,
one structured log line per request (`--log-format json`), and `--trace`
(every request and response of the three wires, as vcsim's -trace).

Request counts and latencies are this process's, labelled with its worker id;
with several workers (`--workers N`), every worker's, summed, whichever worker
answers (`SharedCounts`). Tasks and hosts are read from the store, the same
from every worker."""

from __future__ import annotations

import logging
import re
import sys
import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable
from itertools import accumulate
from typing import Any, TextIO

import orjson

from vlcmsim.redact import RedactingFilter, redact
from vlcmsim.vapi.http import Request, Response

_SESSION_ID = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")  # sessions.py: token_hex(16)
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = b"text/plain; version=0.0.4; charset=utf-8"

request_log = logging.getLogger("vlcmsim.request")
task_log = logging.getLogger("vlcmsim.task")  # written by vlcmsim.tasks.manager

# (labels, value) samples of one metric family
Samples = Iterable[tuple[dict[str, str], float]]


REQUESTS_HELP = "Requests answered, by wire, vAPI operation and HTTP status."
DURATION_HELP = "Time from a request's arrival to its answer."
STAGED_HELP = "Payload bytes hosts downloaded, verified and kept (stage and apply)."
HITS_HELP = "Reads answered again with their last answer, nothing having been committed since."


class Metrics:
    """
    metrics = Metrics(worker)             # one process: its counts, labelled with its worker id
    metrics = Metrics(worker, shared=True) # one of several workers: every worker's counts, summed
    """

    def __init__(self, worker: str, shared: bool = False) -> None:
        self.worker = worker
        self.requests: Counter[tuple[str, str, int]] = Counter()  # (wire, operation, status)
        self.buckets = [0] * len(BUCKETS)
        self.latency_sum = 0.0
        self.latency_count = 0
        self.staged_bytes = 0  # payload bytes hosts downloaded, verified and kept
        self.read_cache_hits = 0
        self.gauges: list[tuple[str, str, Callable[[], Samples]]] = []  # name, help, read from the store
        self._share = shared
        self._shared: SharedCounts | None = None

    def _counts(self) -> SharedCounts:
        """Made at the first count, so that a process that only prepared the store (the workers'
        parent) leaves no files of its own among the workers'."""
        if self._shared is None:
            self._shared = SharedCounts()
        return self._shared

    def observe(self, wire: str, operation: str, status: int, seconds: float) -> None:
        self.requests[(wire, operation, status)] += 1
        slot = bisect_left(BUCKETS, seconds)  # one count per request; the render makes them cumulative
        if slot < len(BUCKETS):
            self.buckets[slot] += 1
        self.latency_sum += seconds
        self.latency_count += 1
        if self._share:  # (a flag first: the one-process path stays a few additions)
            self._counts().observe(wire, operation, status, seconds)

    def staged(self, n: int) -> None:
        self.staged_bytes += n
        if self._share:
            self._counts().staged.inc(n)

    def read_cache_hit(self) -> None:
        self.read_cache_hits += 1
        if self._share:
            self._counts().hits.inc()

    def gauge(self, name: str, help_text: str, read: Callable[[], Samples]) -> None:
        self.gauges.append((name, help_text, read))

    def render(self) -> bytes:
        out: list[str] = []
        w = {"worker": self.worker}

        def family(name: str, help_text: str, kind: str, samples: Samples) -> None:
            out.append(f"# HELP {name} {help_text}")
            out.append(f"# TYPE {name} {kind}")
            for labels, value in samples:
                out.append(f"{name}{_labels(labels)} {_number(value)}")

        if self._share:
            out.append(self._counts().render().rstrip("\n"))
        else:
            family(
                "vlcmsim_requests_total",
                REQUESTS_HELP,
                "counter",
                (
                    ({**w, "wire": wire, "operation": op, "status": str(status)}, n)
                    for (wire, op, status), n in sorted(self.requests.items())
                ),
            )
            name = "vlcmsim_request_duration_seconds"
            out.append(f"# HELP {name} {DURATION_HELP}")
            out.append(f"# TYPE {name} histogram")
            for bound, n in zip(BUCKETS, accumulate(self.buckets), strict=True):
                out.append(f"{name}_bucket{_labels({**w, 'le': _number(bound)})} {n}")
            out.append(f"{name}_bucket{_labels({**w, 'le': '+Inf'})} {self.latency_count}")
            out.append(f"{name}_sum{_labels(w)} {_number(self.latency_sum)}")
            out.append(f"{name}_count{_labels(w)} {self.latency_count}")
            family("vlcmsim_staged_bytes_total", STAGED_HELP, "counter", [(w, self.staged_bytes)])
            family("vlcmsim_read_cache_hits_total", HITS_HELP, "counter", [(w, self.read_cache_hits)])
        for gauge_name, help_text, read in self.gauges:
            family(gauge_name, help_text, "gauge", read())
        return ("\n".join(out) + "\n").encode()

    def response(self) -> Response:
        return Response(200, self.render(), [(b"content-type", CONTENT_TYPE)])


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class SharedCounts:
    """The counts of every worker of a server together: prometheus_client's multi-process mode, whose
    values live in files of the folder PROMETHEUS_MULTIPROC_DIR names (the parent process sets it,
    emptied, before its workers start; each worker writes its own files as it counts) and are summed
    at each render by whichever worker is asked."""

    def __init__(self) -> None:
        from prometheus_client import Counter as PromCounter
        from prometheus_client import Histogram

        labels = ["wire", "operation", "status"]
        self.requests = PromCounter("vlcmsim_requests", REQUESTS_HELP, labels, registry=None)
        self.duration = Histogram("vlcmsim_request_duration_seconds", DURATION_HELP, buckets=BUCKETS, registry=None)
        self.staged = PromCounter("vlcmsim_staged_bytes", STAGED_HELP, registry=None)
        self.hits = PromCounter("vlcmsim_read_cache_hits", HITS_HELP, registry=None)

    def observe(self, wire: str, operation: str, status: int, seconds: float) -> None:
        self.requests.labels(wire, operation, str(status)).inc()
        self.duration.observe(seconds)

    def render(self) -> str:
        from prometheus_client import CollectorRegistry, generate_latest
        from prometheus_client.multiprocess import MultiProcessCollector

        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry).decode()


def wire_of(path: str) -> str:
    if path in ("/api", "/api/"):
        return "jsonrpc"
    if path.startswith("/api/"):
        return "rest"
    if path.startswith("/rest/"):
        return "legacy"
    first = path.split("/")[1] if path.startswith("/") and len(path) > 1 else ""
    return first if first in ("sdk", "ui", "sim", "agent", "vum", "metrics") else "other"


def log_request(req: Request, resp: Response, operation: str, seconds: float) -> None:
    """One line per request: as JSON under --log-format json, plain text otherwise."""
    if not request_log.isEnabledFor(logging.INFO):
        return
    request_log.info(
        "%s %s -> %d (%s, %.1f ms)",
        req.method,
        req.path,
        resp.status,
        operation or "-",
        seconds * 1000,
        extra={
            "fields": {
                "method": req.method,
                "path": req.path,
                "operation": operation or None,
                "status": resp.status,
                "ms": round(seconds * 1000, 3),
                "client": req.client or None,
            }
        },
    )


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the record's fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()


def configure_logging(level: str, log_format: str) -> None:
    """The server's log: its level, and plain or JSON lines on stderr (requests and
    task transitions at INFO)."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
        logging.Formatter.converter = time.gmtime
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(RedactingFilter())  # no location's password in any line
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    if log_format == "json":  # a structured log is asked for: requests and tasks are in it
        for name in (request_log.name, task_log.name):
            logging.getLogger(name).setLevel(logging.INFO)


class Tracer:
    """--trace: each request and its response, headers and body, as they went."""

    def __init__(self, out: TextIO = sys.stderr, limit: int = 64 * 1024) -> None:
        self.out = out
        self.limit = limit

    def trace(self, req: Request, resp: Response) -> None:
        query = "&".join(f"{k}={v}" for k, v in req.query)
        lines = [redact(f"> {req.method} {req.path}{'?' + query if query else ''}")]
        lines += [f"> {k.decode('latin-1')}: {_shown(k, v)}" for k, v in req.headers.items()]
        if req.body:
            lines.append(self._body(req.body))
        lines.append(f"< {resp.status}")
        lines += [f"< {k.decode('latin-1')}: {v.decode('latin-1')}" for k, v in resp.headers]
        if resp.file is not None:
            lines.append(f"< [file {resp.file}]")
        elif resp.body:
            lines.append(self._body(resp.body))
        self.out.write("\n".join(lines) + "\n\n")
        self.out.flush()

    def _body(self, body: bytes) -> str:
        shown = redact(_SESSION_ID.sub("<session id>", body[: self.limit].decode("utf-8", "replace")))
        return shown + (f"\n[... {len(body) - self.limit} more bytes]" if len(body) > self.limit else "")


def _shown(name: bytes, value: bytes) -> str:
    """Credentials are not traced."""
    if name.lower() in (b"authorization", b"vmware-api-session-id", b"cookie"):
        return "<hidden>"
    return value.decode("latin-1")
