"""Online depots and UMDS (esx.settings.depots.online, .umds), their content,
and the sync of them all (esx.settings.depots.sync$task, .sync_schedule)."""

from __future__ import annotations

import asyncio
import posixpath
from typing import Any
from urllib.parse import urlparse

from vlcmsim.backend import Backend, Call
from vlcmsim.depot.locations import location_problem, masked
from vlcmsim.depot.model import DepotContent
from vlcmsim.depot.reader import BundleError
from vlcmsim.depot.repository import Depot
from vlcmsim.depot.sync import Abort
from vlcmsim.ids import VLCMSIM
from vlcmsim.lifecycle import errors
from vlcmsim.lifecycle.values import offline_content
from vlcmsim.redact import redact
from vlcmsim.services.common import start_done_task, start_task
from vlcmsim.services.esx_settings.depots import check_deletable
from vlcmsim.tasks.manager import TaskContext, TaskFailed, Work
from vlcmsim.vapi.codec import now
from vlcmsim.vapi.errors import Message
from vlcmsim.vapi.operations import OperationSet, Privilege

ops = OperationSet()

ONLINE = "com.vmware.esx.settings.depots.online"
UMDS = "com.vmware.esx.settings.depots.umds"
DEPOTS = "com.vmware.esx.settings.depots"
W = Privilege.WRITE


def _check_location(location: str) -> None:
    problem = location_problem(location)
    if problem is not None:
        raise errors.depot_location_invalid(location, problem)


def _info(call: Call, d: Depot) -> dict[str, Any]:
    writer = call.user is not None and call.user.can_write
    return {
        "description": d.description,
        "location": d.location if writer else masked(d.location),
        "enabled": d.enabled,
        "system_defined": False,
        "owner": d.owner,
        "ownerdata": d.ownerdata,
    }


def _require_online(call: Call, depot: str, kind: str = "ONLINE") -> Depot:
    d = call.backend.depots.get(depot)
    if d is None or d.source_type != kind:
        raise errors.depot_not_found(depot)
    return d


def _content(d: Depot) -> dict[str, Any]:
    name = posixpath.basename(urlparse(d.location or "").path.rstrip("/")) or "index.xml"
    return offline_content(name, d.content)


def _add(call: Call, spec: dict[str, Any], source_type: str) -> str:
    """An online depot or the UMDS depot, empty until the next sync reads it."""
    location = spec["location"]
    return call.backend.depots.add(
        DepotContent(),
        description=spec.get("description") or "",
        location=location,
        file_name=posixpath.basename(urlparse(location).path) or "index.xml",
        owner=call.user_name,
        create_time=now(),
        source_type=source_type,
        enabled=spec.get("enabled", True) is not False,
        ownerdata=spec.get("ownerdata"),
    )


# -- online depots ------------------------------------------------------------------


@ops.operation(ONLINE, "create", W)
async def create_online(call: Call, spec: dict[str, Any]) -> str:
    """A depot to sync from; nothing is read before the next sync (as vCenter does)."""
    location = spec["location"]
    _check_location(location)
    depots = call.backend.depots
    known = next((d for d in depots.list() if d.online and d.location == location), None)
    if known is not None:
        raise errors.depot_exists(known.id, location)
    return _add(call, spec, "ONLINE")


@ops.operation(ONLINE, "list")
async def list_online(call: Call) -> dict[str, Any]:
    return {d.id: _info(call, d) for d in call.backend.depots.list() if d.source_type == "ONLINE"}


@ops.operation(ONLINE, "get")
async def get_online(call: Call, depot: str) -> dict[str, Any]:
    return _info(call, _require_online(call, depot))


@ops.operation(ONLINE, "update", W)
async def update_online(call: Call, depot: str, spec: dict[str, Any]) -> None:
    _require_online(call, depot)
    changes = {k: spec[k] for k in ("enabled", "description") if spec.get(k) is not None}
    if changes:
        call.backend.depots.update(depot, **changes)


