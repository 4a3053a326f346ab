"""SearchIndex: hosts and VMs by DNS name, IP, UUID or inventory path, and an
entity's child by name."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from vlcmsim.soap import properties
from vlcmsim.soap.tree import refs
from vlcmsim.soap.vim import moid, vim

if TYPE_CHECKING:
    from vlcmsim.soap.endpoint import Context
    from vlcmsim.soap.wire import Call


def _in_datacenter(ctx: Context, call: Call, datacenter_of: str | None) -> bool:
    dc = call.args.get("datacenter")
    return dc is None or datacenter_of == moid(dc)


def _hosts_named(ctx: Context, call: Call) -> list[Any]:
    name = str(call.args.get("dnsName", "")).lower()
    if call.args.get("vmSearch"):
        return [
            refs.vm(v.id)
            for v in ctx.world.vms.all()
            if v.name.lower() == name and _in_datacenter(ctx, call, _vm_dc(ctx, v.host))
        ]
    return [
        refs.host(h.id)
        for h in ctx.world.inventory.hosts()
        if h.name.lower() == name and _in_datacenter(ctx, call, h.datacenter)
    ]


def _vm_dc(ctx: Context, host: str) -> str | None:
    h = ctx.world.inventory.host(host)
    return h.datacenter if h else None


def find_by_dns_name(ctx: Context, call: Call) -> Any:
    found = _hosts_named(ctx, call)
    return found[0] if found else None


def find_all_by_dns_name(ctx: Context, call: Call) -> Any:
    return _hosts_named(ctx, call)


def find_by_ip(ctx: Context, call: Call) -> Any:
    ip = str(call.args.get("ip", ""))
    if call.args.get("vmSearch"):
        for v in ctx.world.vms.all():
            n = int(v.id.rsplit("-", 1)[-1])
            if v.power_state == "poweredOn" and str(ipaddress.IPv4Address("10.20.0.0") + n) == ip:
                return refs.vm(v.id)
        return None
    for h in ctx.world.inventory.hosts():  # hosts are known by name; a name that is an address matches
        if h.name == ip:
            return refs.host(h.id)
    return None


def find_by_uuid(ctx: Context, call: Call) -> Any:
    wanted = str(call.args.get("uuid", "")).lower()
    if call.args.get("vmSearch"):
        instance = bool(call.args.get("instanceUuid"))
        for v in ctx.world.vms.all():
            uuid = v.uuid if instance else ctx.world.uuid_of("vm-bios", v.id)
            if uuid.lower() == wanted:
                return refs.vm(v.id)
        return None
    for h in ctx.world.inventory.hosts():
        if h.uuid.lower() == wanted:
            return refs.host(h.id)
    return None


def find_child(ctx: Context, call: Call) -> Any:
    entity = call.args.get("entity")
    name = str(call.args.get("name", ""))
    if entity is None or not ctx.exists(entity):
        return None
    if isinstance(entity, vim.Folder):
        children = ctx.world.tree.children(entity)
    elif isinstance(entity, vim.Datacenter):
        children = ctx.world.tree.below(entity)
    elif isinstance(entity, vim.ComputeResource):
        children = ctx.world.tree.below(entity)
    else:
        children = []
    for child in children:
        if properties.get(ctx.world, child, "name") == name:
            return child
    return None


def find_by_inventory_path(ctx: Context, call: Call) -> Any:
    path = str(call.args.get("inventoryPath", "")).strip("/")
    current: Any = refs.root()
    for part in [p for p in path.split("/") if p]:
        if isinstance(current, vim.Folder):
            children = ctx.world.tree.children(current)
        else:
            children = ctx.world.tree.below(current)
        current = next((c for c in children if properties.get(ctx.world, c, "name") == part), None)
        if current is None:
            return None
    return current


METHODS = {
    "FindByDnsName": find_by_dns_name,
    "FindAllByDnsName": find_all_by_dns_name,
    "FindByIp": find_by_ip,
    "FindByUuid": find_by_uuid,
    "FindChild": find_child,
    "FindByInventoryPath": find_by_inventory_path,
}
