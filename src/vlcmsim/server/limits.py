"""How many connections a server process takes at once, and the HTTP settings
that close the silent ones: shared by `serve` and `depot serve`."""

from __future__ import annotations

import resource
from typing import Any

HEADER_TIMEOUT_SECONDS = 10.0


def connection_cap(workers: int = 1) -> int:
    """How many connections each worker serves at once: as many as the process may open (its
    soft file limit raised to the hard one), less some for the store and the hosts' downloads.
    Silent connections are closed after the header timeout; until then they must not be able to
    fill a small cap (granian's default is 1,024) and lock every real client out."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        wanted = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
            soft = max(soft, wanted)
        except (ValueError, OSError):
            pass
    return max(256, (soft - 512) // max(workers, 1))


def http_options(header_timeout_seconds: float = HEADER_TIMEOUT_SECONDS, workers: int = 1) -> dict[str, Any]:
    """granian's options for HTTP/1.1 with a header timeout that also closes a silent connection."""
    from granian.constants import HTTPModes
    from granian.http import HTTP1Settings

    return {
        # HTTP/1.1 only, as vCenter's clients speak: "auto" reads a connection's first bytes to
        # tell HTTP/2 from HTTP/1 with no time limit, so a silent connection was kept for ever
        "http": HTTPModes.http1,
        "http1_settings": HTTP1Settings(header_read_timeout=int(header_timeout_seconds * 1000)),
        "backlog": 1024,
        "backpressure": connection_cap(workers),
    }


def quiet_embedded_warning() -> None:
    """granian warns "Embedded server is experimental!" at every start of its embedded mode, which
    vlcmsim uses on purpose (the application's own loop runs the server): not a user's concern."""
    import logging

    class _Drop(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            return "Embedded server is experimental" not in record.getMessage()

    logging.getLogger("_granian").addFilter(_Drop())
