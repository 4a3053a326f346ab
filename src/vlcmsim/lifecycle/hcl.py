"""Hardware compatibility (`reports.hardware_compatibility`): the PCI devices of
the simulated hosts against a small simulated compatibility guide (ours): each
device lists the driver and firmware versions certified together; the desired
image's driver for a device, with the device's firmware, must be one of them."""

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
    certified: tuple[tuple[str, str], ...]  # (driver version, firmware version)


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
    ),
)


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


def check_result(commit: Commit, hosts: list[Host], catalog: Catalog) -> dict[str, Any]:
    """The CheckResult of the cluster's hosts' devices against the desired image."""
    drivers = effective_components(commit.spec, catalog)
    compatible: list[dict[str, Any]] = []
    incompatible: list[dict[str, Any]] = []
    for dev in DEVICES:
        eff = drivers.get(dev.component)
        driver = eff.version if eff else ""
        ok = eff is not None and (driver, dev.firmware) in dev.certified
        info: dict[str, Any] = {
            "status": "COMPATIBLE" if ok else "INCOMPATIBLE",
            "device": _device_value(dev),
            "compatible_versions": [f"{v} with firmware {f}" for v, f in dev.certified],
            "host_info": {h.id: {"name": h.name} for h in hosts},
            "target": _version(dev, driver),
            "supported": [
                {"driver_version": v, "firmware_version": f, "driver_name": dev.driver_name} for v, f in dev.certified
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
    status = "INCOMPATIBLE" if incompatible else "COMPATIBLE"
    summary = (
        f"{len(compatible)} of {len(DEVICES)} PCI device model(s) of {len(hosts)} host(s) are certified with the image."
    )
    return {
        "status": status,
        "scan_time": now(),
        "commit": str(commit.id),
        "base_image_version": commit.spec.base_image or "",
        "pci_device_compliance": {
            "status": status,
            "compatible_devices": compatible,
            "incompatible_devices": incompatible,
            "incompatible_driver_firmware": [],
        },
        "storage_device_compliance": {
            "status": "COMPATIBLE",
            "compatible_devices": [],
            "incompatible_devices": [],
            "unknown_devices": [],
        },
        "notifications": {},
        "note": message("com.vmware.vcIntegrity.lifecycle.hcl.Summary", summary),
    }


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
