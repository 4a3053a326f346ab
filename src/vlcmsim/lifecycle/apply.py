"""Remediation (apply): stage what a host lacks, install the desired image,
clear the staging area. Payloads already staged are not downloaded again."""

from __future__ import annotations

from vlcmsim.depot.model import Payload
from vlcmsim.hosts.agent import StagePlan
from vlcmsim.inventory.model import Host
from vlcmsim.lifecycle.runs import StageRun, needs_nothing
from vlcmsim.lifecycle.spec import SoftwareSpec


class ApplyRun(StageRun):
    VERB = "Apply"
    DONE = "remediated"

    def skip_reason(self, host: Host, installed: SoftwareSpec, missing: list[Payload]) -> str | None:
        assert self.commit is not None
        if host.connection_state == "CONNECTED" and needs_nothing(installed, self.commit.spec, self.catalog):
            return "already compliant"
        return None  # a fully staged host still has to install

    async def after_host(self, plan: StagePlan) -> None:
        assert self.commit is not None
        await self.agent.install(plan)
        self.desired.set_installed(plan.host, self.commit.spec.copy())

    def finish(self) -> None:
        """The commit is APPLIED once every host of the cluster runs it."""
        assert self.commit is not None
        if any(r.status in ("ERROR", "TIMED_OUT") for r in self.runs.values()):
            return
        everyone = self.all_hosts or list(self.runs)
        for host in everyone:
            installed = self.desired.installed(host) or SoftwareSpec()
            if not needs_nothing(installed, self.commit.spec, self.catalog):
                return
        self.desired.mark_applied(self.cluster, self.commit.id)