@ops.operation(ONLINE, "delete", W)
async def delete_online(call: Call, depot: str, spec: dict[str, Any] | None = None) -> None:
    d = _require_online(call, depot)
    check_deletable(call, d, force=bool((spec or {}).get("force")))
    call.backend.depots.delete(depot)


@ops.operation(ONLINE, "delete$task", W)
async def delete_online_task(call: Call, depot: str, spec: dict[str, Any] | None = None) -> str:
    await delete_online(call, depot, spec)  # checks and deletes before the task: nothing long to do

    return start_done_task(call, "Delete online depot")


@ops.operation(ONLINE, "flush$task", W)
async def flush_online(call: Call, depot: str, spec: dict[str, Any] | None = None) -> str:
    """Forget what was synced from the depot: its metadata, and the payloads no
    other depot holds (the next sync brings them back)."""
    d = _require_online(call, depot)
    check_deletable(call, d, force=bool((spec or {}).get("force")))
    backend = call.backend

    async def work(ctx: TaskContext) -> None:
        gone = backend.depots.exclusive_payloads(depot)
        backend.depots.set_content(depot, DepotContent())
        for sha in gone:
            backend.payloads.remove(sha)

    return start_task(call, work, description="Flush online depot")


@ops.operation(f"{ONLINE}.content", "get")
async def get_online_content(call: Call, depot: str) -> dict[str, Any]:
    return _content(_require_online(call, depot))


# -- UMDS ----------------------------------------------------------------------------


def _umds(call: Call) -> Depot | None:
    return next((d for d in call.backend.depots.list() if d.source_type == "UMDS"), None)


def _require_umds(call: Call) -> Depot:
    d = _umds(call)
    if d is None:
        raise errors.umds_not_set()
    return d


@ops.operation(UMDS, "get")
async def get_umds(call: Call) -> dict[str, Any]:
    d = _require_umds(call)
    info = _info(call, d)
    return {k: info[k] for k in ("description", "enabled", "location", "owner")}


@ops.operation(UMDS, "set", W)
async def set_umds(call: Call, spec: dict[str, Any]) -> None:
    """The UMDS depot to sync from: set, or replaced (its synced content with it)."""
    location = spec["location"]
    _check_location(location)
    backend = call.backend
    old = _umds(call)
    if old is not None:
        if old.location == location:
            changes = {k: spec[k] for k in ("enabled", "description") if spec.get(k) is not None}
            if changes:
                backend.depots.update(old.id, **changes)
            return
        check_deletable(call, old, force=False)
        backend.depots.delete(old.id)

    _add(call, spec, "UMDS")


@ops.operation(UMDS, "update", W)
async def update_umds(call: Call, spec: dict[str, Any]) -> None:
    d = _require_umds(call)
    changes = {k: spec[k] for k in ("enabled", "description") if spec.get(k) is not None}
    if changes:
        call.backend.depots.update(d.id, **changes)


@ops.operation(UMDS, "delete", W)
async def delete_umds(call: Call) -> None:
    d = _require_umds(call)
    check_deletable(call, d, force=False)
    call.backend.depots.delete(d.id)


@ops.operation(UMDS, "delete$task", W)
async def delete_umds_task(call: Call) -> str:
    await delete_umds(call)

    return start_done_task(call, "Delete UMDS depot")


@ops.operation(f"{UMDS}.content", "get")
async def get_umds_content(call: Call) -> dict[str, Any]:
    return _content(_require_umds(call))


# -- sync ------------------------------------------------------------------------------


@ops.operation(DEPOTS, "sync$task", W)
async def sync(call: Call, spec: dict[str, Any] | None = None) -> str:
    work = sync_work(call.backend, bool((spec or {}).get("cleanup")))
    return start_task(call, work, description="Sync depots", cancelable=True)


