"""An estate file: a vCenter's inventory and vLCM state as one versioned JSON
document (docs/estate.md describes it; docs/estate.schema.json is its schema).

    {"estate_version": 1, "source": {...}, "datacenters": [...], "depots": {...},
     "content": {...}, "problems": [...]}

Everything is named, not numbered: a twin gets ids of its own. `source` and
`problems` say where it came from and what could not be read; the rest is the
estate itself, what `comparable` keeps when two estates are compared."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

ESTATE_VERSION = 1


class EstateError(ValueError):
    """The file is not an estate this vlcmsim reads; the message says why."""


def comparable(estate: dict[str, Any]) -> dict[str, Any]:
    """The estate without where and when it was read."""
    return {k: v for k, v in estate.items() if k not in ("source", "problems")}


def save(estate: dict[str, Any], path: Path) -> None:
    """Written whole or not at all."""
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(estate, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def load(path: Path) -> dict[str, Any]:
    try:
        estate = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EstateError(f"{path} cannot be read as JSON: {exc}") from None
    if not isinstance(estate, dict) or estate.get("estate_version") != ESTATE_VERSION:
        raise EstateError(f"{path} is not an estate of version {ESTATE_VERSION}")
    for dc in estate.get("datacenters") or ():
        if not isinstance(dc, dict) or not isinstance(dc.get("name"), str):
            raise EstateError(f"{path}: every datacenter needs a name")
        for cluster in dc.get("clusters") or ():
            if not isinstance(cluster.get("name"), str):
                raise EstateError(f"{path}: every cluster of {dc['name']} needs a name")
            _hosts(path, cluster.get("hosts") or ())
        _hosts(path, dc.get("hosts") or ())
    _unique(path, [h["name"] for h in hosts_of(estate)], "host name")
    _unique(path, [h.get("id") for h in hosts_of(estate)], "host id")
    _unique(
        path, [c.get("id") for dc in estate.get("datacenters") or () for c in dc.get("clusters") or ()], "cluster id"
    )
    _unique(path, [dc.get("id") for dc in estate.get("datacenters") or ()], "datacenter id")
    return estate


def _unique(path: Path, values: list[Any], what: str) -> None:
    seen: set[Any] = set()
    for v in values:
        if v is not None and v in seen:
            raise EstateError(f"{path}: {what} {v} appears twice")
        seen.add(v)


def _hosts(path: Path, hosts: Any) -> None:
    for h in hosts:
        if not isinstance(h, dict) or not isinstance(h.get("name"), str):
            raise EstateError(f"{path}: every host needs a name")


def hosts_of(estate: dict[str, Any]) -> list[dict[str, Any]]:
    """Every host of the estate, in clusters or standalone."""
    out: list[dict[str, Any]] = []
    for dc in estate.get("datacenters") or ():
        for cluster in dc.get("clusters") or ():
            out.extend(cluster.get("hosts") or ())
        out.extend(dc.get("hosts") or ())
    return out
