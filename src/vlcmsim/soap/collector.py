"""The property collector: which objects a filter spec selects (its traversal
specs walked from each ObjectSpec's object, each (object, spec) visited once,
the whole walk bounded), their properties as ObjectContent, and a filter's
updates since the last version a client saw (enter / modify / leave).

A hostile spec (specs referring to each other many times, cycles parent-up and
childEntity-down) costs at most one visit per (object, traversal spec) and
never more than MAX_VISITS: beyond that the call is refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vlcmsim.soap import properties
from vlcmsim.soap.properties import InvalidProperty, Memo
from vlcmsim.soap.vim import VmomiSupport, key, property_type, vmodl
from vlcmsim.soap.wire import serialize
from vlcmsim.soap.world import World

PC = vmodl.query.PropertyCollector
MAX_VISITS = 500_000


class TooMuchWork(Exception):
    """A spec that would visit more than MAX_VISITS (object, traversal spec) pairs."""


@dataclass
class Selected:
    """The objects a spec selects, in the order found, with the properties wanted of each."""

    objects: dict[tuple[str, str], Any] = field(default_factory=dict)
    paths: dict[tuple[str, str], list[str]] = field(default_factory=dict)


def _named(select: list[Any]) -> dict[str, Any]:
    """Every TraversalSpec by name, however deep: a SelectionSpec refers to one by name."""
    named: dict[str, Any] = {}
    pending = list(select)
    seen: set[int] = set()
    while pending:
        spec = pending.pop()
        if id(spec) in seen:
            continue
        seen.add(id(spec))
        if isinstance(spec, PC.TraversalSpec):
            if spec.name and spec.name not in named:
                named[spec.name] = spec
            pending.extend(spec.selectSet or [])
    return named


def _targets(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [v for v in value if isinstance(v, VmomiSupport.ManagedObject)]
    return [value] if isinstance(value, VmomiSupport.ManagedObject) else []


def select(world: World, spec: Any, exists: Any, memo: Memo) -> Selected:
    """The objects `spec` (a FilterSpec) selects and which of their properties it wants."""
    found = Selected()
    visits = 0
    for object_spec in spec.objectSet or []:
        if object_spec.obj is None:
            raise vmodl.fault.InvalidArgument(msg="An ObjectSpec names no object.", invalidProperty="obj")
        if not exists(object_spec.obj):
            raise vmodl.fault.ManagedObjectNotFound(
                msg=f"The object '{key(object_spec.obj)[0]}:{key(object_spec.obj)[1]}' has already been deleted "
                "or has not been completely created",
                obj=object_spec.obj,
            )
        named = _named(list(object_spec.selectSet or []))
        done: set[tuple[tuple[str, str], int]] = set()
        pending = [(object_spec.obj, bool(object_spec.skip), list(object_spec.selectSet or []))]
        while pending:
            obj, skip, selection = pending.pop(0)
            k = key(obj)
            if not skip and k not in found.objects:
                found.objects[k] = obj
            for sel in selection:
                traversal = sel if isinstance(sel, PC.TraversalSpec) else named.get(sel.name or "")
                if traversal is None or traversal.type is None or not isinstance(obj, traversal.type):
                    continue
                if (k, id(traversal)) in done:
                    continue
                done.add((k, id(traversal)))
                visits += 1
                if visits > MAX_VISITS:
                    raise TooMuchWork()
                try:
                    value = properties.get(world, obj, str(traversal.path), memo)
                except (InvalidProperty, LookupError):
                    continue
                for target in _targets(value):
                    if exists(target):
                        pending.append((target, bool(traversal.skip), list(traversal.selectSet or [])))
    for k, obj in found.objects.items():
        paths: list[str] = []
        for p in spec.propSet or []:
            if p.type is not None and isinstance(obj, p.type):
                paths += properties.names(obj) if p.all else list(p.pathSet or [])
        if paths or any(p.type is not None and isinstance(obj, p.type) for p in spec.propSet or []):
            found.paths[k] = list(dict.fromkeys(paths))
    found.objects = {k: o for k, o in found.objects.items() if k in found.paths}
    return found


def typed(obj: Any, path: str, value: Any) -> Any:
    """A list value as the array type vim25 declares at `path` (pyVmomi serializes an
    Any only from a typed array)."""
    if not isinstance(value, list) or isinstance(value, VmomiSupport.Array):
        return value
    head, _, rest = path.partition(".")
    kind = property_type(type(obj), head)
    for part in rest.split(".") if rest else ():
        if kind is None or not issubclass(kind, VmomiSupport.DataObject):
            kind = None
            break
        try:
            kind = kind._GetPropertyInfo(part).type
        except AttributeError:
            kind = None
    if kind is None or not issubclass(kind, list):
        kind = (
            VmomiSupport.GetVmodlType("vmodl.ManagedObject[]")
            if all(isinstance(v, VmomiSupport.ManagedObject) for v in value)
            else VmomiSupport.GetVmodlType("string[]")
        )
    return kind(value)


def read(world: World, obj: Any, paths: list[str], memo: Memo) -> tuple[list[Any], list[Any]]:
    """(DynamicProperty for each path with a value, MissingProperty for each that failed)."""
    props: list[Any] = []
    missing: list[Any] = []
    for path in paths:
        try:
            value = properties.get(world, obj, path, memo)
        except InvalidProperty:
            raise vmodl.query.InvalidProperty(msg=f"{type(obj).__name__} has no property {path}.", name=path) from None
        except LookupError:
            missing.append(
                PC.MissingProperty(
                    path=path, fault=vmodl.fault.ManagedObjectNotFound(msg="The object has been deleted.", obj=obj)
                )
            )
            continue
        if value is not None:
            props.append(vmodl.DynamicProperty(name=path, val=typed(obj, path, value)))
    return props, missing


def contents(world: World, specs: list[Any], exists: Any) -> list[Any]:
    """RetrieveProperties(Ex): every selected object's ObjectContent."""
    memo = Memo()
    out: list[Any] = []
    seen: set[tuple[str, str]] = set()
    for spec in specs:
        found = select(world, spec, exists, memo)
        for k, obj in found.objects.items():
            if k in seen:
                continue
            seen.add(k)
            props, missing = read(world, obj, found.paths[k], memo)
            out.append(PC.ObjectContent(obj=obj, propSet=props, missingSet=missing))
    return out


