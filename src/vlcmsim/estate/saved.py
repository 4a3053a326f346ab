"""The inventory part of an estate from a `govc object.save` directory (the
format vcsim loads): one ObjectContent XML file per managed object. Only what
an estate keeps is read (names, parents, cluster DRS/HA, host hardware, state
and product, VMs); a saved directory holds no vLCM state."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import defusedxml.ElementTree as defused
from defusedxml import DefusedXmlException

from vlcmsim.estate.crawl import strip_ids, tree
from vlcmsim.estate.model import ESTATE_VERSION, EstateError

MAX_FILE_BYTES = 64 * 1024 * 1024
KINDS = ("Datacenter", "Folder", "ClusterComputeResource", "ComputeResource", "HostSystem", "VirtualMachine")


def _local(e: ET.Element) -> str:
    return e.tag.rsplit("}", 1)[-1]


def _child(e: ET.Element | None, *path: str) -> ET.Element | None:
    for name in path:
        if e is None:
            return None
        e = next((c for c in e if _local(c) == name), None)
    return e


def _text(e: ET.Element | None, *path: str) -> str:
    found = _child(e, *path)
    return (found.text or "").strip() if found is not None else ""


def _ref(e: ET.Element | None) -> SimpleNamespace | None:
    return SimpleNamespace(_moId=(e.text or "").strip()) if e is not None and (e.text or "").strip() else None


def _props(kind: str, values: dict[str, ET.Element]) -> dict[str, Any]:
    """The properties the crawl reads, shaped as pyVmomi would give them."""
    props: dict[str, Any] = {"name": _text(values.get("name")), "parent": _ref(values.get("parent"))}
    if kind == "ClusterComputeResource":
        config = values.get("configurationEx")
        props["configurationEx"] = SimpleNamespace(
            drsConfig=SimpleNamespace(enabled=_text(config, "drsConfig", "enabled") == "true"),
            dasConfig=SimpleNamespace(enabled=_text(config, "dasConfig", "enabled") == "true"),
        )
    elif kind == "HostSystem":
        summary = values.get("summary")
        props["summary.hardware"] = SimpleNamespace(
            vendor=_text(summary, "hardware", "vendor"),
            model=_text(summary, "hardware", "model"),
            uuid=_text(summary, "hardware", "uuid"),
        )
        props["summary.config.product"] = SimpleNamespace(
            version=_text(summary, "config", "product", "version"), build=_text(summary, "config", "product", "build")
        )
        props["runtime.connectionState"] = _text(summary, "runtime", "connectionState")
        props["runtime.inMaintenanceMode"] = _text(summary, "runtime", "inMaintenanceMode") == "true"
    elif kind == "VirtualMachine":
        runtime = values.get("runtime")
        props["runtime.host"] = _ref(_child(runtime, "host"))
        props["runtime.powerState"] = _text(runtime, "powerState") or "poweredOff"
    return props


def read_saved(folder: Path) -> dict[str, Any]:
    if not folder.is_dir():
        raise EstateError(f"{folder} is not a folder of `govc object.save`")
    objects: dict[str, tuple[str, dict[str, Any]]] = {}
    problems: list[str] = []
    for path in sorted(folder.glob("*.xml")):
        kind = next((k for k in KINDS if f"-{k}-" in path.name), None)
        if kind is None:
            continue
        if path.stat().st_size > MAX_FILE_BYTES:
            problems.append(f"{path.name}: larger than {MAX_FILE_BYTES} bytes, not read")
            continue
        try:  # defusedxml: no entity expansion or DTD from a file handed to us
            root = defused.fromstring(path.read_bytes())
        except (ET.ParseError, DefusedXmlException) as exc:
            problems.append(f"{path.name}: {exc}")
            continue
        obj = _child(root, "obj")
        if obj is None or not (obj.text or "").strip():
            problems.append(f"{path.name}: no object")
            continue
        values = {
            _text(ps, "name"): v for ps in root if _local(ps) == "propSet" and (v := _child(ps, "val")) is not None
        }
        objects[(obj.text or "").strip()] = (kind, _props(kind, values))
    datacenters = tree(objects)
    strip_ids(datacenters)
    return {
        "estate_version": ESTATE_VERSION,
        "source": {"folder": str(folder), "read_at": datetime.now(UTC).isoformat(timespec="seconds")},
        "datacenters": datacenters,
        "depots": {"online": []},
        "content": {"base_images": [], "add_ons": [], "components": []},
        "problems": [*problems, "a govc object.save folder holds no vLCM state"],
    }
