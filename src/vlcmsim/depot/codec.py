"""DepotContent <-> JSON, for the store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vlcmsim.depot.model import AddOn, BaseImage, Component, DepotContent, Payload, Vib


def content_to_json(c: DepotContent) -> dict[str, Any]:
    return {
        "vendor": c.vendor,
        "vibs": [
            {
                "name": v.name,
                "version": v.version,
                "vendor": v.vendor,
                "vib_type": v.vib_type,
                "acceptance_level": v.acceptance_level,
                "summary": v.summary,
                "relative_path": v.relative_path,
                "packed_size": v.packed_size,
                "sha256": v.sha256,
                "payloads": [[p.name, p.type, p.size, p.sha256] for p in v.payloads],
            }
            for v in c.vibs
        ],
        "components": [{**_plain(x), "release_date": x.release_date.isoformat()} for x in c.components],
        "base_images": [{**_plain(x), "release_date": x.release_date.isoformat()} for x in c.base_images],
        "add_ons": [{**_plain(x), "release_date": x.release_date.isoformat()} for x in c.add_ons],
    }


def _plain(obj: Any) -> dict[str, Any]:
    return dict(obj.__dict__)


def content_from_json(j: dict[str, Any]) -> DepotContent:
    return DepotContent(
        vendor=j["vendor"],
        vibs=[
            Vib(**{**v, "payloads": [Payload(n, t, s, h) for n, t, s, h in v["payloads"]]})  # type: ignore[arg-type]
            for v in j["vibs"]
        ],
        components=[
            Component(**{**x, "release_date": datetime.fromisoformat(x["release_date"])}) for x in j["components"]
        ],
        base_images=[
            BaseImage(**{**x, "release_date": datetime.fromisoformat(x["release_date"])}) for x in j["base_images"]
        ],
        add_ons=[AddOn(**{**x, "release_date": datetime.fromisoformat(x["release_date"])}) for x in j["add_ons"]],
    )
