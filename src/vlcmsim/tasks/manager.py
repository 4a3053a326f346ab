"""CIS tasks: records, runner, progress, cancellation, restart recovery.

A task is created PENDING, runs as an asyncio task of this process, and is
written to the store at every change of status and, while it runs, at most
every `_FLUSH_EVERY` for its progress and `_RESULT_FLUSH_EVERY` for its partial
result. A running task's partial result may be live: built when it is read
(`TaskContext.set_live`), not every time it changes. Reads of a task that runs
here come from memory; every other read comes from the store.
The shape of `info()` follows the union rules of cis.task.Info exactly.

Several processes (API workers over one PostgreSQL) share the tasks: a task
runs in the worker that started it (its `worker` column) and is read, listed
and canceled from any (a cancel of another worker's task is a request in the
store its worker acts on). A lifecycle task holds its cluster or host by a row
of `task_locks` inserted with it: of two workers starting a stage of one
cluster, the second insert fails. A worker whose heartbeat stops is dead: the
first other worker to see it (`sweep`, rows claimed with FOR UPDATE SKIP
LOCKED) ends its tasks FAILED and frees what they held; a task never runs twice.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError

from vlcmsim.ids import PROGRESS_ID, VLCMSIM
from vlcmsim.redact import redact, redact_value
from vlcmsim.store import schema
from vlcmsim.store.changes import changes
from vlcmsim.store.db import Store, outside_request
from vlcmsim.vapi.codec import CLEAN, Frozen, Opaque, aware, encode, from_clean, now
from vlcmsim.vapi.errors import Message, VapiError, internal_error
from vlcmsim.vapi.model import TD

log = logging.getLogger(__name__)
transitions = logging.getLogger("vlcmsim.task")  # one line per task transition (INFO)

_FLUSH_EVERY = 0.5  # seconds between writes of a running task's progress
_RESULT_FLUSH_EVERY = 5.0  # ... and of its partial result (encoding a 100-host result is not free)
_RESULTS_PER_FLUSH = 10  # partial results written at most per write of running tasks
LIVE_TTL = 0.25  # a live result, once built, serves the reads of this long
MAX_LISTED = 1000  # a task list answers the newest this many (cis.tasks.list: "at most 1000" in the bindings)
_ENDED_CACHE = MAX_LISTED + 500  # ended tasks kept decoded, with their encodings (a listing reads no more)
KEEP_ENDED = 10_000  # ended tasks kept, besides their retention time (ours, as vCenter keeps a bounded history)
_PURGE_EVERY = 100  # ended tasks between two purges


RUNNING_STATES = ("PENDING", "RUNNING", "BLOCKED")
_ONE_TASK = select(schema.tasks).where(schema.tasks.c.id == bindparam("id"))
# statements built once (building one costs more than SQLite takes to run it); a row's
# columns come as parameters
_INSERT_TASK = schema.tasks.insert()
_UPDATE_TASK = update(schema.tasks).where(schema.tasks.c.id == bindparam("task_id"))
_INSERT_LOCK = schema.task_locks.insert()
_UNLOCK = delete(schema.task_locks).where(schema.task_locks.c.task == bindparam("task_id"))


class TargetBusy(Exception):
    """Another task holds the cluster or host a task was to lock."""

    def __init__(self, holder: TaskRecord | None) -> None:
        super().__init__(holder.id if holder else "a task")
        self.holder = holder


class TaskFailed(Exception):
    """Raised by a task's work to fail with an error *and* a result."""

    def __init__(self, error: VapiError, result: Any = None) -> None:
        super().__init__(error.text)
        self.error = error
        self.result = result


