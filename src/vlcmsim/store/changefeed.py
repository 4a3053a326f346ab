"""PostgreSQL: what any process commits, heard without asking.

Every table but the workers' heartbeats carries a statement trigger that calls
`pg_notify` (PostgreSQL folds a transaction's notifications into one and sends
them when it commits). Each process keeps one connection that LISTENs; its
generation is how many notifications it has heard, beside how many commits this
process made itself (counted as each returns, so that its own next read never
waits for the echo). A repeated read is answered again while the generation
stands: no round trip to the database, where the session and a snapshot cost
one (~110 µs here). PostgreSQL signals every listener as a commit completes,
before the committing client is told; each check reads the socket first — so
the next read anywhere after a write's answer sees the write (tests/
test_scale_out.py writes through one server and reads through the other, again
and again).

If the listening connection is lost, nothing is answered again until it is
back (the generation is new at every check meanwhile)."""

from __future__ import annotations

import logging
import select
import threading
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import psycopg
from sqlalchemy import Connection, text

from vlcmsim.store import schema

if TYPE_CHECKING:
    from vlcmsim.store.db import Commits

log = logging.getLogger(__name__)

CHANNEL = "vlcmsim_changes"
TRIGGER = "vlcmsim_changed"
QUIET_TABLES = {schema.workers.name}  # heartbeats: no read shows them
_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', '');
    RETURN NULL;
END $$"""


def install_triggers(conn: Connection) -> None:
    """The notifying trigger on every table that lacks it (a start after an upgrade adds the
    new tables'); tables that have it are not touched (no lock taken on them)."""
    conn.execute(text(_FUNCTION))
    have = set(
        conn.execute(
            text("SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname = :name"),
            {"name": TRIGGER},
        ).scalars()
    )
    for table in schema.metadata.sorted_tables:
        if table.name in have or table.name in QUIET_TABLES:
            continue
        conn.execute(
            text(
                f'CREATE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table.name}"'
                f" FOR EACH STATEMENT EXECUTE FUNCTION {TRIGGER}()"
            )
        )


class ChangeFeed:
    """
    feed = ChangeFeed(conninfo, local_commits)   # LISTENs at once; raises if it cannot
    feed.generation()                            # moves whenever anything was committed
    feed.close()
    """

    def __init__(self, conninfo: str, local_commits: Commits, retry_seconds: float = 1.0) -> None:
        self.conninfo = conninfo
        self.local = local_commits  # this process's own commits
        self.retry_seconds = retry_seconds
        self.heard = 0
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._conn: psycopg.Connection[Any] | None = self._listen()
        # a listener that is never read holds PostgreSQL's notification queue back: read it
        # now and then even when no request asks
        self._thread = threading.Thread(target=self._keep_up, name="change-feed", daemon=True)
        self._thread.start()

    def _listen(self) -> psycopg.Connection[Any]:
        conn = psycopg.connect(self.conninfo, autocommit=True)
        conn.execute(f"LISTEN {CHANNEL}")
        return conn

    def generation(self) -> Hashable:
        with self._lock:
            if self._conn is not None:
                self._drain(self._conn)
            if self._conn is None:
                return object()  # deaf: equal to nothing kept
            return (self.heard, self.local.count)

    def _drain(self, conn: psycopg.Connection[Any]) -> None:
        """Every notification on the socket now (libpq's socket never blocks)."""
        pg = conn.pgconn
        try:
            pg.consume_input()
            while pg.notifies() is not None:
                self.heard += 1
        except psycopg.Error:
            log.warning("the change feed lost its connection: repeated reads go the full way until it is back")
            self._conn = None
            conn.close()

    def _keep_up(self) -> None:
        while not self._closed.is_set():
            conn = self._conn
            if conn is None:
                if self._closed.wait(self.retry_seconds):
                    return
                try:
                    fresh = self._listen()
                except psycopg.Error:
                    continue
                with self._lock:
                    self.heard += 1  # what was missed meanwhile: everything kept is stale
                    self._conn = fresh
                continue
            try:
                readable, _, _ = select.select([conn.pgconn.socket], [], [], 1.0)
            except (OSError, ValueError, psycopg.Error):
                readable = [True]  # closed under us: the drain says so
            if readable:
                with self._lock:
                    if self._conn is conn:
                        self._drain(conn)

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
        self._thread.join(timeout=5)
