"""What a depot holds: VIBs with their payloads, components, base images, add-ons."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Payload:
    name: str
    type: str
    size: int
    sha256: str


@dataclass
class Vib:
    """A VIB: an `ar` archive of descriptor.xml, sig.pkcs7 and payloads.
    Its id is ``<vendor>_<type>_<name>_<version>``."""

    name: str
    version: str
    vendor: str
    vib_type: str = "bootbank"
    acceptance_level: str = "partner"
    summary: str = ""
    payloads: list[Payload] = field(default_factory=list)
    relative_path: str = ""
    packed_size: int = 0
    sha256: str = ""

    @property
    def id(self) -> str:
        return f"{self.vendor}_{self.vib_type}_{self.name}_{self.version}"


@dataclass
class Component:
    """A bulletin that carries componentNameSpec / componentVersionSpec."""

    name: str
    version: str
    display_name: str
    display_version: str
    vendor: str
    release_date: datetime
    summary: str = ""
    category: str = "ENHANCEMENT"
    urgency: str = "IMPORTANT"
    vib_ids: list[str] = field(default_factory=list)

    @property
    def bulletin_id(self) -> str:
        return f"{self.name}_{self.version}"


@dataclass
class BaseImage:
    version: str
    display_name: str
    display_version: str
    release_date: datetime
    components: dict[str, str]
    summary: str = ""
    category: str = "ENHANCEMENT"


@dataclass
class AddOn:
    name: str
    version: str
    display_name: str
    display_version: str
    vendor: str
    release_date: datetime
    components: dict[str, str]
    removed_components: list[str] = field(default_factory=list)
    summary: str = ""
    category: str = "ENHANCEMENT"


@dataclass
class DepotContent:
    vendor: str = "VMware, Inc."
    vibs: list[Vib] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)
    base_images: list[BaseImage] = field(default_factory=list)
    add_ons: list[AddOn] = field(default_factory=list)
