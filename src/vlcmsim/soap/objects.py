"""The inventory as vim25 managed objects: folders, datacenters, clusters,
the compute resource of each standalone host, hosts (their product version
is what their installed image runs), and the service objects a client needs
to find them (ServiceInstance, SessionManager, PropertyCollector, ViewManager,
container views). Properties are read by path ("summary.config.product.version")."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from vlcmsim.inventory.model import Host
from vlcmsim.inventory.store import Inventory
from vlcmsim.soap.xml import Array, Data, Enum, Mo

ROOT = Mo("Folder", "group-d1")
SERVICE = {
    "ServiceInstance": Mo("ServiceInstance", "ServiceInstance"),
    "SessionManager": Mo("SessionManager", "SessionManager"),
    "PropertyCollector": Mo("PropertyCollector", "propertyCollector"),
    "ViewManager": Mo("ViewManager", "ViewManager"),
    "SearchIndex": Mo("SearchIndex", "SearchIndex"),  # named in the content (govmomi's finder needs it); no method
}
# the types a spec may name for an object of a type (vim25's inheritance, as far as it matters here)
SUPERTYPES = {
    "Folder": {"Folder", "ManagedEntity"},
    "Datacenter": {"Datacenter", "ManagedEntity"},
    "ComputeResource": {"ComputeResource", "ManagedEntity"},
    "ClusterComputeResource": {"ClusterComputeResource", "ComputeResource", "ManagedEntity"},
    "HostSystem": {"HostSystem", "ManagedEntity"},
    "ResourcePool": {"ResourcePool", "ManagedEntity"},
    "ContainerView": {"ContainerView", "ManagedObjectView", "View"},
}
VCENTER = ("8.0.3", "24022515")
FOLDERS = {"hostFolder": "h", "vmFolder": "v", "datastoreFolder": "s", "networkFolder": "n"}


class InvalidProperty(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class NotFound(Exception):
    def __init__(self, obj: Mo) -> None:
        super().__init__(obj.value)
        self.obj = obj


def is_a(obj_type: str, spec_type: str) -> bool:
    return spec_type in SUPERTYPES.get(obj_type, {obj_type})


def about_vcenter(instance_uuid: str) -> Data:
    version, build = VCENTER
    return Data(
        "AboutInfo",
        [
            ("name", "VMware vCenter Server"),
            ("fullName", f"VMware vCenter Server {version} build-{build} (vlcmsim)"),
            ("vendor", "VMware, Inc."),
            ("version", version),
            ("build", build),
            ("localeVersion", "INTL"),
            ("localeBuild", "000"),
            ("osType", "linux-x64"),
            ("productLineId", "vpx"),
            ("apiType", "VirtualCenter"),
            ("apiVersion", f"{version}.0"),
            ("instanceUuid", instance_uuid),
            ("licenseProductName", "VMware VirtualCenter Server"),
            ("licenseProductVersion", "8.0"),
        ],
    )


def about_host(base_image: str | None) -> Data:
    """What an ESXi host says it is: the base image it runs (8.0.2-0.0.22380479)."""
    full = base_image or "8.0.2-0.0.22380479"
    version = full.split("-")[0]
    build = full.rsplit(".", 1)[-1]
    return Data(
        "AboutInfo",
        [
            ("name", "VMware ESXi"),
            ("fullName", f"VMware ESXi {version} build-{build}"),
            ("vendor", "VMware, Inc."),
            ("version", version),
            ("build", build),
            ("localeVersion", "INTL"),
            ("localeBuild", "000"),
            ("osType", "vmnix-x86"),
            ("productLineId", "embeddedEsx"),
            ("apiType", "HostAgent"),
            ("apiVersion", f"{version}.0"),
        ],
    )


def container_view(container: Mo, types: list[str], recursive: bool) -> Mo:
    """A view's definition is its id: any worker can answer for it, nothing to keep."""
    raw = "|".join([container.type, container.value, ",".join(types), "1" if recursive else "0"])
    return Mo("ContainerView", "session[vlcmsim]" + base64.urlsafe_b64encode(raw.encode()).decode())


def _view_definition(view: Mo) -> tuple[Mo, list[str], bool] | None:
    try:
        raw = base64.urlsafe_b64decode(view.value.removeprefix("session[vlcmsim]")).decode()
        ctype, cvalue, types, recursive = raw.split("|")
    except ValueError:
        return None
    return Mo(ctype, cvalue), [t for t in types.split(",") if t], recursive == "1"