def start_scheduled_sync(backend: Backend) -> str:
    """The sync the schedule starts (by no user); one at a time across the
    workers that share the store, each of which runs the schedule."""
    return backend.tasks.start(
        service=DEPOTS,
        operation="sync",
        description=Message(f"{DEPOTS}.sync", "Sync depots (scheduled)"),
        work=sync_work(backend, cleanup=False),
        target=None,
        user=None,
        result_td=None,
        cancelable=True,
        locks=[(f"{VLCMSIM}.ScheduledSync", "depots")],
    )


def sync_work(backend: Backend, cleanup: bool) -> Work:
    """Read every enabled online depot's metadata, then fetch the payloads the
    store lacks, in bytes of progress; a depot that fails is reported without
    losing what the others brought."""
    syncer = backend.syncer

    async def work(ctx: TaskContext) -> None:
        abort = Abort()
        try:
            await run(ctx, abort)
        except asyncio.CancelledError:  # its downloads stop now, their connections closed
            abort.abort()
            raise

    async def run(ctx: TaskContext, abort: Abort) -> None:
        failed: list[tuple[str, str]] = []
        plans = []
        before = {p.sha256 for d in syncer.online() for v in d.content.vibs for p in v.payloads}
        for depot in syncer.online():
            ctx.progress(0, 1, f"Reading the metadata of {depot.id}")
            try:
                await asyncio.to_thread(syncer.read_metadata, depot, abort)
            except (BundleError, OSError, ValueError) as exc:  # this depot's failure, not the others'
                failed.append((depot.id, redact(str(exc) or type(exc).__name__)))
                continue
            fresh = backend.depots.get(depot.id)
            if fresh is not None:
                plans.append((fresh, syncer.lacking(fresh)))
        total = sum(v.packed_size for _, vibs in plans for v in vibs)
        done = 0

        def moved(n: int) -> None:
            nonlocal done
            done += n
            ctx.progress(min(done, total), max(total, 1), f"Downloading: {done} of {total} bytes")

        loop = asyncio.get_running_loop()

        def moved_from_thread(n: int) -> None:
            loop.call_soon_threadsafe(moved, n)

        for depot, vibs in plans:
            if not vibs:
                continue
            try:
                await asyncio.to_thread(syncer.fetch, depot, vibs, moved_from_thread, abort)
            except (BundleError, OSError, ValueError) as exc:
                failed.append((depot.id, redact(str(exc) or type(exc).__name__)))
        if cleanup:  # payloads the online depots named before and no depot names now
            named = {p.sha256 for d in backend.depots.list() for v in d.content.vibs for p in v.payloads}
            for sha in before - named:
                backend.payloads.remove(sha)
        ctx.progress(max(total, 1), max(total, 1), f"Synced: {done} bytes downloaded")
        if failed:
            raise TaskFailed(errors.sync_failed(failed))

    return work


SCHEDULE = f"{DEPOTS}.sync_schedule"


@ops.operation(SCHEDULE, "get")
async def get_sync_schedule(call: Call) -> dict[str, Any]:
    return call.backend.sync_schedule.get()


@ops.operation(SCHEDULE, "set", W)
async def set_sync_schedule(call: Call, spec: dict[str, Any] | None = None) -> None:
    """Set the schedule; no spec at all sets vCenter's default again."""
    if spec is None:
        call.backend.sync_schedule.reset()
        return
    schedule = spec.get("schedule")
    if schedule is not None:
        for name, low, high in (("minute", 0, 59), ("hour", 0, 23), ("day_of_month", 1, 31), ("skip", 1, 10_000)):
            value = schedule.get(name)
            if value is not None and not low <= value <= high:
                raise errors.bad_schedule(f"{name} must be from {low} to {high}, not {value}")
    if spec.get("enabled") and schedule is None:
        raise errors.bad_schedule("an enabled schedule needs a schedule")
    for address in spec.get("email_addresses") or []:
        if "@" not in address or len(address) > 254:
            raise errors.bad_schedule(f"{address[:254]!r} is not an email address")
    call.backend.sync_schedule.set(spec)
