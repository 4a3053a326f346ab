"""vCenter's event log: what happened to the inventory and who did it — logins
and logouts, hosts connecting, disconnecting, not responding, shutting down
for a reboot, entering and leaving maintenance mode, VMs migrated or powered
off, tasks, and remediations starting and ending. vim25's EventManager reads
it. Kept in the store, the newest `KEEP` events (vCenter keeps a bounded log too)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select

from vlcmsim.store import schema
from vlcmsim.store.changes import changes
from vlcmsim.store.db import Store
from vlcmsim.vapi.codec import aware, now

KEEP = 20_000
_PRUNE_EVERY = 500
_INSERT_EVENT = schema.events.insert()  # built once: the columns come as parameters


@dataclass(frozen=True)
class Event:
    key: int
    kind: str  # the vim25 event type: "EnteredMaintenanceModeEvent", "UserLoginSessionEvent", ...
    created_time: datetime
    user: str
    message: str
    datacenter: str | None = None
    cluster: str | None = None
    host: str | None = None
    vm: str | None = None
    details: dict[str, Any] | None = None


class EventLog:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._posted = 0

    def post(
        self,
        kind: str,
        message: str,
        *,
        user: str = "",
        datacenter: str | None = None,
        cluster: str | None = None,
        host: str | None = None,
        vm: str | None = None,
        details: dict[str, Any] | None = None,
        conn: Connection | None = None,
    ) -> None:
        """An event logged; with `conn`, in that transaction (with what it tells of), whose
        writer tells the waiters once it is committed."""
        row = {
            "kind": kind,
            "created_time": now(),
            "user": user[:256],  # the column's width: a row that fits never fails the task written with it
            "message": message[:2048],
            "datacenter": datacenter,
            "cluster": cluster,
            "host": host,
            "vm": vm,
            "details": details,
        }
        if conn is not None:  # whoever commits it tells the waiters (store/changes.py), once committed
            self._insert(conn, row)
            return
        with self.store.engine.begin() as own:
            self._insert(own, row)
        changes.notify()

    def _insert(self, conn: Connection, row: dict[str, Any]) -> None:
        conn.execute(_INSERT_EVENT, row)
        self._posted += 1
        if self._posted % _PRUNE_EVERY == 0:
            newest = conn.execute(select(func.max(schema.events.c.key))).scalar() or 0
            conn.execute(delete(schema.events).where(schema.events.c.key <= newest - KEEP))

    def query(
        self,
        *,
        after: int | None = None,
        before: int | None = None,
        entities: set[str] | None = None,
        kinds: set[str] | None = None,
        users: set[str] | None = None,
        begin: datetime | None = None,
        end: datetime | None = None,
        limit: int = 1000,
        newest_first: bool = True,
    ) -> list[Event]:
        """Events matching every given condition; `entities`: ids any of whose
        datacenter, cluster, host or VM the event names."""
        t = schema.events
        q = select(t)
        if after is not None:
            q = q.where(t.c.key > after)
        if before is not None:
            q = q.where(t.c.key < before)
        if entities:
            q = q.where(
                t.c.datacenter.in_(entities) | t.c.cluster.in_(entities) | t.c.host.in_(entities) | t.c.vm.in_(entities)
            )
        if kinds:
            q = q.where(t.c.kind.in_(kinds))
        if users:
            q = q.where(t.c.user.in_(users))
        if begin is not None:
            q = q.where(t.c.created_time >= begin)
        if end is not None:
            q = q.where(t.c.created_time <= end)
        q = q.order_by(t.c.key.desc() if newest_first else t.c.key).limit(limit)
        with self.store.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [_event(r) for r in rows]

    def latest(self) -> Event | None:
        found = self.query(limit=1)
        return found[0] if found else None


def _event(r: Any) -> Event:
    return Event(
        int(r.key),
        r.kind,
        aware(r.created_time),
        r.user,
        r.message,
        r.datacenter,
        r.cluster,
        r.host,
        r.vm,
        r.details,
    )
