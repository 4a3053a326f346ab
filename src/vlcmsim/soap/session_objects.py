"""The objects a SOAP session makes and that live as long as it: property
collectors and their filters, list views, task and event history collectors,
and the continuation tokens of paged retrievals. Each belongs to its session:
another session naming one gets ManagedObjectNotFound (or InvalidArgument
for a token). Container views need no state here: their id is their definition.

These live in the process that made them (as vCenter keeps them in its own
memory): with several API workers a client keeps its connection, as pyVmomi
and govc do."""

from __future__ import annotations

import asyncio
import base64
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from vlcmsim.soap.collector import FilterState
from vlcmsim.soap.vim import moid, vim, vmodl

MAX_PER_SESSION = 256  # collectors, filters, views, history collectors (vCenter caps them too)
MAX_TOKENS = 1000
DEFAULT_COLLECTOR = "propertyCollector"


@dataclass
class Collector:
    session: str
    ref: Any
    filters: dict[str, FilterState] = field(default_factory=dict)
    version: int = 0
    canceled: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class History:
    """A TaskHistoryCollector or EventHistoryCollector: its filter, page size and read position."""

    session: str
    ref: Any
    spec: Any
    page_size: int = 10
    position: int | None = None  # index of the next item ReadNext returns (None: rewound)


@dataclass
class ListView:
    session: str
    ref: Any
    view: list[Any] = field(default_factory=list)


class SessionObjects:
    def __init__(self) -> None:
        self.collectors: dict[tuple[str, str], Collector] = {}
        self.filters: dict[str, tuple[Collector, FilterState]] = {}
        self.histories: dict[str, History] = {}
        self.list_views: dict[str, ListView] = {}
        self.tokens: OrderedDict[str, tuple[str, list[list[Any]]]] = OrderedDict()

    def _count(self, session: str) -> int:
        return (
            sum(1 for c in self.collectors.values() if c.session == session)
            + sum(1 for h in self.histories.values() if h.session == session)
            + sum(1 for v in self.list_views.values() if v.session == session)
        )

    def _check_room(self, session: str) -> None:
        if self._count(session) >= MAX_PER_SESSION:
            raise vim.fault.InvalidState(msg=f"A session may hold at most {MAX_PER_SESSION} collectors and views.")

    @staticmethod
    def new_id(prefix: str) -> str:
        return f"session[{secrets.token_hex(8)}]{prefix}{secrets.token_hex(4)}"

    # -- property collectors ----------------------------------------------------

    def collector(self, session: str, ref: Any) -> Collector:
        found = self.collectors.get((session, moid(ref)))
        if found is None:
            if moid(ref) != DEFAULT_COLLECTOR:
                raise not_found(ref)
            found = self.collectors[(session, DEFAULT_COLLECTOR)] = Collector(session, ref)
        return found

    def create_collector(self, session: str) -> Any:
        self._check_room(session)
        ref = vmodl.query.PropertyCollector(self.new_id("pc"))
        self.collectors[(session, moid(ref))] = Collector(session, ref)
        return ref

    def destroy_collector(self, session: str, ref: Any) -> None:
        collector = self.collector(session, ref)
        collector.canceled.set()
        for filter_id in list(collector.filters):
            self.filters.pop(filter_id, None)
        if moid(ref) != DEFAULT_COLLECTOR:
            del self.collectors[(session, moid(ref))]

    def add_filter(self, collector: Collector, spec: Any, partial: bool) -> Any:
        ref = vmodl.query.PropertyCollector.Filter(self.new_id("filter"))
        state = FilterState(ref, spec, partial)
        collector.filters[moid(ref)] = state
        self.filters[moid(ref)] = (collector, state)
        return ref

    def filter(self, session: str, ref: Any) -> tuple[Collector, FilterState]:
        found = self.filters.get(moid(ref))
        if found is None or found[0].session != session:
            raise not_found(ref)
        return found

    def destroy_filter(self, session: str, ref: Any) -> None:
        collector, _ = self.filter(session, ref)
        collector.filters.pop(moid(ref), None)
        self.filters.pop(moid(ref), None)

    # -- views and history collectors ---------------------------------------------

    def create_list_view(self, session: str, objects: list[Any]) -> Any:
        self._check_room(session)
        ref = vim.view.ListView(self.new_id("lv"))
        self.list_views[moid(ref)] = ListView(session, ref, list(objects))
        return ref

    def list_view(self, ref: Any, session: str | None = None) -> ListView:
        found = self.list_views.get(moid(ref))
        if found is None or (session is not None and found.session != session):
            raise not_found(ref)
        return found

    def create_history(self, session: str, ref: Any, spec: Any) -> Any:
        self._check_room(session)
        self.histories[moid(ref)] = History(session, ref, spec)
        return ref

    def history(self, ref: Any, session: str | None = None) -> History:
        found = self.histories.get(moid(ref))
        if found is None or (session is not None and found.session != session):
            raise not_found(ref)
        return found

    def destroy(self, ref: Any, session: str) -> None:
        value = moid(ref)
        for table in (self.histories, self.list_views):
            item = table.get(value)
            if item is not None and item.session == session:
                del table[value]

    # -- paged retrievals ------------------------------------------------------------

    def keep_pages(self, session: str, pages: list[list[Any]]) -> str:
        token = base64.urlsafe_b64encode(secrets.token_bytes(12)).decode()
        if len(self.tokens) >= MAX_TOKENS:
            self.tokens.popitem(last=False)
        self.tokens[token] = (session, pages)
        return token

    def next_page(self, session: str, token: str) -> tuple[list[Any], str | None]:
        found = self.tokens.get(token)
        if found is None or found[0] != session:  # a token is its session's alone
            raise vmodl.fault.InvalidArgument(
                msg="The token is not known to this session (or its results were all read).",
                invalidProperty="token",
            )
        pages = found[1]
        page = pages.pop(0)
        if not pages:
            del self.tokens[token]
            return page, None
        return page, token

    def cancel_pages(self, session: str, token: str) -> None:
        found = self.tokens.get(token)
        if found is not None and found[0] == session:
            del self.tokens[token]

    def forget_session(self, session: str) -> None:
        """A session that ended takes its objects with it."""
        for k in [k for k, c in self.collectors.items() if c.session == session]:
            self.collectors[k].canceled.set()
            for filter_id in self.collectors[k].filters:
                self.filters.pop(filter_id, None)
            del self.collectors[k]
        for table in (self.histories, self.list_views):
            for name in [n for n, v in table.items() if v.session == session]:
                del table[name]
        for token in [t for t, v in self.tokens.items() if v[0] == session]:
            del self.tokens[token]


def not_found(ref: Any) -> Exception:
    fault: Exception = vmodl.fault.ManagedObjectNotFound(
        msg=f"The object '{type(ref).__name__.rsplit('.', 1)[-1]}:{moid(ref)}' has already been deleted or has not "
        "been completely created",
        obj=ref,
    )
    return fault
