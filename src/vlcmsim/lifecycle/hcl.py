"""Hardware compatibility (`reports.hardware_compatibility`): the PCI and
storage devices of the simulated hosts against a small simulated compatibility
guide (ours). A guide entry (a product) lists the driver and firmware versions
certified together; the desired image's driver for a device, with the device's
firmware, must be one of them. Where several entries fit a device, the user
picks the one to judge it by (the vcg_entries overrides; for a PCI device the
first entry is the default, a storage device stays unknown until picked), and
may reclassify a storage device outright (verified, flagged, or muted)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vlcmsim.depot import defaults as d
from vlcmsim.depot.catalog import Catalog
from vlcmsim.inventory.model import Host
from vlcmsim.lifecycle.desired import Commit
from vlcmsim.lifecycle.notifications import message
from vlcmsim.lifecycle.spec import effective_components
from vlcmsim.vapi.codec import now

GUIDE = "https://compatibilityguide.broadcom.com/"


@dataclass(frozen=True)
class PciDevice:
    display_name: str
    driver_name: str
    component: str  # the image component that carries the driver
    vendor: str
    vid: str
    did: str
    svid: str
    ssid: str
    firmware: str  # what the simulated hosts run
    certified: tuple[tuple[str, str], ...]  # (driver version, firmware version) of its default guide entry
    others: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()  # other entries: (product, certified)
    product: str = ""  # the default entry's id

    @property
    def key(self) -> str:
        return f"{self.vid}:{self.did}:{self.svid}:{self.ssid}"

    def products(self) -> dict[str, tuple[tuple[str, str], ...]]:
        return {self.product: self.certified, **dict(self.others)}


@dataclass(frozen=True)
class StorageProduct:
    id: str
    model: str
    partner: str
    firmware: tuple[str, ...]  # the firmware versions certified


@dataclass(frozen=True)
class StorageDevice:
    model: str
    vendor: str
    part_number: str
    capacity: int
    firmware: str  # what the simulated hosts run
    driver_name: str
    driver_version: str
    products: tuple[StorageProduct, ...]  # the guide entries that fit it

    @property
    def key(self) -> str:
        return f"{self.vendor}|{self.model}|{self.capacity}"


DEVICES = (
    PciDevice(
        "Intel(R) Ethernet Controller X710 for 10GbE SFP+",
        "i40en",
        "Intel-i40en",
        "Intel Corporation",
        "8086",
        "1572",
        "8086",
        "0007",
        "9.20",
        ((d.I40EN_OLD, "9.00"), (d.I40EN_OLD, "9.20"), (d.I40EN_NEW, "9.20"), (d.I40EN_NEW, "9.40")),
        # the same chip on an OCP 3.0 card: certified only with the newer firmware
        (("vcg-io-41230", ((d.I40EN_NEW, "9.40"),)),),
        "vcg-io-37976",
    ),
    PciDevice(
        "Broadcom MegaRAID SAS 9460-8i",
        "lsi_mr3",
        "Broadcom-lsi-mr3",
        "Broadcom",
        "1000",
        "0014",
        "1000",
        "9460",
        "51.20.0-4565",
        ((d.LSI_MR3, "51.20.0-4565"),),
        (),
        "vcg-io-44852",
    ),
)

STORAGE = (
    StorageDevice(
        "Dell Ent NVMe P5600 MU U.2 1.6TB",
        "Dell",
        "0JNTW3",
        1_600_321_314_816,
        "1.1.5",
        "nvme_pcie",
        "1.2.4.11-1vmw.803.0.0.24022510",
        (
            StorageProduct("vcg-ssd-53601", "P5600 1.6TB (vSAN ESA)", "Dell", ("1.1.5", "1.1.6")),
            StorageProduct("vcg-ssd-53607", "P5600 1.6TB (vSAN OSA cache)", "Dell", ("1.2.0",)),
        ),
    ),
)
RECLASSIFIED = {
    "MARK_AS_VERIFIED": "USER_VERIFIED",
    "FLAG_AS_INCOMPATIBLE": "USER_FLAGGED",
    "SUPPRESS_WARNING": "MUTED",
}


@dataclass
class Overrides:
    """A cluster's choices: the guide entry of each PCI and storage device, each storage device's reclassification."""

    pci: dict[str, str]
    storage: dict[str, str]
    reclassified: dict[str, str]

    @classmethod
    def from_json(cls, j: dict[str, str] | None) -> Overrides:
        """From what `to_json` wrote: one flat map ("pci:<device>" -> entry, ...), as reports keep it."""
        parts: dict[str, dict[str, str]] = {"pci": {}, "storage": {}, "reclassified": {}}
        for key, value in (j or {}).items():
            kind, _, device = key.partition(":")
            if kind in parts:
                parts[kind][device] = value
        return cls(parts["pci"], parts["storage"], parts["reclassified"])

    def to_json(self) -> dict[str, str]:
        out = {f"pci:{k}": v for k, v in self.pci.items()}
        out.update({f"storage:{k}": v for k, v in self.storage.items()})
        out.update({f"reclassified:{k}": v for k, v in self.reclassified.items()})
        return out


def _device_value(dev: PciDevice) -> dict[str, str]:
    return {
        "display_name": dev.display_name,
        "driver_name": dev.driver_name,
        "vendor": dev.vendor,
        "vid": dev.vid,
        "did": dev.did,
        "svid": dev.svid,
        "ssid": dev.ssid,
    }


def _version(dev: PciDevice, driver: str) -> dict[str, str]:
    return {"driver_version": driver, "firmware_version": dev.firmware, "driver_name": dev.driver_name}


def check_result(
    commit: Commit, hosts: list[Host], catalog: Catalog, overrides: Overrides | None = None
) -> dict[str, Any]:
    """The CheckResult of the cluster's hosts' devices against the desired image."""
    overrides = overrides or Overrides({}, {}, {})
    drivers = effective_components(commit.spec, catalog)
    compatible: list[dict[str, Any]] = []
    incompatible: list[dict[str, Any]] = []
    for dev in DEVICES:
        eff = drivers.get(dev.component)
        driver = eff.version if eff else ""
        certified = dev.products().get(overrides.pci.get(dev.key, dev.product), dev.certified)
        ok = eff is not None and (driver, dev.firmware) in certified
        info: dict[str, Any] = {
            "status": "COMPATIBLE" if ok else "INCOMPATIBLE",
            "device": _device_value(dev),
            "compatible_versions": [f"{v} with firmware {f}" for v, f in certified],
            "host_info": {h.id: {"name": h.name} for h in hosts},
            "target": _version(dev, driver),
            "supported": [
                {"driver_version": v, "firmware_version": f, "driver_name": dev.driver_name} for v, f in certified
            ],
            "compatibility_guide_link": GUIDE,
        }
        if not ok:
            why = (
                "the image has no driver for it"
                if eff is None
                else f"driver {driver} is not certified with firmware {dev.firmware}"
            )
            info["notifications"] = {
                "warnings": [
                    {
                        "type": "WARNING",
                        "id": "com.vmware.vcIntegrity.lifecycle.hcl.NotCertified",
                        "time": now(),
                        "message": message(
                            "com.vmware.vcIntegrity.lifecycle.hcl.NotCertified", f"{dev.display_name}: {why}."
                        ),
                    }
                ]
            }
        (compatible if ok else incompatible).append(info)
    storage = storage_compliance(hosts, overrides)
    status = "INCOMPATIBLE" if incompatible or storage["incompatible_devices"] else "COMPATIBLE"
    summary = (
        f"{len(compatible)} of {len(DEVICES)} PCI device model(s) of {len(hosts)} host(s) are certified with the image."
    )
    return {
        "status": status,
        "scan_time": now(),
        "commit": str(commit.id),
        "base_image_version": commit.spec.base_image or "",
        "pci_device_compliance": {
            "status": "INCOMPATIBLE" if incompatible else "COMPATIBLE",
            "compatible_devices": compatible,
            "incompatible_devices": incompatible,
            "incompatible_driver_firmware": [],
        },
        "storage_device_compliance": storage,
        "notifications": {},
        "note": message("com.vmware.vcIntegrity.lifecycle.hcl.Summary", summary),
    }


def _warning(msg_id: str, text: str) -> dict[str, Any]:
    return {"warnings": [{"type": "WARNING", "id": msg_id, "time": now(), "message": message(msg_id, text)}]}


def storage_compliance(hosts: list[Host], overrides: Overrides) -> dict[str, Any]:
    """The StorageDeviceCompliance of the hosts' storage devices, the user's choices applied."""
    out: dict[str, list[dict[str, Any]]] = {"compatible_devices": [], "incompatible_devices": [], "unknown_devices": []}
    for dev in STORAGE:
        chosen = overrides.storage.get(dev.key)
        only = dev.products[0].id if len(dev.products) == 1 else None
        used = chosen or only
        matches = [
            {
                "status": "COMPATIBLE" if dev.firmware in p.firmware else "INCOMPATIBLE",
                "compatible_versions": list(p.firmware),
                "supported_firmware_versions": list(p.firmware),
                "vcg_product": p.id,
                "model": p.model,
                "partner": p.partner,
                "compatibility_guide_link": GUIDE,
                "used_for_compliance": p.id == used,
                "user_selected": p.id == chosen,
            }
            for p in dev.products
        ]
        product = next((p for p in dev.products if p.id == used), None)
        if product is None:
            status, detail, bucket = "UNAVAILABLE", "UNKNOWN", "unknown_devices"
            notes = _warning(
                "com.vmware.vcIntegrity.lifecycle.hcl.SeveralEntries",
                f"{dev.model}: {len(dev.products)} guide entries fit it; select the one to check it against.",
            )
        elif dev.firmware in product.firmware:
            status, detail, bucket, notes = "COMPATIBLE", "CERTIFIED", "compatible_devices", {}
        else:
            status, detail, bucket = "INCOMPATIBLE", "NOT_CERTIFIED", "incompatible_devices"
            notes = _warning(
                "com.vmware.vcIntegrity.lifecycle.hcl.NotCertified",
                f"{dev.model}: firmware {dev.firmware} is not certified for {product.model}.",
            )
        action = overrides.reclassified.get(dev.key)
        if action == "MARK_AS_VERIFIED":
            status, bucket, notes = "COMPATIBLE", "compatible_devices", {}
        elif action == "FLAG_AS_INCOMPATIBLE":
            status, bucket = "INCOMPATIBLE", "incompatible_devices"
        elif action == "SUPPRESS_WARNING":
            notes = {}
        if action is not None:
            detail = RECLASSIFIED[action]
        out[bucket].append(
            {
                "storage_device_info": {
                    "model": dev.model,
                    "vendor": dev.vendor,
                    "part_number": dev.part_number,
                    "capacity": dev.capacity,
                },
                "device_count": len(hosts),
                "status": status,
                "detail": detail,
                "host_info": {h.id: {"name": h.name} for h in hosts},
                "firmware_version": dev.firmware,
                "driver_name": dev.driver_name,
                "driver_version": dev.driver_version,
                "matches": matches,
                "used_by_vsan": True,
                "notifications": notes,
            }
        )
    status = (
        "INCOMPATIBLE" if out["incompatible_devices"] else "UNAVAILABLE" if out["unknown_devices"] else "COMPATIBLE"
    )
    return {"status": status, **out}


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """The CheckSummary of a check's result."""
    return {
        "status": result["status"],
        "scan_time": result["scan_time"],
        "commit": result.get("commit"),
        "base_image_version": result["base_image_version"],
        "summary_result": result["note"],
        "notifications": result["notifications"],
    }
