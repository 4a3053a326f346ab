"""Users and sessions (com.vmware.cis.session's state), kept in the store.

Over a store shared with other processes, every lookup reads the session's row
(a logout anywhere ends it everywhere at once). Alone on the store, lookups
read a snapshot of every session at most `SNAPSHOT_TTL` seconds old. The last
access time is written at most every `TOUCH_EVERY` (a quarter of the idle time
when that is shorter), so a session in use stays alive across a restart."""

from __future__ import annotations

import hmac
import secrets
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select, update

from vlcmsim.config import Settings
from vlcmsim.store import schema
from vlcmsim.store.cache import TTLSnapshot
from vlcmsim.store.db import Store
from vlcmsim.vapi.auth import Session, User
from vlcmsim.vapi.codec import aware, now
from vlcmsim.vapi.errors import unauthenticated

SNAPSHOT_TTL = 1.0
_ONE = select(schema.sessions).where(schema.sessions.c.id == bindparam("id"))
# PostgreSQL: the session's row (or NULLs) beside the current snapshot, in one statement
_ONE_IN_SNAPSHOT = (
    'SELECT s.id, s."user", s.created_time, s.last_accessed_time, pg_current_snapshot()::text'
    " FROM (SELECT 1) AS one LEFT JOIN sessions AS s ON s.id = %s"
)


TOUCH_EVERY = timedelta(seconds=30)


class LoginFailures:
    """Repeated wrong passwords slow the next tries down, per user and per
    client address: past `allowed` failures in a row, each try must wait, twice
    as long after each further failure, up to `max_wait` seconds."""

    def __init__(self, allowed: int, max_wait: float) -> None:
        self.allowed = allowed
        self.max_wait = max_wait
        self._streak: dict[str, tuple[int, float]] = {}  # key -> (failures in a row, when the last was)

    def wait(self, key: str) -> float:
        count, last = self._streak.get(key, (0, 0.0))
        if count < self.allowed:
            return 0.0
        delay = min(self.max_wait, 2.0 ** (count - self.allowed))
        return max(0.0, last + delay - time.monotonic())

    def failed(self, key: str) -> None:
        if len(self._streak) > 100_000:  # bounded memory: forget the oldest streaks
            for old in sorted(self._streak, key=lambda k: self._streak[k][1])[:50_000]:
                del self._streak[old]
        count, _ = self._streak.get(key, (0, 0.0))
        self._streak[key] = (count + 1, time.monotonic())

    def succeeded(self, key: str) -> None:
        self._streak.pop(key, None)


