"""The content every new data dir starts with: three ESXi 8.0 base images, a
vendor add-on and a few drivers, written as a real bundle by the same writer as
`vlcmsim depot build` and imported like any other; and the desired states that
make the default inventory interesting (Cluster-A behind its desired image,
Cluster-B compliant)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from vlcmsim.depot.model import AddOn, BaseImage
from vlcmsim.depot.writer import BundleSpec, ComponentSpec

U1, U2, U3 = "8.0.1-0.0.21495797", "8.0.2-0.0.22380479", "8.0.3-0.0.24022510"
BASE_IMAGES = [(U1, "8.0 U1", "2023-04-18"), (U2, "8.0 U2", "2023-09-21"), (U3, "8.0 U3", "2024-06-25")]
I40EN_OLD, I40EN_NEW = "1.11.3.0-1OEM.800.1.0.20143090", "1.12.3.0-1OEM.800.1.0.20613240"
BNXTNET = "227.0.130.0-1OEM.800.1.0.20613240"
LSI_MR3 = "7.720.04.00-1OEM.800.1.0.20613240"
DELL_ADDON = ("DEL-ESXi", "803.24022510-A03")
FS_AGENT, FS_AGENT_VERSION = "vsan-fs-agent", "8.0.3-0.0.24022510"  # what the vSAN File Services solution adds


def _date(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def default_bundle_spec(payload_bytes: int) -> BundleSpec:
    spec = BundleSpec(vendor="VMware, Inc.", vendor_code="VMW")
    for version, ui, released in BASE_IMAGES:
        build = version.rsplit(".", 1)[-1]
        update = version.split("-")[0].replace(".", "")  # 801, 802, 803
        comps = {
            "ESXi": version,
            "esx-update": version,
            "VMware-vmkusb": f"0.1-{update[-1]}vmw.{update}.0.0.{build}",
        }
        for name, cversion in comps.items():
            spec.components.append(
                ComponentSpec(
                    name=name,
                    version=cversion,
                    display_name={"ESXi": "ESXi", "esx-update": "ESXi Install/Upgrade Component"}.get(
                        name, "USB Native Driver for VMware"
                    ),
                    display_version=ui if name != "VMware-vmkusb" else cversion.split("-")[0],
                    vendor="VMware, Inc.",
                    vib_vendor="VMW",
                    release_date=released,
                    payload_size=payload_bytes * (4 if name == "ESXi" else 1),
                )
            )
        spec.base_images.append(BaseImage(version, "ESXi", ui, _date(released), comps, summary=f"ESXi {ui}"))
    drivers = [
        ("Intel-i40en", I40EN_OLD, "Intel(R) Ethernet Controller X710/XL710/XXV710/X722", "Intel", "INT", "2022-09-01"),
        ("Intel-i40en", I40EN_NEW, "Intel(R) Ethernet Controller X710/XL710/XXV710/X722", "Intel", "INT", "2023-03-01"),
        ("bnxtnet", BNXTNET, "Broadcom NetXtreme-E", "Broadcom", "BCM", "2023-06-01"),
        ("Broadcom-lsi-mr3", LSI_MR3, "Broadcom MegaRAID SAS", "Broadcom", "BCM", "2023-07-01"),
        ("dell-configuration-vib", "8.0-3", "Dell configuration VIB", "Dell", "DEL", "2024-07-01"),
        (
            "qedentv",
            "3.71.40.0-1OEM.800.1.0.20613240",
            "QLogic FastLinQ 10/25/40/50/100 GbE",
            "Marvell",
            "QLC",
            "2024-05-01",
        ),
        (FS_AGENT, FS_AGENT_VERSION, "vSAN File Services agent", "VMware, Inc.", "VMW", "2024-06-25"),
    ]
    for name, version, display, vendor, code, released in drivers:
        spec.components.append(
            ComponentSpec(name, version, display, version.split("-")[0], vendor, code, released, payload_bytes)
        )
    spec.add_ons.append(
        AddOn(
            name=DELL_ADDON[0],
            version=DELL_ADDON[1],
            display_name="Dell add-on for ESXi 8.0 U3",
            display_version="803.A03",
            vendor="Dell",
            release_date=_date("2024-07-15"),
            components={"dell-configuration-vib": "8.0-3", "qedentv": "3.71.40.0-1OEM.800.1.0.20613240"},
        )
    )
    return spec


def write_default_bundle(payload_bytes: int, folder: Path) -> Path:
    """The embedded content as an offline bundle in `folder` (the caller's to remove)."""
    from vlcmsim.depot.writer import write_bundle

    out = folder / "vlcmsim-default-depot.zip"
    write_bundle(default_bundle_spec(payload_bytes), out)
    return out