@dataclass
class TaskRecord:
    id: str
    service: str
    operation: str
    description: Message
    target: tuple[str, str] | None
    user: str | None
    cancelable: bool
    result_td: TD | None
    status: str = "PENDING"
    progress: tuple[int, int, Message] | None = None
    result: Any = None
    error: VapiError | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    created_time: datetime = field(default_factory=now)
    _info: dict[bool, Frozen] = field(default_factory=dict, repr=False, compare=False)
    live: Callable[[], Any] | None = field(default=None, repr=False, compare=False)  # the partial result, built on read
    _live: tuple[float, Any] | None = field(default=None, repr=False, compare=False)

    def current_result(self) -> Any:
        """The result as it is now: a running task's live one (built when read,
        at most every LIVE_TTL, each build's encodings shared by its readers)."""
        if self.live is None or self.status not in ("PENDING", "RUNNING"):
            return self.result
        t = time.monotonic()
        if self._live is None or t - self._live[0] >= LIVE_TTL:
            value = self.live()
            self._live = (t, Frozen(value) if type(value) is dict else value)
        return self._live[1]

    def info(self, with_result: bool = True) -> dict[str, Any] | Frozen:
        """The domain value of cis.task.Info for this record (kept, with its
        encodings, once the task has ended: it never changes again)."""
        ended = self.status in ("SUCCEEDED", "FAILED")
        if ended and with_result in self._info:
            return self._info[with_result]
        value = self._build_info(with_result)
        if ended:
            frozen = self._info[with_result] = Frozen(value)
            return frozen
        return value

    def _build_info(self, with_result: bool) -> dict[str, Any]:
        """Every field the record knows; the encoder keeps those that the
        union rules of cis.task.Info allow for the status."""
        total, completed, message = self.progress or (100, 0, Message(PROGRESS_ID, "Running"))
        value: dict[str, Any] = {
            "description": self.description.as_value(),
            "service": self.service,
            "operation": self.operation,
            "status": self.status,
            "cancelable": self.cancelable and self.status in ("PENDING", "RUNNING"),
            "target": {"type": self.target[0], "id": self.target[1]} if self.target else None,
            "user": self.user,
            "progress": {"total": total, "completed": completed, "message": message.as_value()},
            "start_time": self.start_time,
            "end_time": self.end_time,
            "error": self.error,
        }
        result = self.current_result() if with_result else None
        if result is not None and self.result_td is not None:
            value["result"] = Opaque(self.result_td, result)
        return value


class TaskContext:
    """What a task's work uses to report progress and partial results."""

    def __init__(self, manager: TaskManager, record: TaskRecord) -> None:
        self._manager = manager
        self.record = record

    def progress(self, completed: int, total: int, message: str = "Running") -> None:
        self.record.progress = (total, min(completed, total), Message(PROGRESS_ID, message))
        self._manager._flush_soon(self.record)

    def set_result(self, result: Any) -> None:
        self.record.result = result
        self.record.live = None
        self._manager._flush_soon(self.record)

    def set_live(self, build: Callable[[], Any]) -> None:
        """The partial result is `build()`: called when the task is read (or
        its record written), not on every change."""
        self.record.live = build
        self.record._live = None
        self._manager._last_result_flush.pop(self.record.id, None)  # the next write keeps it

    def stop_reason(self) -> str:
        """Why the work is being stopped, when it is: the server stops, or the task was canceled."""
        return "the server stopped" if self._manager._stopping else "the task was canceled"


class PartContext(TaskContext):
    """The context of one part of a task's work (one cluster of a stage over the
    inventory): its progress and partial result stay here, for the task to combine."""

    def __init__(self, parent: TaskContext, changed: Callable[[], None]) -> None:
        super().__init__(parent._manager, parent.record)
        self._changed = changed
        self.completed = 0
        self.total = 0
        self.result: Any = None
        self.live: Callable[[], Any] | None = None

    def progress(self, completed: int, total: int, message: str = "Running") -> None:
        self.completed, self.total = min(completed, total), total
        self._changed()

    def set_result(self, result: Any) -> None:
        self.result = result
        self._changed()

    def set_live(self, build: Callable[[], Any]) -> None:
        """A part's live result stays with the part (the task shows its own)."""
        self.live = build


Work = Callable[[TaskContext], Awaitable[Any]]
# (service, operation, stored partial result) -> the result as a crash left it, ended
Interrupted = Callable[[str, str, Any], Any]


