"""Opening the store: SQLite in the data dir by default, any SQLAlchemy URL
(PostgreSQL) when configured."""

from __future__ import annotations

import functools
import logging
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import Context, ContextVar, copy_context
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    Executable,
    Integer,
    Row,
    String,
    bindparam,
    create_engine,
    event,
    func,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError

from vlcmsim.store import schema

if TYPE_CHECKING:
    from vlcmsim.store.changefeed import ChangeFeed

log = logging.getLogger(__name__)

_VERSION = select(schema.counters.c.value).where(schema.counters.c.name == bindparam("name"))
_ALL_VERSIONS = select(schema.counters.c.name, schema.counters.c.value)
_SNAPSHOT = select(func.pg_current_snapshot().cast(String))
# statements built once: building one costs more than SQLite takes to run it
_BUMP = (
    update(schema.counters)
    .where(schema.counters.c.name == bindparam("counter"))
    .values(value=schema.counters.c.value + 1)
    .returning(schema.counters.c.value)
)
_NEW_COUNTER = schema.counters.insert()
# the counters as this request first read them (None: not in a request)
_versions: ContextVar[dict[str, int] | None] = ContextVar("vlcmsim_versions", default=None)


@contextmanager
def request_scope() -> Iterator[None]:
    """Around a request: its version checks cost one query in all."""
    token = _versions.set({})
    try:
        yield
    finally:
        _versions.reset(token)


def outside_request() -> Context:
    """A context for work that outlives the request starting it (a task's)."""
    context = copy_context()
    context.run(_versions.set, None)
    return context


def forget_versions() -> None:
    """After a write of this request: its next check reads the counters again."""
    seen = _versions.get()
    if seen is not None:
        seen.clear()


class StoreRefused(Exception):
    """The store is not one to start on (not vlcmsim's, damaged, emptied, newer);
    the message says why in one line. Nothing was written to it."""


STORE_ID_FILE = "store-id"  # in the data dir: which store it was made with


