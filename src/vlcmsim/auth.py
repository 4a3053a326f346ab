"""Users and sessions (com.vmware.cis.session's state)."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from vlcmsim.config import Settings
from vlcmsim.store import schema
from vlcmsim.store.db import Store
from vlcmsim.vapi.codec import now
from vlcmsim.vapi.errors import unauthenticated


@dataclass(frozen=True)
class User:
    name: str
    role: str

    @property
    def can_write(self) -> bool:
        return self.role == "admin"

    @property
    def display_name(self) -> str:
        """How vCenter shows a user in task info: ``VSPHERE.LOCAL\\Administrator``."""
        local, _, domain = self.name.partition("@")
        return f"{domain.upper()}\\{local.capitalize() if local == 'administrator' else local}"


@dataclass
class Session:
    id: str
    user: User
    created_time: datetime
    last_accessed_time: datetime


class Sessions:
    """Sessions live in the store; a read-through cache keeps lookups cheap and
    writes the last access time at most every `_TOUCH_EVERY`."""

    _TOUCH_EVERY = timedelta(seconds=30)

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.idle = timedelta(seconds=settings.session_idle_seconds)
        self.users = {u.name.lower(): u for u in settings.users}
        self._cache: dict[str, Session] = {}

    def authenticate(self, username: str, password: str) -> User:
        user = self.users.get(username.lower())
        if user is None or not hmac.compare_digest(user.password.encode(), password.encode()):
            raise unauthenticated("Authentication failed: invalid user name or password.")
        return User(user.name, user.role)

    def create(self, user: User) -> Session:
        t = now()
        session = Session(secrets.token_hex(16), user, t, t)
        with self.store.engine.begin() as conn:
            conn.execute(
                schema.sessions.insert().values(id=session.id, user=user.name, created_time=t, last_accessed_time=t)
            )
        self._cache[session.id] = session
        return session

    def lookup(self, session_id: str) -> Session | None:
        """The live session with this id (touching it), or None."""
        t = now()
        session = self._cache.get(session_id)
        if session is None:
            session = self._load(session_id)
            if session is None:
                return None
            self._cache[session_id] = session
        if t - session.last_accessed_time > self.idle:
            self.delete(session_id)
            return None
        if t - session.last_accessed_time > self._TOUCH_EVERY:
            with self.store.engine.begin() as conn:
                conn.execute(
                    update(schema.sessions).where(schema.sessions.c.id == session_id).values(last_accessed_time=t)
                )
        session.last_accessed_time = t
        return session

    def _load(self, session_id: str) -> Session | None:
        with self.store.engine.connect() as conn:
            row = conn.execute(select(schema.sessions).where(schema.sessions.c.id == session_id)).first()
        if row is None:
            return None
        config = self.users.get(row.user.lower())
        if config is None:  # the user was removed from the configuration
            return None
        return Session(row.id, User(config.name, config.role), _aware(row.created_time), _aware(row.last_accessed_time))

    def delete(self, session_id: str) -> None:
        self._cache.pop(session_id, None)
        with self.store.engine.begin() as conn:
            conn.execute(delete(schema.sessions).where(schema.sessions.c.id == session_id))

    def purge_expired(self) -> None:
        cutoff = now() - self.idle
        with self.store.engine.begin() as conn:
            conn.execute(delete(schema.sessions).where(schema.sessions.c.last_accessed_time < cutoff))
        for sid in [s for s, v in self._cache.items() if v.last_accessed_time < cutoff]:
            self._cache.pop(sid, None)


def _aware(dt: datetime) -> datetime:
    from datetime import UTC

    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