class TaskManager:
    def __init__(
        self, store: Store, retention_seconds: int, shared: bool = False, dead_after_seconds: float = 5.0
    ) -> None:
        self.store = store
        self.retention = timedelta(seconds=retention_seconds)
        self.worker_id = secrets.token_hex(8)
        self.shared = shared  # other workers share the store: they read our partial results sooner
        self.dead_after = timedelta(seconds=dead_after_seconds)
        self.result_flush_every = 1.0 if shared else _RESULT_FLUSH_EVERY
        self.interrupted: Interrupted | None = None  # set by recover(): ends a crashed run's stored result
        # created, running, ended: called in the transaction that writes it (the event log's row
        # goes with the task's, not in a transaction of its own)
        self.on_transition: list[Callable[[Connection, TaskRecord], None]] = []
        self.keep_ended = KEEP_ENDED
        self._ended_since_purge = 0
        self.live: dict[str, TaskRecord] = {}
        self._runners: dict[str, asyncio.Task[None]] = {}
        self._last_result_flush: dict[str, float] = {}
        self._dirty: set[str] = set()  # running tasks whose progress the store has not seen yet
        self._canceled_early: set[str] = set()  # canceled while PENDING: they end before they run
        self._flusher: asyncio.TimerHandle | None = None
        self._stopping = False
        # ended tasks never change: keep the most recent ones out of the store's way
        self._ended: OrderedDict[str, TaskRecord] = OrderedDict()

    # -- lifecycle -----------------------------------------------------------

    def recover(self, interrupted: Interrupted | None = None) -> int:
        """At start: tasks that were running when their server stopped are FAILED
        (`interrupted` ends what their stored partial result says is still
        running) — alone on the store, all of them; sharing it, those of dead
        workers only. Ended tasks older than the retention are dropped. Returns how many failed."""
        self.interrupted = interrupted
        if self.shared:
            self.heartbeat()
        failed = self.sweep(everyone=not self.shared)
        self.purge()
        return failed

    def heartbeat(self) -> None:
        """This worker is alive (shared store)."""
        t = now()
        table = schema.workers
        with self.store.engine.begin() as conn:
            if not conn.execute(update(table).where(table.c.id == self.worker_id).values(heartbeat=t)).rowcount:
                conn.execute(table.insert().values(id=self.worker_id, started=t, heartbeat=t))

    def sweep(self, everyone: bool = False) -> int:
        """End FAILED the running tasks of workers that stopped (all of them when
        `everyone`): each row claimed by one sweeper, skipped by the others."""
        t = now()
        err = server_stopped()
        tasks = schema.tasks
        with self.store.engine.begin() as conn:
            query = select(
                tasks.c.id, tasks.c.service, tasks.c.operation, tasks.c.start_time, tasks.c.progress, tasks.c.result
            ).where(tasks.c.status.in_(RUNNING_STATES))
            if not everyone:
                alive = select(schema.workers.c.id).where(schema.workers.c.heartbeat >= t - self.dead_after)
                query = query.where((tasks.c.worker.is_(None)) | (tasks.c.worker.not_in(alive)))
            stale = conn.execute(query.with_for_update(skip_locked=True)).all()
            for row in stale:
                result = row.result
                if result is not None and self.interrupted is not None:
                    result = self.interrupted(row.service, row.operation, result)
                conn.execute(
                    update(tasks)
                    .where(tasks.c.id == row.id)
                    .values(
                        status="FAILED",
                        start_time=row.start_time or t,
                        end_time=t,
                        progress=row.progress
                        or {
                            "total": 100,
                            "completed": 0,
                            "message": {"id": PROGRESS_ID, "default_message": "Failed", "args": []},
                        },
                        error={"id": err.error_id, "value": err.as_value()},
                        result=result,
                    )
                )
            ended = [row.id for row in stale]
            if ended:
                conn.execute(delete(schema.task_locks).where(schema.task_locks.c.task.in_(ended)))
            running = select(tasks.c.id).where(tasks.c.status.in_(RUNNING_STATES))
            conn.execute(delete(schema.task_locks).where(schema.task_locks.c.task.not_in(running)))
            if not everyone:  # workers long gone leave no rows behind
                conn.execute(delete(schema.workers).where(schema.workers.c.heartbeat < t - 10 * self.dead_after))
        if ended:
            log.warning("%d task(s) of stopped workers ended FAILED", len(ended))
        return len(ended)

    def cancel_requests(self) -> None:
        """Cancel this worker's tasks that another worker was asked to cancel."""
        tasks = schema.tasks
        with self.store.engine.connect() as conn:
            ids = conn.execute(
                select(tasks.c.id).where(
                    tasks.c.worker == self.worker_id, tasks.c.cancel_requested, tasks.c.status.in_(RUNNING_STATES)
                )
            ).scalars()
            for task_id in ids:
                self.cancel(task_id)

    async def keep_alive(self, every: float) -> None:
        """A shared store's worker: heartbeat, act on cancel requests, end the
        tasks of dead workers; every `every` seconds until stopped."""
        while True:
            try:
                await asyncio.to_thread(self._keep_alive_once)
            except Exception:  # the store may be away a moment: the next round retries
                log.warning("worker heartbeat failed", exc_info=True)
            await asyncio.sleep(every)

    def _keep_alive_once(self) -> None:
        self.heartbeat()
        self.cancel_requests()
        self.sweep()

    def purge(self) -> None:
        """Drop ended tasks older than the retention, and all but the newest KEEP_ENDED ended ones."""
        cutoff = now() - self.retention
        t = schema.tasks
        with self.store.engine.begin() as conn:
            conn.execute(delete(t).where(t.c.end_time < cutoff))
            oldest_kept = conn.execute(
                select(t.c.end_time)
                .where(t.c.end_time.is_not(None))
                .order_by(t.c.end_time.desc())
                .offset(self.keep_ended - 1)
                .limit(1)
            ).scalar()
            if oldest_kept is not None:
                conn.execute(delete(t).where(t.c.end_time < oldest_kept))
                cutoff = max(cutoff, aware(oldest_kept))
        for tid in [t for t, r in self._ended.items() if r.end_time and r.end_time < cutoff]:
            del self._ended[tid]

    def _purge_now_and_then(self) -> None:
        self._ended_since_purge += 1
        if self._ended_since_purge < _PURGE_EVERY:
            return
        self._ended_since_purge = 0
        asyncio.get_running_loop().run_in_executor(None, self._purge_quietly)  # beside the loop

    def _purge_quietly(self) -> None:
        try:
            self.purge()
        except Exception:  # the store is busy: the next round purges
            log.warning("could not purge ended tasks", exc_info=True)

    async def shutdown(self) -> None:
        """A clean stop ends running tasks FAILED, saying the server stopped."""
        self._stopping = True
        if self._flusher is not None:
            self._flusher.cancel()
            self._flusher = None
        runners = list(self._runners.values())
        for r in runners:
            r.cancel()
        if runners:
            await asyncio.gather(*runners, return_exceptions=True)

    # -- creating and running --------------------------------------------------

    def start(
        self,
        *,
        service: str,
        operation: str,
        description: Message,
        work: Work,
        target: tuple[str, str] | None = None,
        user: str | None = None,
        result_td: TD | None = None,
        cancelable: bool = False,
        locks: Sequence[tuple[str, str]] = (),
    ) -> str:
        """Start `work` as a task; with `locks`, only if no other task holds
        any of those clusters or hosts (else TargetBusy), atomically."""
        record = TaskRecord(
            id=f"{uuid.uuid4()}:{service}",
            service=service,
            operation=operation,
            description=description,
            target=target,
            user=user,
            cancelable=cancelable,
            result_td=result_td,
        )
        # a failed write leaves no trace: nothing is registered yet
        self._write(record, insert=True, locks=locks, transition=True)
        self.live[record.id] = record
        # the work outlives the request that started it: it must not read the request's versions
        self._runners[record.id] = asyncio.get_running_loop().create_task(
            self._run(record, work), context=outside_request()
        )
        return record.id

    async def _run(self, record: TaskRecord, work: Work) -> None:
        try:
            await asyncio.sleep(0)  # let the caller see the task PENDING first
            if record.id in self._canceled_early:  # a coroutine canceled before its first step never runs
                raise asyncio.CancelledError()
            record.status = "RUNNING"
            record.start_time = now()
            record.progress = (100, 0, Message(PROGRESS_ID, "Running"))
            self._write(record, transition=True)
            await asyncio.sleep(0)  # the work in a turn of its own: requests waiting meanwhile go first
            result = await work(TaskContext(self, record))
            record.result = result if result is not None else record.result
            record.status = "SUCCEEDED"
            total = record.progress[0] if record.progress else 100
            if record.progress is None or record.progress[1] < total:  # else the work's own last word stays
                record.progress = (total, total, Message(PROGRESS_ID, "Done"))
        except TaskFailed as failed:
            record.status, record.error = "FAILED", failed.error
            if failed.result is not None:
                record.result = failed.result
        except VapiError as err:
            record.status, record.error = "FAILED", err
        except asyncio.CancelledError:
            record.status = "FAILED"
            record.error = (
                server_stopped()
                if self._stopping
                else VapiError("canceled", [Message(f"{VLCMSIM}.tasks.Canceled", "The task was canceled.")])
            )
        except Exception as exc:  # a bug in the work must not leave the task RUNNING
            log.exception("task %s failed", record.id)
            record.status, record.error = "FAILED", internal_error(f"Internal error: {exc}")
        finally:
            if record.error is not None:  # every reader of the task sees its error, read-only users too
                record.error = _redacted(record.error)
            if record.live is not None:  # ended without a final result: its last live one stays
                if record.result is None:
                    record.result = record.live()
                record.live = None
            record.end_time = now()
            if record.start_time is None:  # canceled before its first step: it started as it ended
                record.start_time = record.end_time
            if record.status == "FAILED" and record.progress:
                total, completed, _ = record.progress
                record.progress = (total, completed, Message(PROGRESS_ID, "Failed"))
            self._write(record, unlock=True, transition=True)
            self._remember(record)
            self.live.pop(record.id, None)
            self._runners.pop(record.id, None)
            self._last_result_flush.pop(record.id, None)
            self._dirty.discard(record.id)
            self._canceled_early.discard(record.id)
            self._purge_now_and_then()

    def _transitioned(self, conn: Connection, record: TaskRecord) -> None:
        for listener in self.on_transition:
            try:
                listener(conn, record)
            except Exception:  # a listener's failure is not the task's
                log.warning("a listener of task %s failed", record.id, exc_info=True)

    def cancel(self, task_id: str) -> bool:
        """Stop a running task: it ends FAILED, canceled — at once when it runs
        in this process, at its worker's next heartbeat when it runs in another.
        False when it is not running."""
        runner = self._runners.get(task_id)
        if runner:
            record = self.live.get(task_id)
            if record is not None and record.status == "PENDING":
                self._canceled_early.add(task_id)
            else:
                runner.cancel()
            return True
        tasks = schema.tasks
        with self.store.engine.begin() as conn:
            done = conn.execute(
                update(tasks)
                .where(tasks.c.id == task_id, tasks.c.status.in_(RUNNING_STATES), tasks.c.worker.is_not(None))
                .values(cancel_requested=True)
            ).rowcount
        return bool(done)

    # -- reading -------------------------------------------------------------

    def get(self, task_id: str) -> TaskRecord | None:
        record = self.live.get(task_id) or self._ended.get(task_id)
        if record is None:
            record = self._load(task_id)
            if record is not None and record.status in ("SUCCEEDED", "FAILED"):
                self._remember(record)
        return record

    def _remember(self, record: TaskRecord) -> None:
        self._ended[record.id] = record
        if len(self._ended) > _ENDED_CACHE:
            self._ended.popitem(last=False)

    def running_on(self, target: tuple[str, str]) -> TaskRecord | None:
        """A task of this or another process still running on `target`."""
        for r in self.live.values():
            if r.target == target and r.status in ("PENDING", "RUNNING"):
                return r
        if not self.shared:  # alone on its store, every running task is one of this process's
            return None
        t = schema.tasks
        with self.store.engine.connect() as conn:
            # their targets alone: 100 stage tasks starting at once each looked at every running
            # task's whole row, results of 100 hosts included
            running = conn.execute(select(t.c.id, t.c.target).where(t.c.status.in_(RUNNING_STATES))).all()
            found = next((r.id for r in running if r.target and tuple(r.target) == target), None)
            row = conn.execute(select(t).where(t.c.id == found)).first() if found is not None else None
        return _record(row) if row is not None and row.status in RUNNING_STATES else None

    def list(
        self,
        *,
        services: set[str] | None = None,
        statuses: set[str] | None = None,
        users: set[str] | None = None,
        ids: set[str] | None = None,
        since: datetime | None = None,
        limit: int = MAX_LISTED,
    ) -> list[TaskRecord]:
        """The newest `limit` tasks matching every given condition (`since`: running, or
        created or ended since then), oldest first. The filter runs in the store: a
        listing never loads every task kept."""
        t = schema.tasks
        q = select(t.c.id, t.c.status)
        if services:
            q = q.where(t.c.service.in_(services))
        if statuses:
            q = q.where(t.c.status.in_(statuses))
        if users:
            q = q.where(t.c.user.in_(users))
        if ids:
            q = q.where(t.c.id.in_(ids))
        if since is not None:
            q = q.where(t.c.status.in_(RUNNING_STATES) | (t.c.end_time >= since) | (t.c.created_time >= since))
        q = q.order_by(t.c.created_time.desc()).limit(limit)
        with self.store.engine.connect() as conn:
            matching = list(reversed(conn.execute(q).all()))
            # ended tasks never change: those decoded before are not read (nor decoded) again
            known = {r.id: found for r in matching if (found := self.live.get(r.id) or self._ended.get(r.id))}
            wanted = [r.id for r in matching if r.id not in known]
            rows = conn.execute(select(t).where(t.c.id.in_(wanted))).all() if wanted else []
        for row in rows:
            record = _record(row)
            known[record.id] = record
            if record.status in ("SUCCEEDED", "FAILED"):
                self._remember(record)
        return [known[r.id] for r in matching if r.id in known]

    def _load(self, task_id: str) -> TaskRecord | None:
        row = self.store.read(_ONE_TASK, {"id": task_id})
        return _record(row) if row else None

    # -- persistence ---------------------------------------------------------

    def save(self, record: TaskRecord) -> None:
        """Insert a record as it is (tools and tests that prepare a store)."""
        self._write(record, insert=True)

    def _flush_soon(self, record: TaskRecord) -> None:
        """Write the running task's progress within `_FLUSH_EVERY`: every task
        that changed meanwhile in one transaction (100 tasks staging at once
        cost one commit, not a hundred)."""
        self._dirty.add(record.id)
        if self._flusher is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # no loop (a tool preparing a store): at once
                self._flush_dirty()
                return
            self._flusher = loop.call_later(_FLUSH_EVERY, self._flush_dirty)

    def _flush_dirty(self) -> None:
        self._flusher = None
        t = time.monotonic()
        records = [r for i in self._dirty if (r := self.live.get(i)) is not None]
        self._dirty.clear()
        if not records:
            return
        try:
            self._write_running(records, t)
        except Exception:  # the store cannot take it now: the next change writes again
            log.warning("could not write the progress of %d running task(s)", len(records), exc_info=True)

    def _write_running(self, records: Sequence[TaskRecord], t: float) -> None:
        # partial results due, the longest waiting first, a few per write: a
        # hundred tasks started together do not all encode their results at once
        due = sorted(
            (r for r in records if t - self._last_result_flush.get(r.id, 0.0) >= self.result_flush_every),
            key=lambda r: self._last_result_flush.get(r.id, 0.0),
        )[:_RESULTS_PER_FLUSH]
        with_results = {r.id for r in due}
        for record in due:
            self._last_result_flush[record.id] = t
        # one statement per kind of row, its rows all at once (500 running tasks: one call, not 500)
        rows = [{"task_id": r.id, **self._values(r, r.id in with_results)} for r in records]
        with self.store.engine.begin() as conn:
            for kind in ([row for row in rows if "result" not in row], [row for row in rows if "result" in row]):
                if kind:
                    conn.execute(_UPDATE_TASK, kind)
        changes.notify()

    def _write(
        self,
        record: TaskRecord,
        insert: bool = False,
        with_result: bool = True,
        locks: Sequence[tuple[str, str]] = (),
        unlock: bool = False,
        transition: bool = False,
    ) -> None:
        """The record's row written; with `transition`, its status changed: the listeners write
        in the same transaction and the change is logged once it is committed."""
        values = self._values(record, with_result or insert)
        if locks:
            try:
                with self.store.engine.begin() as conn:
                    self._insert(conn, record, values)
                    conn.execute(
                        _INSERT_LOCK,
                        [{"target_type": kind, "target_id": id_, "task": record.id} for kind, id_ in locks],
                    )
                    if transition:
                        self._transitioned(conn, record)
            except IntegrityError:
                raise TargetBusy(self._holder(locks)) from None
        else:
            with self.store.engine.begin() as conn:
                if insert:
                    self._insert(conn, record, values)
                else:
                    conn.execute(_UPDATE_TASK, {"task_id": record.id, **values})
                if unlock:
                    conn.execute(_UNLOCK, {"task_id": record.id})
                if transition:
                    self._transitioned(conn, record)
        if transition:
            _transition(record)
        changes.notify()  # a vim25 client waiting on this task's info is woken

    def _holder(self, locks: Sequence[tuple[str, str]]) -> TaskRecord | None:
        table = schema.task_locks
        for kind, id_ in locks:
            with self.store.engine.connect() as conn:
                task_id = conn.execute(
                    select(table.c.task).where(table.c.target_type == kind, table.c.target_id == id_)
                ).scalar()
            if task_id is not None:
                return self.get(task_id)
        return None

    def _insert(self, conn: Connection, record: TaskRecord, values: dict[str, Any]) -> None:
        conn.execute(
            _INSERT_TASK,
            {
                "id": record.id,
                "service": record.service,
                "operation": record.operation,
                "description": record.description.as_value(),
                "target": list(record.target) if record.target else None,
                "user": record.user,
                "cancelable": record.cancelable,
                "result_type": record.result_td,
                "created_time": record.created_time,
                "worker": self.worker_id,
                **values,
            },
        )

    @staticmethod
    def _values(record: TaskRecord, with_result: bool) -> dict[str, Any]:
        """The columns of a task row that change as it runs."""
        values: dict[str, Any] = {
            "status": record.status,
            "progress": None,
            "error": None,
            "start_time": record.start_time,
            "end_time": record.end_time,
        }
        if record.progress:
            total, completed, message = record.progress
            values["progress"] = {"total": total, "completed": completed, "message": message.as_value()}
        if with_result:
            result = record.current_result()
            values["result"] = None
            if result is not None and record.result_td is not None:
                values["result"] = encode(record.result_td, result, CLEAN)
        if record.error is not None:
            values["error"] = {"id": record.error.error_id, "value": record.error.as_value()}
        return values