class Commits:
    """How many transactions this process committed: a read that began at one count
    saw everything this process committed before it (on SQLite, the read cache's
    generation; on PostgreSQL, which other processes write too, its half beside
    what the change feed hears). Counted after each commit returns, so a count
    never runs ahead of what readers can see."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()  # commits come from several threads: no increment is lost

    def connection_class(self) -> type[sqlite3.Connection]:
        """SQLite connections that count their commits (given to sqlite3.connect as its factory)."""
        return self._counting(sqlite3.Connection)

    def psycopg_class(self) -> type[Any]:
        """The same for PostgreSQL's driver (psycopg), for the change feed's own commits."""
        import psycopg

        return self._counting(psycopg.Connection)

    def _counting(self, base: type[Any]) -> type[Any]:
        commits = self

        class Counted(base):  # type: ignore[misc]
            def commit(self) -> None:
                super().commit()
                with commits._lock:
                    commits.count += 1

        return Counted


class Checkpointer:
    """SQLite: the write-ahead log copied back into the database on a thread of its own,
    every `every` seconds after commits — not by whichever commit crosses SQLite's
    1,000-page mark, which then answered its request 4 ms late (a checkpoint syncs
    the disk twice). Passive: it never makes a reader or a writer wait."""

    def __init__(self, engine: Engine, commits: Commits, every: float = 0.5) -> None:
        self.engine = engine
        self.commits = commits
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        done = self.commits.count
        while not self._stop.wait(self.every):
            if self.commits.count != done:
                done = self.commits.count
                self.checkpoint("PASSIVE")

    def checkpoint(self, mode: str) -> None:
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql(f"PRAGMA wal_checkpoint({mode})")
        except DBAPIError:  # busy or closing: the next round (or SQLite's last close) does it
            pass

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.checkpoint("TRUNCATE")  # the log emptied: a stopped server leaves one file to copy


class Store:
    def __init__(self, engine: Engine, commits: Commits | None = None) -> None:
        self.engine = engine
        self.commits = commits or Commits()
        self.checkpointer: Checkpointer | None = None  # SQLite's, once open
        self._feed: ChangeFeed | None = None  # PostgreSQL's, made at its first use
        self._no_feed = engine.dialect.name != "postgresql"  # or LISTEN was refused
        # single reads outside any transaction: on PostgreSQL no BEGIN and no ROLLBACK around
        # them (three round trips become one); SQLite reads the same either way
        self.reads = (
            engine.execution_options(isolation_level="AUTOCOMMIT") if engine.dialect.name == "postgresql" else engine
        )
        self._local = threading.local()  # each thread's connection for `read`
        # SQLite: only this process writes (its commits are counted), so every counter as read
        # at a count of commits stands until the count moves (PostgreSQL: None, read per request)
        self._alone = engine.dialect.name == "sqlite"
        self._counters_at: tuple[int, dict[str, int]] = (-1, {})

    def read(self, statement: Executable, params: dict[str, Any] | None = None) -> Row[Any] | None:
        """The first row of a one-statement read (see `read_all`)."""
        rows = self.read_all(statement, params)
        return rows[0] if rows else None

    def read_all(self, statement: Executable, params: dict[str, Any] | None = None) -> Sequence[Row[Any]]:
        """The rows of a one-statement read. On PostgreSQL, over a connection this
        thread keeps open in autocommit: a session lookup or a version check is one
        round trip, with no pool checkout around it (they run on every request when
        workers share the store)."""
        if self.engine.dialect.name != "postgresql":
            with self.engine.connect() as fresh:
                return fresh.execute(statement, params or {}).all()
        kept = self._kept()
        try:
            return kept.execute(statement, params or {}).all()
        except DBAPIError:
            self._local.conn = None  # a connection the server dropped: the next read opens another
            kept.invalidate()
            raise

    def read_prepared(self, sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """PostgreSQL: the first row of a statement the server keeps prepared, sent by the driver
        itself over this thread's kept connection — the read every request of a shared store
        makes (a session with the snapshot) costs 110 µs here against 186 µs through SQLAlchemy."""
        kept = self._kept()
        try:
            driver: Any = kept.connection.driver_connection
            row: tuple[Any, ...] | None = driver.execute(sql, params, prepare=True).fetchone()
            return row
        except Exception as exc:
            self._local.conn = None
            kept.invalidate()
            raise DBAPIError(sql, params, exc) from exc

    def _kept(self) -> Connection:
        kept: Connection | None = getattr(self._local, "conn", None)
        if kept is None or kept.closed:
            kept = self._local.conn = self.reads.connect()
        return kept

    @classmethod
    def open(cls, url: str | None, data_dir: Path) -> Store:
        where = url.split("@")[-1] if url else str(data_dir / "vlcmsim.db")
        if not url:
            url = f"sqlite:///{data_dir / 'vlcmsim.db'}"
        # JSON columns (task results, depot content, reports) through orjson: several times faster
        kwargs: dict[str, Any] = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}
        commits = Commits()
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "factory": commits.connection_class()}
        engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(engine, "connect", _sqlite_pragmas)
        elif engine.dialect.driver == "psycopg":
            counted = commits.psycopg_class()

            @event.listens_for(engine, "do_connect")
            def _counted(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
                return counted.connect(*cargs, **cparams)

        try:
            tables = set(inspect(engine).get_table_names())
            if tables and schema.meta.name not in tables:
                raise StoreRefused(f"{where} holds tables that are not vlcmsim's: refusing to use it")
            store = cls(engine, commits)
            store._check_identity(data_dir, where, fresh=not tables)
            schema.metadata.create_all(engine)
            store._check_version()
            if engine.dialect.name == "postgresql":
                from vlcmsim.store.changefeed import install_triggers

                with engine.begin() as conn:
                    install_triggers(conn)
        except DBAPIError as exc:
            engine.dispose()
            reason = str(exc.orig).splitlines()[0] if exc.orig is not None else type(exc).__name__
            raise StoreRefused(f"{where} cannot be opened as a vlcmsim store (damaged?): {reason}") from None
        except StoreRefused:
            engine.dispose()
            raise
        if url.startswith("sqlite"):
            store.checkpointer = Checkpointer(engine, commits)
        return store

    def _check_identity(self, data_dir: Path, where: str, fresh: bool) -> None:
        """A data dir remembers the store it was made with: an emptied or
        replaced store is refused rather than silently seeded anew."""
        marker = data_dir / STORE_ID_FILE
        known = marker.read_text().strip() if marker.exists() else None
        current = None if fresh else self._meta("store_id")
        if known is not None and current != known:
            state = "is empty" if current is None else f"is another one ({current})"
            raise StoreRefused(
                f"{where} {state}, not the store this data dir was made with ({known}): "
                "point --database-url at that store, or use a new data dir"
            )
        if current is None:
            current = known or secrets.token_hex(8)
            schema.meta.create(self.engine, checkfirst=True)
            with self.engine.begin() as conn:
                conn.execute(schema.meta.insert().values(key="store_id", value=current))
        if known is None:
            data_dir.mkdir(parents=True, exist_ok=True)
            marker.write_text(current + "\n")

    def _meta(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == key)).first()
        return None if row is None else str(row[0])

    def _check_version(self) -> None:
        with self.engine.begin() as conn:
            row = conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")).first()
            if row is None:
                conn.execute(schema.meta.insert().values(key="schema_version", value=str(schema.SCHEMA_VERSION)))
            elif int(row[0]) > schema.SCHEMA_VERSION:
                raise StoreRefused(
                    f"the store was written by a newer vlcmsim (schema {row[0]} > {schema.SCHEMA_VERSION})"
                )
            elif int(row[0]) < schema.SCHEMA_VERSION:
                if int(row[0]) < 2:
                    _knobs_to_sim_hosts(conn)
                _add_columns(conn)
                conn.execute(
                    update(schema.meta)
                    .where(schema.meta.c.key == "schema_version")
                    .values(value=str(schema.SCHEMA_VERSION))
                )

    def secret(self) -> bytes:
        """This store's own random secret (signed URLs), made at its first use."""
        with self.engine.begin() as conn:
            row = conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == "secret")).first()
            if row is None:
                value = secrets.token_hex(32)
                conn.execute(schema.meta.insert().values(key="secret", value=value))
                return bytes.fromhex(value)
        return bytes.fromhex(row[0])

    def next_id(self, counter: str) -> int:
        """A monotonically increasing number per counter, in the store so that
        ids stay unique across restarts."""
        return self.next_ids(counter, 1)[0]

    def next_ids(self, counter: str, n: int) -> list[int]:
        """`n` numbers of the counter at once, in one transaction."""
        with self.engine.begin() as conn:
            return self.next_ids_in(conn, counter, n)

    def next_ids_in(self, conn: Connection, counter: str, n: int) -> list[int]:
        """The same in the caller's transaction (the numbers and what they number written at once)."""
        last = int(conn.execute(self._next_ids, {"name": counter, "n": n}).scalar_one())
        return list(range(last - n + 1, last + 1))

    @functools.cached_property
    def _next_ids(self) -> Executable:
        """One statement: the counter made or moved on by n, and its new value."""
        table = schema.counters
        ins = (pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert)(table)
        n = bindparam("n", type_=Integer)
        return (
            ins.values(name=bindparam("name"), value=n)
            .on_conflict_do_update(index_elements=[table.c.name], set_={"value": table.c.value + n})
            .returning(table.c.value)
        )

    def advance(self, counter: str, at_least: int) -> None:
        """The counter is at `at_least` or beyond: its next number is a new one."""
        with self.engine.begin() as conn:
            table = schema.counters
            dialect = self.engine.dialect.name
            ins = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
            conn.execute(ins.values(name=counter, value=0).on_conflict_do_nothing())
            conn.execute(update(table).where(table.c.name == counter, table.c.value < at_least).values(value=at_least))

    def version(self, name: str) -> int:
        """A counter writers bump (`bump`) so that readers know when to reload.
        On SQLite, read again only after a commit of this process; on PostgreSQL,
        within a request (`request_scope`) every counter is read once, at the
        first check: a request sees whatever was written before it began."""
        if self._alone:
            at, counters = self._counters_at
            count = self.commits.count  # before the read: a commit counted later reloads them
            if at != count:
                counters = {r.name: int(r.value) for r in self.read_all(_ALL_VERSIONS)}
                self._counters_at = (count, counters)
            return counters.get(name, 0)
        seen = _versions.get()
        if seen is None:
            row = self.read(_VERSION, {"name": name})
            return int(row[0]) if row is not None else 0
        if not seen:
            seen.update({r.name: int(r.value) for r in self.read_all(_ALL_VERSIONS)})
            seen[""] = 0  # read: not empty any more
        return seen.get(name, 0)

    @staticmethod
    def bump(conn: Connection, name: str) -> int:
        """Move the counter `name` on, in the caller's transaction: its new value."""
        value = conn.execute(_BUMP, {"counter": name}).scalar()
        if value is None:
            conn.execute(_NEW_COUNTER, {"name": name, "value": 1})
            value = 1
        forget_versions()
        return int(value)

    def snapshot(self) -> str:
        """PostgreSQL: which transactions had committed (`pg_current_snapshot()`, as text). Any
        commit or abort, by any process, changes it; reads alone do not: the same text twice
        means nothing was written between."""
        row = self.read(_SNAPSHOT)
        return str(row[0]) if row is not None else ""

    def change_feed(self) -> ChangeFeed | None:
        """PostgreSQL: the process's ChangeFeed (store/changefeed.py); None on SQLite, or when
        it cannot LISTEN (a pooler in transaction mode, say): repeated reads then ask the store."""
        if self._feed is None and not self._no_feed:
            from vlcmsim.store.changefeed import ChangeFeed

            conninfo = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            try:
                self._feed = ChangeFeed(conninfo, self.commits)
            except Exception:
                log.warning("no change feed (LISTEN refused): repeated reads ask the store", exc_info=True)
                self._no_feed = True
        return self._feed

    def dispose(self) -> None:
        if self._feed is not None:
            self._feed.close()
            self._feed = None
        if self.checkpointer is not None:
            self.checkpointer.stop()
            self.checkpointer = None
        self.engine.dispose()


