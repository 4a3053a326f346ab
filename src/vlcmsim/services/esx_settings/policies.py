"""The apply policy of a cluster or standalone host: esx.settings.{clusters,hosts}.policies.apply
(configured) and .effective (what an apply follows)."""

from __future__ import annotations

from typing import Any

from vlcmsim.backend import Call
from vlcmsim.lifecycle.policies import defaults_key
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


# -- the defaults every cluster and standalone host starts from (defaults.{clusters,hosts}.policies.apply)

DEFAULTS = "com.vmware.esx.settings.defaults"


def _defaults_ops(kind: str) -> None:
    service = f"{DEFAULTS}.{kind}.policies.apply"

    async def get_defaults(call: Call) -> dict[str, Any]:
        return call.backend.policies.configured(defaults_key(kind))

    async def set_defaults(call: Call, spec: dict[str, Any]) -> None:
        call.backend.policies.set(defaults_key(kind), spec)

    async def get_effective_defaults(call: Call) -> dict[str, Any]:
        value = call.backend.policies.defaults(kind)
        parallel = dict(value["parallel_remediation_action"])
        if not parallel.get("enabled"):
            parallel["max_hosts"] = 1
        return {**value, "parallel_remediation_action": parallel}

    ops.operation(service, "get")(get_defaults)
    ops.operation(service, "set", Privilege.WRITE)(set_defaults)
    ops.operation(f"{service}.effective", "get")(get_effective_defaults)


_defaults_ops("clusters")
_defaults_ops("hosts")
