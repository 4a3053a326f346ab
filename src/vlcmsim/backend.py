"""The backend the service handlers see: the domain services, built by the
composition root (`vlcmsim.app`). A handler reaches state only through it,
never through the application or the wire."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from vlcmsim.config import Settings
from vlcmsim.depot.fetch import Fetcher
from vlcmsim.depot.payloads import PayloadStore
from vlcmsim.depot.repository import Depots
from vlcmsim.hosts.agent import HostAgent
from vlcmsim.hosts.staging import StagingAreas
from vlcmsim.inventory.store import Inventory
from vlcmsim.lifecycle.desired import DesiredStates
from vlcmsim.lifecycle.policies import ApplyPolicies
from vlcmsim.lifecycle.reports import Reports
from vlcmsim.lifecycle.scan import Scanner
from vlcmsim.sessions import Sessions
from vlcmsim.sim.knobs import SimKnobs
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
    reports: Reports
    scanner: Scanner
    policies: ApplyPolicies
    secret: bytes  # the store's own: signs export URLs
    depot_url: str = ""  # where hosts download payloads; known once the depot listener runs


Call: TypeAlias = operations.Call[Backend]
