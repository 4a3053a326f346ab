"""Depot overrides of a cluster or standalone host (esx.settings.{clusters,hosts}.depot_overrides):
the depots its hosts take their lifecycle content from instead of vCenter's. A
stage or remediation of an owner with overrides reads each of them (as an online
depot: an index.xml over http(s) or file://) and a host can take only the
payloads they offer; the bytes themselves still come from vlcmsim's payload store."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from vlcmsim.backend import Backend, Call
from vlcmsim.depot.locations import location_problem, masked
from vlcmsim.depot.online import close_tree, open_tree, read_depot
from vlcmsim.ids import LIFECYCLE
from vlcmsim.lifecycle.runs import DepotOverrideUnreadable
from vlcmsim.redact import redact
from vlcmsim.services.esx_settings.common import for_owners, require_owner
from vlcmsim.vapi.errors import already_exists, invalid_argument, not_found
from vlcmsim.vapi.operations import OperationSet, Privilege

ops = OperationSet()
OVERRIDES = "depot_overrides"


@for_owners(ops, OVERRIDES, "get")
async def get_overrides(call: Call, owner: str) -> dict[str, Any]:
    require_owner(call, owner)
    return {"depots": [{"location": loc} for loc in call.backend.depot_overrides.of(owner)]}


@for_owners(ops, OVERRIDES, "add", Privilege.WRITE)
async def add_override(call: Call, owner: str, depot: dict[str, Any]) -> None:
    require_owner(call, owner)
    location = depot["location"]
    problem = location_problem(location)
    if problem is not None:
        raise invalid_argument(
            f"{LIFECYCLE}.InvalidDepotLocation",
            f"Depot location {masked(location)} is not valid: {problem}.",
            "location",
        )
    if not call.backend.depot_overrides.add(owner, location):
        raise already_exists(
            f"{LIFECYCLE}.DepotOverrideExists", f"{masked(location)} is already a depot override of {owner}.", owner
        )


@for_owners(ops, OVERRIDES, "remove", Privilege.WRITE)
async def remove_override(call: Call, owner: str, depot: dict[str, Any]) -> None:
    require_owner(call, owner)
    if not call.backend.depot_overrides.remove(owner, depot["location"]):
        raise not_found(
            f"{LIFECYCLE}.DepotOverrideNotFound",
            f"{masked(depot['location'])} is not a depot override of {owner}.",
            depot["location"],
        )


def offered_by_overrides(backend: Backend, owner: str) -> Callable[[], Awaitable[set[str]]] | None:
    """What a run of `owner` asks for its hosts' payloads: None when it has no
    overrides, else a coroutine function reading the payloads they offer."""
    locations = backend.depot_overrides.of(owner)
    if not locations:
        return None

    def read() -> set[str]:
        offered: set[str] = set()
        for location in locations:
            try:
                tree = open_tree(location, backend.settings.allowed_import_dirs, backend.fetcher.verify)
                try:
                    content = read_depot(tree)
                finally:
                    close_tree(tree)
            except Exception as exc:  # any failure of a remote depot: the hosts cannot use it
                why = redact(str(exc))  # the failure may quote the location, password and all
                raise DepotOverrideUnreadable(f"Depot override {masked(location)} cannot be read: {why}") from None
            offered.update(p.sha256 for vib in content.vibs for p in vib.payloads)
        return offered

    async def offered() -> set[str]:
        return await asyncio.to_thread(read)

    return offered
