"""Everything the depots hold, merged: what desired states may use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vlcmsim.depot.model import AddOn, BaseImage, Component, DepotContent, Vib
from vlcmsim.depot.versions import version_key


@dataclass
class Catalog:
    base_images: dict[str, BaseImage] = field(default_factory=dict)
    add_ons: dict[tuple[str, str], AddOn] = field(default_factory=dict)
    components: dict[tuple[str, str], Component] = field(default_factory=dict)
    vibs: dict[str, Vib] = field(default_factory=dict)
    # answers computed from this catalog, kept with it: it never changes (a change of
    # the depots makes a new catalog), so they never go stale
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def merge(cls, contents: list[DepotContent]) -> Catalog:
        cat = cls()
        for c in contents:
            cat.base_images.update({b.version: b for b in c.base_images})
            cat.add_ons.update({(a.name, a.version): a for a in c.add_ons})
            cat.components.update({(x.name, x.version): x for x in c.components})
            cat.vibs.update({v.id: v for v in c.vibs})
        return cat

    def component_versions(self, name: str) -> list[str]:
        return sorted((v for n, v in self.components if n == name), key=version_key)

    def bundle_type(self, name: str, version: str) -> str:
        if any(b.components.get(name) == version for b in self.base_images.values()):
            return "BASE_IMAGE"
        if any(a.components.get(name) == version for a in self.add_ons.values()):
            return "ADD_ON"
        return "INDEPENDENT"
