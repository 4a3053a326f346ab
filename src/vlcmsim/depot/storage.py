"""DepotContent <-> JSON, for the store. Every stored field is named here: a
renamed attribute fails loudly in this file instead of silently changing
what existing data dirs hold."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vlcmsim.depot.model import AddOn, BaseImage, Component, DepotContent, Payload, Vib

_VIB = (
    "name",
    "version",
    "vendor",
    "vib_type",
    "acceptance_level",
    "summary",
    "relative_path",
    "packed_size",
    "sha256",
)
_COMPONENT = (
    "name",
    "version",
    "display_name",
    "display_version",
    "vendor",
    "summary",
    "category",
    "urgency",
    "vib_ids",
)
_BASE_IMAGE = ("version", "display_name", "display_version", "components", "summary", "category")
_ADD_ON = (
    "name",
    "version",
    "display_name",
    "display_version",
    "vendor",
    "components",
    "removed_components",
    "summary",
    "category",
)


def _fields(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


def _released(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {**_fields(obj, names), "release_date": obj.release_date.isoformat()}


def content_to_json(c: DepotContent) -> dict[str, Any]:
    return {
        "vendor": c.vendor,
        "vibs": [
            {**_fields(v, _VIB), "payloads": [[p.name, p.type, p.size, p.sha256] for p in v.payloads]} for v in c.vibs
        ],
        "components": [_released(x, _COMPONENT) for x in c.components],
        "base_images": [_released(x, _BASE_IMAGE) for x in c.base_images],
        "add_ons": [_released(x, _ADD_ON) for x in c.add_ons],
    }


def _read(j: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: j[name] for name in names}


def _release_date(j: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(j["release_date"])


def content_from_json(j: dict[str, Any]) -> DepotContent:
    return DepotContent(
        vendor=j["vendor"],
        vibs=[Vib(**_read(v, _VIB), payloads=[Payload(n, t, s, h) for n, t, s, h in v["payloads"]]) for v in j["vibs"]],
        components=[Component(**_read(x, _COMPONENT), release_date=_release_date(x)) for x in j["components"]],
        base_images=[BaseImage(**_read(x, _BASE_IMAGE), release_date=_release_date(x)) for x in j["base_images"]],
        add_ons=[AddOn(**_read(x, _ADD_ON), release_date=_release_date(x)) for x in j["add_ons"]],
    )
