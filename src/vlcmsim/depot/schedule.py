"""The depot sync schedule (esx.settings.depots.sync_schedule): kept in the
store, and run — every enabled schedule starts a sync task when it is due.

Time comes from a `SimClock`: the real UTC time plus an offset the simulation
can move forward (`PATCH /sim/clock`), so that a test or a rehearsal sees a
nightly sync run without waiting for the night."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from vlcmsim.store import schema
from vlcmsim.store.db import Store

log = logging.getLogger(__name__)

# vCenter's default: a daily download from the online depots
DEFAULT: dict[str, Any] = {
    "enabled": True,
    "schedule": {"type": "DAILY", "hour": 2, "minute": 0},
    "email_addresses": [],
}
DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")  # datetime.weekday() order


class SimClock:
    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def next_run(schedule: dict[str, Any], after: datetime) -> datetime:
    """The first time the schedule is due strictly after `after` (every `skip`
    hours, days, weeks or months, 1 when unset, counted from `after`)."""
    kind = schedule["type"]
    every = max(int(schedule.get("skip") or 1), 1)
    minute = int(schedule.get("minute") or 0) % 60
    hour = int(schedule.get("hour") or 0) % 24
    start = after.replace(second=0, microsecond=0)
    if kind == "HOURLY":
        t = start.replace(minute=minute)
        step = timedelta(hours=1)
    elif kind == "DAILY":
        t = start.replace(hour=hour, minute=minute)
        step = timedelta(days=1)
    elif kind == "WEEKLY":
        day = DAYS.index(schedule.get("day_of_week") or "SUNDAY")
        t = start.replace(hour=hour, minute=minute) + timedelta(days=(day - start.weekday()) % 7)
        step = timedelta(weeks=1)
    else:  # MONTHLY_BY_DAY: a day the month lacks runs on its last day
        return _monthly(schedule, after, every, hour, minute)
    while t <= after:
        t += step
    return t + step * (every - 1)


def _monthly(schedule: dict[str, Any], after: datetime, every: int, hour: int, minute: int) -> datetime:
    year, month = after.year, after.month
    for _ in range(every * 24 + 1):
        last = (datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC) - timedelta(days=1)).day
        day = min(max(int(schedule.get("day_of_month") or 1), 1), last)
        t = datetime(year, month, day, hour, minute, tzinfo=UTC)
        if t > after:
            break
        year, month = year + month // 12, month % 12 + 1
    for _ in range(every - 1):
        year, month = year + month // 12, month % 12 + 1
        last = (datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC) - timedelta(days=1)).day
        t = t.replace(year=year, month=month, day=min(int(schedule.get("day_of_month") or 1), last))
    return t


class SyncSchedule:
    def __init__(self, store: Store, clock: SimClock) -> None:
        self.store = store
        self.clock = clock

    def get(self) -> dict[str, Any]:
        with self.store.engine.connect() as conn:
            row = conn.execute(select(schema.sync_schedule.c.spec)).first()
        return dict(row[0]) if row else dict(DEFAULT)

    def reset(self) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(delete(schema.sync_schedule))

    def set(self, spec: dict[str, Any]) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(delete(schema.sync_schedule))
            conn.execute(schema.sync_schedule.insert().values(id=1, spec=spec))

    async def run(self, start_sync: Callable[[], str], tick: float = 1.0) -> None:
        """Start a sync each time the schedule is due, until canceled; the
        schedule is read again at every tick, so a change takes effect at once."""
        due: datetime | None = None
        seen: dict[str, Any] | None = None
        while True:
            spec = self.get()
            if spec != seen:  # set or changed: due next from now
                seen, due = spec, None
            now = self.clock.now()
            if not spec.get("enabled") or not spec.get("schedule"):
                due = None
            elif due is None:
                due = next_run(spec["schedule"], now)
            elif now >= due:
                try:
                    task = start_sync()
                    log.info("scheduled depot sync started: task %s", task)
                except Exception:  # the next due time still comes
                    log.exception("the scheduled depot sync could not start")
                due = next_run(spec["schedule"], now)
            await asyncio.sleep(tick)
