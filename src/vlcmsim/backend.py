"""The backend the service handlers see: the domain services, built by the
composition root (`vlcmsim.app`). A handler reaches state only through it,
never through the application or the wire."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

from vlcmsim.config import Settings
from vlcmsim.depot.fetch import Fetcher
from vlcmsim.depot.payloads import PayloadStore
from vlcmsim.depot.repository import Depots
from vlcmsim.depot.schedule import SyncSchedule
from vlcmsim.depot.sync import Syncer
from vlcmsim.hosts.agent import HostAgent
from vlcmsim.hosts.staging import StagingAreas
from vlcmsim.inventory.model import CLUSTER_TYPE, HOST_TYPE
from vlcmsim.inventory.store import Inventory
from vlcmsim.inventory.vms import VirtualMachines
from vlcmsim.lifecycle import errors
from vlcmsim.lifecycle.configurations import Configurations
from vlcmsim.lifecycle.depot_overrides import DepotOverrides
from vlcmsim.lifecycle.desired import DesiredStates
from vlcmsim.lifecycle.policies import ApplyPolicies
from vlcmsim.lifecycle.reports import Reports
from vlcmsim.lifecycle.repository import Repository
from vlcmsim.lifecycle.scan import Scanner
from vlcmsim.lifecycle.vm_solutions import VmSolutions
from vlcmsim.sessions import Sessions
from vlcmsim.sim.knobs import DepotKnobs, SimKnobs
from vlcmsim.tasks.manager import TaskManager
from vlcmsim.vapi import operations


@dataclass
class Backend:
    settings: Settings
    sessions: Sessions
    inventory: Inventory
    knobs: SimKnobs
    payloads: PayloadStore
    depots: Depots
    desired: DesiredStates
    staging: StagingAreas
    hosts: HostAgent
    tasks: TaskManager
    fetcher: Fetcher
    syncer: Syncer
    depot_knobs: DepotKnobs
    sync_schedule: SyncSchedule
    reports: Reports
    scanner: Scanner
    policies: ApplyPolicies
    configurations: Configurations  # Configuration Profiles: host configurations, documents, drafts
    repository: Repository  # vSphere 9's image repository: software specs, their drafts, assignments
    depot_overrides: DepotOverrides  # the depots a cluster's or host's hosts use instead of vCenter's
    vm_solutions: VmSolutions  # system VM solutions of clusters: desired specs, deployment units
    secret: bytes  # the store's own: signs export URLs
    vms: VirtualMachines | None = None  # vim25's VMs per host; set by the composition root
    depot_url: str = ""  # where hosts download payloads; known once the depot listener runs
    on_staged: Callable[[int], object] = lambda n: None  # payload bytes hosts have kept (for /metrics)

    def forget_host_image(self, host: str) -> None:
        """A host's own desired document, drafts, reports and policy: gone when it
        leaves the inventory or joins a cluster (the cluster's image is its own now)."""
        self.desired.forget(host)
        self.repository.unassign(host)
        self.depot_overrides.forget(host)
        self.reports.forget(host)
        self.policies.forget(host)

    def move_host(self, host: str, cluster: str | None) -> None:
        """Move a host into a cluster of its datacenter (it follows the cluster's
        image from then on: non-compliant until remediated) or out of any
        (a standalone host, not managed with an image until enabled)."""
        h = self.inventory.host(host)
        if h is None:
            raise errors.host_not_found(host)
        if cluster is not None:
            c = self.inventory.cluster(cluster)
            if c is None:
                raise errors.cluster_not_found(cluster)
            if c.datacenter != h.datacenter:
                raise errors.other_datacenter(host, cluster)
        for target in ((HOST_TYPE, host), (CLUSTER_TYPE, h.cluster or ""), (CLUSTER_TYPE, cluster or "")):
            busy = self.tasks.running_on(target)
            if busy is not None:
                raise errors.operation_in_progress(
                    busy.operation, busy.id, "host" if target[0] == HOST_TYPE else "cluster"
                )
        self.forget_host_image(host)
        self.inventory.update_host(host, cluster=cluster, image_managed=False)
        for former_or_new in {h.cluster, cluster} - {None}:
            assert former_or_new is not None
            self.scanner.scan(former_or_new)

    def remove_host(self, host: str) -> None:
        """A host leaves the inventory with all that is known of it."""
        self.forget_host_image(host)
        self.desired.forget_installed(host)
        self.knobs.forget(host)
        self.staging.remove(host)
        self.inventory.remove_host(host)


Call: TypeAlias = operations.Call[Backend]
