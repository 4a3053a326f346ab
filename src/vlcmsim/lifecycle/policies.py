"""The cluster's apply policy (`policies.apply`): what is configured, kept in
the store, and what is in effect (the configured fields over vCenter's defaults)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from vlcmsim.store import schema
from vlcmsim.store.db import Store

# vCenter's defaults for a cluster with no configured policy
DEFAULTS: dict[str, Any] = {
    "failure_action": {"action": "RETRY", "retry_delay": 300, "retry_count": 3},
    "pre_remediation_power_action": "DO_NOT_CHANGE_VMS_POWER_STATE",
    "enable_quick_boot": False,
    "disable_dpm": True,
    "disable_hac": False,
    "evacuate_offline_vms": False,
    "enforce_hcl_validation": False,
    "parallel_remediation_action": {"enabled": False, "max_hosts": 1},
    "enforce_quick_patch": False,
}


@dataclass(frozen=True)
class Effective:
    """What an apply follows."""

    retry: bool
    retry_delay: float
    retry_count: int
    parallel_hosts: int  # hosts remediated at once (1: one after another)
    quick_boot: bool
    power_off_vms: bool  # pre-remediation power action powers off or suspends the VMs
    evacuate_offline_vms: bool


def defaults_key(kind: str) -> str:
    """Where the configured defaults of new clusters ("clusters") or standalone hosts ("hosts") are kept."""
    return f"defaults:{kind}"


class ApplyPolicies:
    def __init__(self, store: Store) -> None:
        self.store = store

    def configured(self, cluster: str) -> dict[str, Any]:
        with self.store.engine.connect() as conn:
            row = conn.execute(
                select(schema.cluster_policies.c.spec).where(schema.cluster_policies.c.cluster == cluster)
            ).first()
        return dict(row[0]) if row else {}

    def set(self, cluster: str, spec: dict[str, Any]) -> None:
        table = schema.cluster_policies
        with self.store.engine.begin() as conn:
            conn.execute(delete(table).where(table.c.cluster == cluster))
            conn.execute(table.insert().values(cluster=cluster, spec=spec))

    def forget(self, owner: str) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(delete(schema.cluster_policies).where(schema.cluster_policies.c.cluster == owner))

    def defaults(self, kind: str) -> dict[str, Any]:
        """vCenter's defaults with what `defaults.{clusters,hosts}.policies.apply` configured over them."""
        return {**DEFAULTS, **{k: v for k, v in self.configured(defaults_key(kind)).items() if v is not None}}

    def effective_value(self, cluster: str, max_hosts: int) -> dict[str, Any]:
        """The EffectivePolicySpec: each configured field over the defaults of its kind of owner
        (a cluster's or a standalone host's); parallel remediation is bounded by the cluster's size."""
        kind = "hosts" if cluster.startswith("host-") else "clusters"
        value = {**self.defaults(kind), **{k: v for k, v in self.configured(cluster).items() if v is not None}}
        parallel = dict(value["parallel_remediation_action"])
        if parallel.get("enabled"):
            parallel["max_hosts"] = max(1, min(parallel.get("max_hosts") or max_hosts, max_hosts))
        else:
            parallel["max_hosts"] = 1
        value["parallel_remediation_action"] = parallel
        return value

    def effective(self, cluster: str, hosts: int) -> Effective:
        v = self.effective_value(cluster, max(hosts, 1))
        failure = v["failure_action"]
        return Effective(
            retry=failure["action"] == "RETRY",
            retry_delay=float(failure.get("retry_delay") or 0),
            retry_count=int(failure.get("retry_count") or 0),
            parallel_hosts=int(v["parallel_remediation_action"]["max_hosts"]),
            quick_boot=bool(v["enable_quick_boot"]),
            power_off_vms=v["pre_remediation_power_action"] != "DO_NOT_CHANGE_VMS_POWER_STATE",
            evacuate_offline_vms=bool(v["evacuate_offline_vms"]),
        )
