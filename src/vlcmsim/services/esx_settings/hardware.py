"""Hardware support: the managers (HSMs) and their packages, the cluster's
desired hardware support package, and a draft's."""

from __future__ import annotations

from typing import Any

from vlcmsim.backend import Call
from vlcmsim.lifecycle import errors
from vlcmsim.lifecycle.hardware import MANAGERS, PACKAGES
from vlcmsim.lifecycle.spec import SoftwareSpec
from vlcmsim.services.esx_settings.common import require_desired
from vlcmsim.vapi.operations import OperationSet

ops = OperationSet()

MANAGERS_SERVICE = "com.vmware.esx.settings.hardware_support.managers"
CLUSTER = "com.vmware.esx.settings.clusters.software.hardware_support"


@ops.operation(MANAGERS_SERVICE, "list")
async def list_managers(call: Call) -> list[dict[str, Any]]:
    return [
        {"manager": m.manager, "display_name": m.display_name, "description": m.description, "vendor": m.vendor}
        for m in MANAGERS
    ]


@ops.operation(f"{MANAGERS_SERVICE}.packages", "list")
async def list_packages(call: Call, manager: str, filter: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    if manager not in PACKAGES:
        raise errors.manager_not_found(manager)
    release = (filter or {}).get("base_image_version")
    return [
        {
            "pkg": p.pkg,
            "version": p.version,
            "description": p.description,
            "supported_releases": sorted(p.supported_releases),
        }
        for p in PACKAGES[manager]
        if release is None or release in p.supported_releases
    ]


def _info(spec: SoftwareSpec, where: str) -> dict[str, Any]:
    if not spec.hardware_support:
        raise errors.no_hardware_support(where)
    return {"packages": {m: {"pkg": p, "version": v} for m, (p, v) in spec.hardware_support.items()}}


@ops.operation(CLUSTER, "get")
async def get_cluster_hardware_support(call: Call, cluster: str) -> dict[str, Any]:
    return _info(require_desired(call, cluster).spec, f"the desired state of cluster {cluster}")
