"""vLCM's system VM solutions of a cluster (vSphere 9): the desired spec of
each solution (agent VMs on every host, or a set of VMs for the cluster) and
the state of each of its deployment units — the VM that serves it, the spec
revision it was deployed from, and the lifecycle hook it waits in. In the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, update

from vlcmsim.store import schema
from vlcmsim.store.db import Store

EVERY_HOST = "EVERY_HOST_PINNED"
CLUSTER_SET = "CLUSTER_VM_SET"


@dataclass
class Deployment:
    """One deployment unit: a host (EVERY_HOST_PINNED) or a slot of the cluster's VM set."""

    vm: str | None = None
    host: str | None = None
    revision: int = 0  # the spec revision its VM was deployed from (0: none yet)
    status: str = "NOT_APPLIED"  # deployment_info.status
    issues: list[dict[str, Any]] = field(default_factory=list)
    hook: dict[str, Any] | None = None  # the active lifecycle hook: state, activated, timeout, processed...
    applied: dict[str, Any] | None = None  # the SolutionSpec its VM was deployed from

    def to_json(self) -> dict[str, Any]:
        return {
            "vm": self.vm,
            "host": self.host,
            "revision": self.revision,
            "status": self.status,
            "issues": self.issues,
            "hook": self.hook,
            "applied": self.applied,
        }

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> Deployment:
        return cls(j.get("vm"), j.get("host"), j.get("revision", 0), j.get("status", "NOT_APPLIED"),
                   list(j.get("issues") or ()), j.get("hook"), j.get("applied"))  # fmt: skip


@dataclass
class Solution:
    cluster: str
    id: str
    spec: dict[str, Any]  # the SolutionSpec as decoded
    revision: int
    deployments: dict[str, Deployment]

    @property
    def kind(self) -> str:
        return str(self.spec["deployment_type"])

    @property
    def tag(self) -> str:
        """What its system VMs carry (VirtualMachine.solution)."""
        return f"{self.cluster}/{self.id}"


class VmSolutions:
    def __init__(self, store: Store) -> None:
        self.store = store

    def of(self, cluster: str) -> dict[str, Solution]:
        t = schema.vm_solutions
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.cluster == cluster)).all()
        return {r.solution: _solution(r) for r in sorted(rows, key=lambda r: r.solution)}

    def get(self, cluster: str, solution: str) -> Solution | None:
        t = schema.vm_solutions
        with self.store.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.cluster == cluster, t.c.solution == solution)).first()
        return _solution(row) if row else None

    def put(
        self, cluster: str, solution: str, spec: dict[str, Any], deployments: dict[str, Deployment] | None = None
    ) -> int:
        """Set the desired spec (its revision moves on); the deployments stay unless given."""
        t = schema.vm_solutions
        with self.store.engine.begin() as conn:
            row = conn.execute(select(t).where(t.c.cluster == cluster, t.c.solution == solution)).first()
            if row is None:
                revision = 1
                kept = deployments or {}
                conn.execute(
                    t.insert().values(
                        cluster=cluster,
                        solution=solution,
                        spec=spec,
                        revision=revision,
                        deployments={k: d.to_json() for k, d in kept.items()},
                    )
                )
            else:
                revision = row.revision + 1
                values: dict[str, Any] = {"spec": spec, "revision": revision}
                if deployments is not None:
                    values["deployments"] = {k: d.to_json() for k, d in deployments.items()}
                conn.execute(update(t).where(t.c.cluster == cluster, t.c.solution == solution).values(**values))
        return revision

    def save(self, s: Solution) -> None:
        """Keep the deployments' state (a run writes it as it goes)."""
        t = schema.vm_solutions
        with self.store.engine.begin() as conn:
            conn.execute(
                update(t)
                .where(t.c.cluster == s.cluster, t.c.solution == s.id)
                .values(deployments={k: d.to_json() for k, d in s.deployments.items()})
            )

    def delete(self, cluster: str, solution: str) -> None:
        t = schema.vm_solutions
        with self.store.engine.begin() as conn:
            conn.execute(delete(t).where(t.c.cluster == cluster, t.c.solution == solution))


def _solution(r: Any) -> Solution:
    deployments = {k: Deployment.from_json(v) for k, v in (r.deployments or {}).items()}
    return Solution(r.cluster, r.solution, r.spec, r.revision, deployments)
