"""Task and event history: TaskManager.CreateCollectorForTasks and
EventManager.CreateCollectorForEvents / QueryEvents, their collectors' pages
(latestPage, ReadNext…, ReadPrevious…, Rewind, Reset, page size), read live
from the store's tasks and event log through each collector's filter."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vlcmsim.soap import tasks
from vlcmsim.soap.events import event
from vlcmsim.soap.properties import prop
from vlcmsim.soap.services import caller
from vlcmsim.soap.session_objects import History, SessionObjects
from vlcmsim.soap.tree import refs
from vlcmsim.soap.vim import moid, vim, vmodl, wsdl_name
from vlcmsim.soap.world import World

if TYPE_CHECKING:
    from vlcmsim.soap.endpoint import Context
    from vlcmsim.soap.wire import Call

MAX_PAGE = 1000


def _entity_ids(w: World, entity_spec: Any) -> set[str] | None:
    """The ids a filter's entity (and its recursion) covers; None: every entity."""
    if entity_spec is None or entity_spec.entity is None:
        return None
    root = entity_spec.entity
    recursion = entity_spec.recursion or "self"
    if recursion == "all" and isinstance(root, vim.Folder) and moid(root) == moid(refs.root()):
        return None  # the whole inventory, and what names no entity (logins)
    if recursion == "self":
        return {moid(root)}
    children = w.tree.below(root)
    if recursion == "children":
        return {moid(c) for c in children}
    ids = {moid(root)} if recursion == "all" else set()
    pending = list(children)
    while pending:
        obj = pending.pop()
        if moid(obj) in ids:
            continue
        ids.add(moid(obj))
        pending.extend(w.tree.below(obj))
    return ids


def matching_tasks(w: World, spec: Any) -> list[Any]:
    ids = _entity_ids(w, spec.entity if spec is not None else None)
    states = set(spec.state or []) if spec is not None else set()
    begin = spec.time.beginTime if spec is not None and spec.time is not None else None
    end = spec.time.endTime if spec is not None and spec.time is not None else None
    out = []
    for record in w.tasks.list(since=begin):
        if ids is not None and (record.target is None or record.target[1] not in ids):
            continue
        info = tasks.info(w, record)
        if states and info.state not in states:
            continue
        when = record.start_time or record.created_time
        if (begin and when < begin) or (end and when > end):
            continue
        out.append(info)
    return out


def matching_events(w: World, spec: Any, limit: int = 10_000) -> list[Any]:
    ids = _entity_ids(w, spec.entity if spec is not None else None)
    kinds = None
    if spec is not None and (spec.eventTypeId or spec.type):
        kinds = set(spec.eventTypeId or []) | {wsdl_name(t) for t in spec.type or []}
    users = set(spec.userName.userList or []) if spec is not None and spec.userName is not None else None
    begin = spec.time.beginTime if spec is not None and spec.time is not None else None
    end = spec.time.endTime if spec is not None and spec.time is not None else None
    found = w.events.query(
        entities=ids, kinds=kinds, users=users or None, begin=begin, end=end, limit=limit, newest_first=False
    )
    return [event(w, e) for e in found]


class Histories:
    def __init__(self, world: World, objects: SessionObjects) -> None:
        self.world = world
        self.objects = objects

    def items(self, h: History) -> list[Any]:
        if isinstance(h.ref, vim.TaskHistoryCollector):
            return matching_tasks(self.world, h.spec)
        return matching_events(self.world, h.spec)


def _histories(ctx: Context) -> Histories:
    return ctx.endpoint.histories


def create_task_collector(ctx: Context, call: Call) -> Any:
    ref = vim.TaskHistoryCollector(SessionObjects.new_id("tasks"))
    return ctx.objects.create_history(ctx.sid, ref, call.args.get("filter"))


def create_event_collector(ctx: Context, call: Call) -> Any:
    ref = vim.event.EventHistoryCollector(SessionObjects.new_id("events"))
    return ctx.objects.create_history(ctx.sid, ref, call.args.get("filter"))


def query_events(ctx: Context, call: Call) -> Any:
    return matching_events(ctx.world, call.args.get("filter"))


def _read(ctx: Context, call: Call, forward: bool) -> Any:
    h = ctx.objects.history(call.this, ctx.sid)
    size = max(0, min(int(call.args.get("maxCount") or 0), MAX_PAGE))
    items = _histories(ctx).items(h)
    if forward:
        start = 0 if h.position is None else h.position
        page = items[start : start + size]
        h.position = start + len(page)
    else:
        stop = len(items) if h.position is None else h.position
        start = max(0, stop - size)
        page = items[start:stop]
        h.position = start
    return page


def read_next(ctx: Context, call: Call) -> Any:
    return _read(ctx, call, True)


def read_previous(ctx: Context, call: Call) -> Any:
    return _read(ctx, call, False)


def rewind(ctx: Context, call: Call) -> Any:
    ctx.objects.history(call.this, ctx.sid).position = 0
    return None


def reset(ctx: Context, call: Call) -> Any:
    h = ctx.objects.history(call.this, ctx.sid)
    h.position = len(_histories(ctx).items(h))
    return None


def set_page_size(ctx: Context, call: Call) -> Any:
    size = int(call.args.get("maxCount") or 0)
    if size < 0 or size > MAX_PAGE:
        raise vmodl.fault.InvalidArgument(msg=f"A page holds 0 to {MAX_PAGE} items.", invalidProperty="maxCount")
    ctx.objects.history(call.this, ctx.sid).page_size = size
    return None


def destroy(ctx: Context, call: Call) -> Any:
    ctx.objects.destroy(call.this, ctx.sid)
    return None


def _history(w: World, obj: Any) -> History:
    c = caller.get()
    if w.objects is None:
        raise LookupError(moid(obj))
    try:
        return w.objects.history(obj, c.session.id if c and c.session else None)
    except vmodl.fault.ManagedObjectNotFound:
        raise LookupError(moid(obj)) from None


def _latest(w: World, obj: Any) -> list[Any]:
    found = _history(w, obj)
    items = (
        matching_tasks(w, found.spec) if isinstance(obj, vim.TaskHistoryCollector) else matching_events(w, found.spec)
    )
    return items[-found.page_size :] if found.page_size else []


prop(vim.TaskHistoryCollector, "latestPage")(_latest)
prop(vim.event.EventHistoryCollector, "latestPage")(_latest)


@prop(vim.HistoryCollector, "filter")
def _filter(w: World, obj: Any) -> Any:
    return _history(w, obj).spec


METHODS = {
    "CreateCollectorForTasks": create_task_collector,
    "CreateCollectorForEvents": create_event_collector,
    "QueryEvents": query_events,
    "ReadNextTasks": read_next,
    "ReadPreviousTasks": read_previous,
    "ReadNextEvents": read_next,
    "ReadPreviousEvents": read_previous,
    "RewindCollector": rewind,
    "ResetCollector": reset,
    "SetCollectorPageSize": set_page_size,
    "DestroyCollector": destroy,
}
