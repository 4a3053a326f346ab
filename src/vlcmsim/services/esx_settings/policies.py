"""The cluster's apply policy: com.vmware.esx.settings.clusters.policies.apply
(configured) and .effective (what an apply follows)."""

from __future__ import annotations

from typing import Any

from vlcmsim.backend import Call
from vlcmsim.services.esx_settings.common import require_image_managed
from vlcmsim.vapi.operations import OperationSet, Privilege

ops = OperationSet()

APPLY = "com.vmware.esx.settings.clusters.policies.apply"


@ops.operation(APPLY, "get")
async def get_policy(call: Call, cluster: str) -> dict[str, Any]:
    require_image_managed(call, cluster)
    return call.backend.policies.configured(cluster)


@ops.operation(APPLY, "set", Privilege.WRITE)
async def set_policy(call: Call, cluster: str, spec: dict[str, Any]) -> None:
    require_image_managed(call, cluster)
    call.backend.policies.set(cluster, spec)


@ops.operation(f"{APPLY}.effective", "get")
async def get_effective_policy(call: Call, cluster: str) -> dict[str, Any]:
    require_image_managed(call, cluster)
    return call.backend.policies.effective_value(cluster, len(call.backend.inventory.hosts(cluster)))