def _redacted(error: VapiError) -> VapiError:
    """The error without the passwords of the locations it names."""
    messages = [Message(m.id, redact(m.default_message), tuple(redact(a) for a in m.args)) for m in error.messages]
    return VapiError(error.name, messages, redact_value(error.data))


def _transition(record: TaskRecord) -> None:
    if transitions.isEnabledFor(logging.INFO):
        transitions.info(
            "task %s %s.%s %s",
            record.id,
            record.service,
            record.operation,
            record.status,
            extra={
                "fields": {
                    "task": record.id,
                    "service": record.service,
                    "operation": record.operation,
                    "status": record.status,
                    "error": record.error.text if record.error else None,
                }
            },
        )


def server_stopped() -> VapiError:
    return VapiError(
        "error",
        [
            Message(
                f"{VLCMSIM}.tasks.ServerStopped",
                "The server stopped while the task was running; the task did not complete.",
            )
        ],
    )


def _message(v: dict[str, Any]) -> Message:
    return Message(v["id"], v["default_message"], tuple(v.get("args") or ()))


def _aware(dt: datetime | None) -> datetime | None:
    return aware(dt) if dt is not None else None


def _record(r: Any) -> TaskRecord:
    progress = None
    if r.progress:
        progress = (r.progress["total"], r.progress["completed"], _message(r.progress["message"]))
    result = None
    if r.result is not None and r.result_type is not None:
        result = from_clean(r.result_type, r.result)
    error = VapiError.from_value(r.error["id"], r.error["value"]) if r.error else None
    return TaskRecord(
        id=r.id,
        service=r.service,
        operation=r.operation,
        description=_message(r.description),
        target=(r.target[0], r.target[1]) if r.target else None,
        user=r.user,
        cancelable=r.cancelable,
        result_td=r.result_type,
        status=r.status,
        progress=progress,
        result=result,
        error=error,
        start_time=_aware(r.start_time),
        end_time=_aware(r.end_time),
        created_time=_aware(r.created_time) or now(),
    )