_KNOBS = ("bandwidth_bytes_per_s", "staging_capacity_bytes", "corrupt_downloads")


def _knobs_to_sim_hosts(conn: Connection) -> None:
    """Schema 1 kept the simulation knobs in `hosts`: move them to `sim_hosts`."""
    columns = ", ".join(_KNOBS)
    conn.execute(text(f"INSERT INTO sim_hosts (host, {columns}) SELECT id, {columns} FROM hosts"))
    for column in _KNOBS:
        conn.execute(text(f"ALTER TABLE hosts DROP COLUMN {column}"))


def _add_columns(conn: Connection) -> None:
    """Columns later schemas added: drafts their validation status, depots their
    bundle's checksum (2); hosts their own image management, depots their
    enabled flag and owner data (3); tasks the worker running them and a cancel request (4);
    hosts their hardware's vendor, model and UUID, VMs
    the solution they are system VMs of (7); agents' hosts the version of what they hold (8)."""
    added = {
        ("drafts", "status"): "VARCHAR(16) NOT NULL DEFAULT 'VALID'",
        ("depots", "bundle_sha256"): "VARCHAR(64)",
        ("hosts", "image_managed"): "BOOLEAN NOT NULL DEFAULT FALSE",
        ("depots", "enabled"): "BOOLEAN NOT NULL DEFAULT TRUE",
        ("depots", "ownerdata"): "VARCHAR(1024)",
        ("tasks", "worker"): "VARCHAR(32)",
        ("tasks", "cancel_requested"): "BOOLEAN NOT NULL DEFAULT FALSE",
        ("hosts", "boot_time"): "TIMESTAMP",
        ("hosts", "vendor"): "VARCHAR(128) NOT NULL DEFAULT 'Dell Inc.'",
        ("hosts", "model"): "VARCHAR(128) NOT NULL DEFAULT 'PowerEdge R760'",
        ("hosts", "uuid"): "VARCHAR(36)",
        ("vms", "solution"): "VARCHAR(128)",
        ("agent_hosts", "version"): "BIGINT NOT NULL DEFAULT 0",
    }
    for (table, column), kind in added.items():
        if column not in {c["name"] for c in inspect(conn).get_columns(table)}:
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {kind}"))


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA wal_autocheckpoint=0")  # the Checkpointer's thread does it
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