class ManagedObjects:
    def __init__(self, inventory: Inventory, base_image_of: Callable[[str], str | None]) -> None:
        self.inventory = inventory
        self.base_image_of = base_image_of

    # -- the tree --------------------------------------------------------------------

    def parent(self, obj: Mo) -> Mo | None:
        t, v = obj.type, obj.value
        if t == "Datacenter":
            return ROOT
        if t == "Folder" and v != ROOT.value:
            return Mo("Datacenter", f"datacenter-{v[len('group-h') :]}")
        if t in ("ClusterComputeResource", "ComputeResource"):
            dc = self._datacenter_of(obj)
            return Mo("Folder", f"group-h{dc.rsplit('-', 1)[-1]}") if dc else None
        if t == "HostSystem":
            h = self.inventory.host(v)
            if h is None:
                return None
            return Mo("ClusterComputeResource", h.cluster) if h.cluster else self._compute_resource(h)
        if t == "ResourcePool":  # a cluster's or a standalone host's root pool (no VMs: no other pool)
            n = v.removeprefix("resgroup-")
            return (
                Mo("ComputeResource", f"domain-{n}")
                if n.startswith("s")
                else Mo("ClusterComputeResource", f"domain-c{n}")
            )
        return None

    def children(self, obj: Mo) -> list[Mo]:
        t, v = obj.type, obj.value
        if obj == ROOT:
            return [Mo("Datacenter", d.id) for d in self.inventory.datacenters()]
        if t == "Datacenter":
            n = v.rsplit("-", 1)[-1]
            return [Mo("Folder", f"group-{k}{n}") for k in "hvsn"]
        if t == "Folder" and v.startswith("group-h"):
            dc = f"datacenter-{v[len('group-h') :]}"
            clusters = [Mo("ClusterComputeResource", c.id) for c in self.inventory.clusters() if c.datacenter == dc]
            alone = [self._compute_resource(h) for h in self.inventory.standalone_hosts() if h.datacenter == dc]
            return clusters + alone
        return []

    def hosts_of(self, obj: Mo) -> list[Mo]:
        if obj.type == "ClusterComputeResource":
            return [Mo("HostSystem", h.id) for h in self.inventory.hosts(obj.value)]
        if obj.type == "ComputeResource":
            host = self._standalone(obj)
            return [Mo("HostSystem", host.id)] if host else []
        return []

    def exists(self, obj: Mo) -> bool:
        if obj in SERVICE.values() or obj == ROOT:
            return True
        if obj.type == "Datacenter":
            return self.inventory.datacenter(obj.value) is not None
        if obj.type == "Folder":
            parent = self.parent(obj)
            return parent is not None and self.exists(parent) and obj in self.children(parent)
        if obj.type == "ClusterComputeResource":
            return self.inventory.cluster(obj.value) is not None
        if obj.type == "ComputeResource":
            return self._standalone(obj) is not None
        if obj.type == "HostSystem":
            return self.inventory.host(obj.value) is not None
        if obj.type == "ContainerView":
            return _view_definition(obj) is not None
        if obj.type == "ResourcePool":
            owner = self.parent(obj)
            return owner is not None and self.exists(owner)
        return False

    def _compute_resource(self, h: Host) -> Mo:
        return Mo("ComputeResource", f"domain-s{h.id.rsplit('-', 1)[-1]}")

    def _standalone(self, obj: Mo) -> Host | None:
        h = self.inventory.host(f"host-{obj.value.removeprefix('domain-s')}")
        return h if h is not None and h.standalone else None

    def _datacenter_of(self, obj: Mo) -> str | None:
        if obj.type == "ClusterComputeResource":
            c = self.inventory.cluster(obj.value)
            return c.datacenter if c else None
        h = self._standalone(obj)
        return h.datacenter if h else None

    def view(self, view: Mo) -> list[Mo]:
        """What a container view holds: the container's descendants (or children) of its types."""
        definition = _view_definition(view)
        if definition is None:
            raise NotFound(view)
        container, types, recursive = definition
        found: list[Mo] = []
        pending = list(self._below(container))
        while pending:
            obj = pending.pop(0)
            if not types or any(is_a(obj.type, t) for t in types):
                found.append(obj)
            if recursive:
                pending.extend(self._below(obj))
        return found

    def _below(self, obj: Mo) -> list[Mo]:
        return self.children(obj) + self.hosts_of(obj)

    # -- properties ------------------------------------------------------------------

    def names(self, obj: Mo) -> list[str]:
        """The properties `all=true` returns for an object."""
        common = ["name", "parent", "overallStatus"]
        return {
            "Folder": [*common, "childEntity", "childType"],
            "Datacenter": [*common, "hostFolder", "vmFolder", "datastoreFolder", "networkFolder"],
            "ClusterComputeResource": [*common, "host", "resourcePool"],
            "ComputeResource": [*common, "host", "resourcePool"],
            "HostSystem": [*common, "runtime", "summary"],
            "ResourcePool": [*common, "owner", "resourcePool"],
            "ContainerView": ["container", "type", "recursive", "view"],
        }.get(obj.type, [])

    def get(self, obj: Mo, path: str) -> Any:
        head, _, rest = path.partition(".")
        value = self._property(obj, head)
        for part in rest.split(".") if rest else []:
            if not isinstance(value, Data):
                raise InvalidProperty(path)
            value = value.get(part)
        return value

    def _property(self, obj: Mo, name: str) -> Any:
        if name not in self.names(obj) and not (obj.type == "HostSystem" and name == "config"):
            raise InvalidProperty(name)
        if name == "parent":
            return self.parent(obj)
        if name == "overallStatus":
            return Enum("ManagedEntityStatus", "green")
        if name == "name":
            return self._name(obj)
        if name == "childEntity":
            return Array("ManagedObjectReference", self.children(obj))
        if name == "childType":
            kinds = ["Folder", "Datacenter"] if obj == ROOT else ["Folder", "ComputeResource"]
            return Array("string", kinds if obj == ROOT or obj.value.startswith("group-h") else ["Folder"])
        if name in FOLDERS:
            n = obj.value.rsplit("-", 1)[-1]
            return Mo("Folder", f"group-{FOLDERS[name]}{n}")
        if obj.type == "ResourcePool":
            return self.parent(obj) if name == "owner" else Array("ManagedObjectReference", [])
        if name == "resourcePool":  # as REST's cluster.get names it
            n = obj.value.removeprefix("domain-c").removeprefix("domain-s")
            return Mo("ResourcePool", f"resgroup-{'s' if obj.type == 'ComputeResource' else ''}{n}")
        if name == "host":
            return Array("ManagedObjectReference", self.hosts_of(obj))
        if obj.type == "ContainerView":
            definition = _view_definition(obj)
            assert definition is not None
            container, types, recursive = definition
            return {
                "container": container,
                "type": Array("string", types),
                "recursive": recursive,
                "view": Array("ManagedObjectReference", self.view(obj)),
            }[name]
        h = self.inventory.host(obj.value)
        if h is None:
            raise NotFound(obj)
        about = about_host(self.base_image_of(h.id))
        runtime = Data(
            "HostRuntimeInfo",
            [
                ("connectionState", Enum("HostSystemConnectionState", h.connection_state.lower().replace("_", ""))),
                ("powerState", Enum("HostSystemPowerState", _power(h.power_state))),
                ("inMaintenanceMode", h.in_maintenance_mode),
            ],
        )
        if name == "runtime":
            return runtime
        if name == "config":
            return Data("HostConfigInfo", [("host", obj), ("product", about)])
        return Data(
            "HostListSummary",
            [
                ("host", obj),
                ("runtime", runtime),
                ("config", Data("HostConfigSummary", [("name", h.name), ("port", 443), ("product", about)])),
                ("overallStatus", Enum("ManagedEntityStatus", "green")),
            ],
        )

    def _name(self, obj: Mo) -> str:
        if obj == ROOT:
            return "Datacenters"
        if obj.type == "Folder":
            return {"h": "host", "v": "vm", "s": "datastore", "n": "network"}[obj.value[len("group-")]]
        if obj.type == "Datacenter":
            dc = self.inventory.datacenter(obj.value)
            return dc.name if dc else obj.value
        if obj.type == "ClusterComputeResource":
            c = self.inventory.cluster(obj.value)
            return c.name if c else obj.value
        if obj.type == "ComputeResource":
            host = self._standalone(obj)
            return host.name if host else obj.value
        if obj.type == "ResourcePool":
            return "Resources"
        h = self.inventory.host(obj.value)
        return h.name if h else obj.value


def _power(state: str) -> str:
    return {"POWERED_ON": "poweredOn", "POWERED_OFF": "poweredOff", "STANDBY": "standBy"}.get(state, "unknown")