# -- filters and their updates ---------------------------------------------------------


@dataclass
class FilterState:
    """A PropertyFilter: its spec, and what its collector last reported (object -> path -> encoded value)."""

    ref: Any
    spec: Any
    partial_updates: bool
    reported: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    objects: dict[tuple[str, str], Any] = field(default_factory=dict)


def updates(world: World, state: FilterState, exists: Any, version: str) -> Any | None:
    """The filter's changes since it last reported (a PropertyFilterUpdate), or None;
    what is reported becomes the new baseline."""
    memo = Memo()
    found = select(world, state.spec, exists, memo)
    object_updates: list[Any] = []
    now_reported: dict[tuple[str, str], dict[str, str]] = {}
    for k, obj in found.objects.items():
        props, missing = read(world, obj, found.paths[k], memo)
        encoded = {p.name: serialize(p.val, "val", object, version) for p in props}
        now_reported[k] = encoded
        before = state.reported.get(k)
        if before is None:
            changes = [vmodl.query.PropertyCollector.Change(name=p.name, op="assign", val=p.val) for p in props]
            object_updates.append(PC.ObjectUpdate(kind="enter", obj=obj, changeSet=changes, missingSet=missing))
            continue
        changes = [
            PC.Change(name=p.name, op="assign", val=p.val) for p in props if before.get(p.name) != encoded[p.name]
        ]
        changes += [PC.Change(name=name, op="assign") for name in before if name not in encoded]
        if changes:
            object_updates.append(PC.ObjectUpdate(kind="modify", obj=obj, changeSet=changes, missingSet=missing))
    for k, obj in state.objects.items():
        if k not in found.objects:
            object_updates.append(PC.ObjectUpdate(kind="leave", obj=obj))
    state.reported = now_reported
    state.objects = dict(found.objects)
    if not object_updates:
        return None
    return PC.FilterUpdate(filter=state.ref, objectSet=object_updates, missingSet=[])
