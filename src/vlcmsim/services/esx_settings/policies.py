"""The apply policy of a cluster or standalone host: esx.settings.{clusters,hosts}.policies.apply
(configured) and .effective (what an apply follows)."""

from __future__ import annotations

from typing import Any

from vlcmsim.backend import Call
from vlcmsim.services.esx_settings.common import for_owners, require_image_managed
from vlcmsim.vapi.operations import OperationSet, Privilege

ops = OperationSet()

APPLY = "policies.apply"


@for_owners(ops, APPLY, "get")
async def get_policy(call: Call, owner: str) -> dict[str, Any]:
    require_image_managed(call, owner)
    return call.backend.policies.configured(owner)


@for_owners(ops, APPLY, "set", Privilege.WRITE)
async def set_policy(call: Call, owner: str, spec: dict[str, Any]) -> None:
    require_image_managed(call, owner)
    call.backend.policies.set(owner, spec)


@for_owners(ops, f"{APPLY}.effective", "get")
async def get_effective_policy(call: Call, owner: str) -> dict[str, Any]:
    require_image_managed(call, owner)
    return call.backend.policies.effective_value(owner, len(call.backend.inventory.members(owner)))
