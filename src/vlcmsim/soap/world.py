"""What the vim25 side reads and changes: the same state the vAPI side does
(one inventory, one task record, one set of sessions), with the few facts only
vim25 shows — simulated hardware, VMs, events — derived or kept beside it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from vlcmsim.depot.catalog import Catalog
from vlcmsim.inventory.events import EventLog
from vlcmsim.inventory.model import Host, object_uuid
from vlcmsim.inventory.store import Inventory, booted
from vlcmsim.inventory.vms import VirtualMachines
from vlcmsim.lifecycle.spec import SoftwareSpec
from vlcmsim.sessions import Sessions
from vlcmsim.sim.knobs import SimKnobs
from vlcmsim.soap.tree import Tree
from vlcmsim.tasks.manager import TaskManager
from vlcmsim.vapi.codec import now

if TYPE_CHECKING:
    from vlcmsim.soap.session_objects import SessionObjects

DEFAULT_BASE_IMAGE = "8.0.2-0.0.22380479"


@dataclass(frozen=True)
class Hardware:
    """A simulated host's hardware: Dell PowerEdge R760s, as the default image's add-on expects."""

    vendor: str = "Dell Inc."
    model: str = "PowerEdge R760"
    cpu_model: str = "Intel(R) Xeon(R) Gold 6430"
    cpu_mhz: int = 2100
    packages: int = 2
    cores: int = 64
    threads: int = 128
    memory_bytes: int = 512 * 1024**3
    nics: int = 4
    hbas: int = 2
    local_datastore_bytes: int = 800 * 1024**3


HARDWARE = Hardware()
SHARED_DATASTORE_BYTES_PER_HOST = 4 * 1024**4
VM_MEMORY_MB = 8192
VM_CPUS = 4
VM_DISK_BYTES = 40 * 1024**3


@dataclass
class World:
    inventory: Inventory
    vms: VirtualMachines
    knobs: SimKnobs
    sessions: Sessions
    tasks: TaskManager
    events: EventLog
    installed: Callable[[str], SoftwareSpec | None]  # the image a host runs
    catalog: Callable[[], Catalog]
    instance_uuid: str
    started: datetime = field(default_factory=now)
    objects: SessionObjects | None = None  # the endpoint's: collectors, views, histories of sessions

    def __post_init__(self) -> None:
        self.tree = Tree(self.inventory, self.vms)

    def base_image(self, host: str) -> str:
        spec = self.installed(host)
        return spec.base_image if spec is not None and spec.base_image else DEFAULT_BASE_IMAGE

    def boot_time(self, host: Host) -> datetime:
        return booted(host, self.started)

    def uuid_of(self, kind: str, value: str) -> str:
        return object_uuid(self.instance_uuid, kind, value)

    def datacenter_name(self, dc: str) -> str:
        found = self.inventory.datacenter(dc)
        return found.name if found else dc