class Sessions:
    """The `Authenticator` of the wire adapters."""

    def __init__(self, store: Store, settings: Settings, shared: bool = False) -> None:
        self.store = store
        self.shared = shared  # other processes log in and out: every lookup asks the store
        self.idle = timedelta(seconds=settings.session_idle_seconds)
        self.touch_every = min(TOUCH_EVERY, self.idle / 4)
        self.users = {u.name.lower(): u for u in settings.users}
        self._snapshot = TTLSnapshot(self._load_all, SNAPSHOT_TTL)
        # each session valid at its last lookup here, and until when (time.monotonic()) nothing is due
        self._quiet_until: dict[str, float] = {}
        self.failures = LoginFailures(settings.failed_logins_allowed, settings.login_lockout_max_seconds)

    def authenticate(self, username: str, password: str, client: str = "") -> User:
        keys = (f"user:{username.lower()[:256]}", f"address:{client}")
        wait = max(self.failures.wait(k) for k in keys)
        if wait > 0:
            raise unauthenticated(f"Too many failed logins: try again in {wait:.0f} second(s).")
        user = self.users.get(username.lower())
        if user is None or not hmac.compare_digest(user.password.encode(), password.encode()):
            for k in keys:
                self.failures.failed(k)
            raise unauthenticated("Authentication failed: invalid user name or password.")
        for k in keys:
            self.failures.succeeded(k)
        return User(user.name, user.role)

    def create(self, user: User) -> Session:
        t = now()
        session = Session(secrets.token_hex(16), user, t, t)
        with self.store.engine.begin() as conn:
            conn.execute(
                schema.sessions.insert().values(id=session.id, user=user.name, created_time=t, last_accessed_time=t)
            )
        self._snapshot.get()[session.id] = session
        return session

    def lookup(self, session_id: str) -> Session | None:
        # shared: the store every time; alone: the snapshot, then the store (created since by another process)
        session = None if self.shared else self._snapshot.get().get(session_id)
        if session is None:
            session = self._load_one(session_id)
            if session is None:
                self._quiet_until.pop(session_id, None)
                return None
            if not self.shared:
                self._snapshot.get()[session_id] = session
        alive = self._alive(session_id, session)
        if alive is not None:
            if len(self._quiet_until) >= 10_000:  # bounded: the sessions in use come back at their next lookup
                self._quiet_until.clear()
            due = alive.last_accessed_time + min(self.idle, self.touch_every) - now()
            self._quiet_until[session_id] = time.monotonic() + due.total_seconds()
        return alive

    def quiet(self, session_id: str) -> bool:
        """Whether the session was valid at its last lookup in this process and has nothing due
        since (neither its expiry nor a write of its last access): then only a write to the
        store — a logout is one — could have changed it (the read cache's check: a dictionary
        lookup and a clock read, where a lookup costs a date computation or a query)."""
        return time.monotonic() < self._quiet_until.get(session_id, 0.0)

    def lookup_in_snapshot(self, session_id: str) -> tuple[Session | None, str]:
        """The session, and which transactions had committed when it was read (`Store.snapshot`),
        in one round trip: what a read the cache may answer costs on a shared store."""
        row = self.store.read_prepared(_ONE_IN_SNAPSHOT, (session_id,))
        assert row is not None  # the outer join always gives its one row
        session = self._session(row) if row[0] is not None else None
        return (self._alive(session_id, session) if session is not None else None), str(row[4])

    def _alive(self, session_id: str, session: Session) -> Session | None:
        """The session unless it has been idle too long; its last access written now and then."""
        t = now()
        if t - session.last_accessed_time > self.idle:
            self.delete(session_id)
            return None
        if t - session.last_accessed_time > self.touch_every:
            with self.store.engine.begin() as conn:
                conn.execute(
                    update(schema.sessions).where(schema.sessions.c.id == session_id).values(last_accessed_time=t)
                )
            session.last_accessed_time = t
        return session

    def active(self) -> list[Session]:
        """Every session not expired, from the store (SessionManager.sessionList)."""
        return sorted(self._load_all().values(), key=lambda s: s.created_time)

    def _load_all(self) -> dict[str, Session]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(schema.sessions)).all()
        sessions = {}
        for row in rows:
            session = self._session(row)
            if session is not None:
                sessions[row.id] = session
        return sessions

    def _load_one(self, session_id: str) -> Session | None:
        row = self.store.read(_ONE, {"id": session_id})
        return self._session(row) if row is not None else None

    def _session(self, row: Any) -> Session | None:
        """A session of the store's row (its columns in the table's order: id, user, created, last accessed)."""
        session_id, user_name, created, accessed = row[:4]
        config = self.users.get(user_name.lower())
        if config is None:  # the user was removed from the configuration
            return None
        user = User(config.name, config.role)
        return Session(session_id, user, aware(created), aware(accessed))

    def delete(self, session_id: str) -> None:
        self._quiet_until.pop(session_id, None)
        with self.store.engine.begin() as conn:
            conn.execute(delete(schema.sessions).where(schema.sessions.c.id == session_id))
        self._snapshot.invalidate()

    def purge_expired(self) -> None:
        cutoff = now() - self.idle
        with self.store.engine.begin() as conn:
            conn.execute(delete(schema.sessions).where(schema.sessions.c.last_accessed_time < cutoff))
        self._snapshot.invalidate()
