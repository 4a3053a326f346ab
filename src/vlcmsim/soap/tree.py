"""The inventory as vim25's tree of managed objects, and their ids: the root
folder, each datacenter's four folders, clusters and the compute resource of
each standalone host, their root resource pools, hosts, a shared datastore per
cluster and a local one per host, a VM network per datacenter, and the VMs.

Ids follow vCenter's forms (group-d1, datacenter-1, domain-c1, host-4, vm-12,
resgroup-1, datastore-…, network-…): each says what it belongs to, so that any
worker can answer for any object from the store alone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vlcmsim.inventory.model import Cluster, Host
from vlcmsim.inventory.store import Inventory
from vlcmsim.inventory.vms import VirtualMachine, VirtualMachines
from vlcmsim.soap.vim import moid, vim

ROOT_ID = "group-d1"
FOLDER_KINDS = {"h": "host", "v": "vm", "s": "datastore", "n": "network"}


def number(moref: str) -> str:
    return moref.rsplit("-", 1)[-1]


@dataclass(frozen=True)
class Refs:
    """References by id: one place that knows how each id is made."""

    @staticmethod
    def root() -> Any:
        return vim.Folder(ROOT_ID)

    @staticmethod
    def folder(datacenter: str, kind: str) -> Any:
        return vim.Folder(f"group-{kind}{number(datacenter)}")

    @staticmethod
    def datacenter(dc: str) -> Any:
        return vim.Datacenter(dc)

    @staticmethod
    def host(host: str) -> Any:
        return vim.HostSystem(host)

    @staticmethod
    def cluster(cluster: str) -> Any:
        return vim.ClusterComputeResource(cluster)

    @staticmethod
    def compute_resource(host: str) -> Any:
        return vim.ComputeResource(f"domain-s{number(host)}")

    @staticmethod
    def resource_pool(owner: Any) -> Any:
        value = moid(owner)
        if value.startswith("domain-s"):
            return vim.ResourcePool(f"resgroup-s{value.removeprefix('domain-s')}")
        return vim.ResourcePool(f"resgroup-{value.removeprefix('domain-c')}")

    @staticmethod
    def shared_datastore(cluster: str) -> Any:
        return vim.Datastore(f"datastore-c{number(cluster).removeprefix('c')}")

    @staticmethod
    def local_datastore(host: str) -> Any:
        return vim.Datastore(f"datastore-h{number(host)}")

    @staticmethod
    def network(datacenter: str) -> Any:
        return vim.Network(f"network-{number(datacenter)}")

    @staticmethod
    def vm(vm: str) -> Any:
        return vim.VirtualMachine(vm)


refs = Refs()


class Tree:
    """Parents, children and existence of the inventory's managed objects."""

    def __init__(self, inventory: Inventory, vms: VirtualMachines) -> None:
        self.inventory = inventory
        self.vms = vms

    # -- lookups by id ------------------------------------------------------------

    def cluster_of_id(self, value: str) -> Cluster | None:
        return self.inventory.cluster(value)

    def standalone_of(self, compute_resource: str) -> Host | None:
        h = self.inventory.host(f"host-{compute_resource.removeprefix('domain-s')}")
        return h if h is not None and h.standalone else None

    def owner_of_pool(self, pool: str) -> Any:
        n = pool.removeprefix("resgroup-")
        return vim.ComputeResource(f"domain-{n}") if n.startswith("s") else vim.ClusterComputeResource(f"domain-c{n}")

    def datastore_owner(self, datastore: str) -> tuple[str, str] | None:
        """("cluster", domain-cN) for a shared datastore, ("host", host-N) for a local one."""
        n = datastore.removeprefix("datastore-")
        if n.startswith("c") and self.inventory.cluster(f"domain-{n}") is not None:
            return ("cluster", f"domain-{n}")
        if n.startswith("h") and self.inventory.host(f"host-{n[1:]}") is not None:
            return ("host", f"host-{n[1:]}")
        return None

    def datacenter_of_network(self, network: str) -> str | None:
        dc = f"datacenter-{network.removeprefix('network-')}"
        return dc if self.inventory.datacenter(dc) is not None else None

    def datacenter_of_folder(self, folder: str) -> str | None:
        if folder == ROOT_ID or len(folder) < 8 or folder[6] not in FOLDER_KINDS:
            return None
        dc = f"datacenter-{folder[7:]}"
        return dc if self.inventory.datacenter(dc) is not None else None

    def host_of_vm(self, vm: VirtualMachine) -> Host | None:
        return self.inventory.host(vm.host)

    # -- structure ------------------------------------------------------------------

    def exists(self, obj: Any) -> bool:
        value = moid(obj)
        if isinstance(obj, vim.Folder):
            return value == ROOT_ID or self.datacenter_of_folder(value) is not None
        if isinstance(obj, vim.Datacenter):
            return self.inventory.datacenter(value) is not None
        if isinstance(obj, vim.ClusterComputeResource):
            return self.inventory.cluster(value) is not None
        if isinstance(obj, vim.ComputeResource):
            return self.standalone_of(value) is not None
        if isinstance(obj, vim.HostSystem):
            return self.inventory.host(value) is not None
        if isinstance(obj, vim.ResourcePool):
            return self.exists(self.owner_of_pool(value))
        if isinstance(obj, vim.Datastore):
            return self.datastore_owner(value) is not None
        if isinstance(obj, vim.Network):
            return self.datacenter_of_network(value) is not None
        if isinstance(obj, vim.VirtualMachine):
            return self.vms.get(value) is not None
        return False

    def parent(self, obj: Any) -> Any:
        value = moid(obj)
        if isinstance(obj, vim.Datacenter):
            return refs.root()
        if isinstance(obj, vim.Folder):
            dc = self.datacenter_of_folder(value)
            return refs.datacenter(dc) if dc else None
        if isinstance(obj, vim.ClusterComputeResource):
            c = self.inventory.cluster(value)
            return refs.folder(c.datacenter, "h") if c else None
        if isinstance(obj, vim.ComputeResource):
            h = self.standalone_of(value)
            return refs.folder(h.datacenter, "h") if h else None
        if isinstance(obj, vim.HostSystem):
            host = self.inventory.host(value)
            if host is None:
                return None
            return refs.cluster(host.cluster) if host.cluster else refs.compute_resource(host.id)
        if isinstance(obj, vim.ResourcePool):
            return self.owner_of_pool(value)
        if isinstance(obj, vim.Datastore):
            owner = self.datastore_owner(value)
            dc = self._datacenter_of_owner(owner)
            return refs.folder(dc, "s") if dc else None
        if isinstance(obj, vim.Network):
            dc = self.datacenter_of_network(value)
            return refs.folder(dc, "n") if dc else None
        if isinstance(obj, vim.VirtualMachine):
            vm = self.vms.get(value)
            host = self.inventory.host(vm.host) if vm else None
            return refs.folder(host.datacenter, "v") if host else None
        return None

    def _datacenter_of_owner(self, owner: tuple[str, str] | None) -> str | None:
        if owner is None:
            return None
        if owner[0] == "cluster":
            c = self.inventory.cluster(owner[1])
            return c.datacenter if c else None
        h = self.inventory.host(owner[1])
        return h.datacenter if h else None

    def children(self, obj: Any) -> list[Any]:
        """A folder's childEntity."""
        value = moid(obj)
        if value == ROOT_ID:
            return [refs.datacenter(d.id) for d in self.inventory.datacenters()]
        dc = self.datacenter_of_folder(value)
        if dc is None:
            return []
        kind = value[6]
        if kind == "h":
            clusters = [refs.cluster(c.id) for c in self.inventory.clusters() if c.datacenter == dc]
            alone = [refs.compute_resource(h.id) for h in self.inventory.standalone_hosts() if h.datacenter == dc]
            return clusters + alone
        if kind == "v":
            return [refs.vm(v.id) for v in self.vms_of_datacenter(dc)]
        if kind == "s":
            return self.datastores_of_datacenter(dc)
        return [refs.network(dc)]

    def hosts_of_datacenter(self, dc: str) -> list[Host]:
        return [h for h in self.inventory.hosts() if h.datacenter == dc]

    def vms_of_datacenter(self, dc: str) -> list[VirtualMachine]:
        hosts = {h.id for h in self.hosts_of_datacenter(dc)}
        return [v for v in self.vms.all() if v.host in hosts]

    def datastores_of_datacenter(self, dc: str) -> list[Any]:
        shared = [refs.shared_datastore(c.id) for c in self.inventory.clusters() if c.datacenter == dc]
        return shared + [refs.local_datastore(h.id) for h in self.hosts_of_datacenter(dc)]

    def hosts_of(self, obj: Any) -> list[Host]:
        """The hosts of a cluster, a standalone host's compute resource, or a datastore."""
        value = moid(obj)
        if isinstance(obj, vim.ClusterComputeResource):
            return self.inventory.hosts(value)
        if isinstance(obj, vim.ComputeResource):
            h = self.standalone_of(value)
            return [h] if h else []
        if isinstance(obj, vim.Datastore):
            owner = self.datastore_owner(value)
            if owner is None:
                return []
            if owner[0] == "cluster":
                return self.inventory.hosts(owner[1])
            h = self.inventory.host(owner[1])
            return [h] if h else []
        if isinstance(obj, vim.Network):
            dc = self.datacenter_of_network(value)
            return self.hosts_of_datacenter(dc) if dc else []
        return []

    def datastores_of_host(self, host: Host) -> list[Any]:
        local = [refs.local_datastore(host.id)]
        return ([refs.shared_datastore(host.cluster)] if host.cluster else []) + local

    def vms_of_hosts(self, hosts: list[Host]) -> list[VirtualMachine]:
        ids = {h.id for h in hosts}
        return [v for v in self.vms.all() if v.host in ids]

    def below(self, obj: Any) -> list[Any]:
        """What a container view descends into: a folder's children, a datacenter's
        folders, a compute resource's hosts and resource pool, a pool's VMs."""
        if isinstance(obj, vim.Folder):
            return self.children(obj)
        if isinstance(obj, vim.Datacenter):
            return [refs.folder(moid(obj), k) for k in "vhsn"]
        if isinstance(obj, vim.ComputeResource):
            return [refs.host(h.id) for h in self.hosts_of(obj)] + [refs.resource_pool(obj)]
        if isinstance(obj, vim.ResourcePool):
            owner = self.owner_of_pool(moid(obj))
            return [refs.vm(v.id) for v in self.vms_of_hosts(self.hosts_of(owner))]
        return []
