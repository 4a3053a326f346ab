"""esx.hcl: the hardware compatibility guide's data (its last download), which ESXi
releases a host's server supports, and a host's compatibility report against a
release — its server model and each PCI device's driver and firmware against
the (simulated) guide; a report is also a JSON file at a URL with a token."""

from __future__ import annotations

import asyncio
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from vlcmsim.backend import Call
from vlcmsim.depot.versions import compare
from vlcmsim.ids import LIFECYCLE
from vlcmsim.inventory.model import Host
from vlcmsim.lifecycle.documents import export_token
from vlcmsim.lifecycle.hcl import DEVICES, GUIDE
from vlcmsim.lifecycle.spec import effective_components
from vlcmsim.services.common import HOST_TYPE, start_task
from vlcmsim.services.esx_settings.common import require_host
from vlcmsim.soap.world import HARDWARE
from vlcmsim.tasks.manager import TaskContext
from vlcmsim.vapi.codec import now
from vlcmsim.vapi.errors import invalid_argument, not_allowed, not_found
from vlcmsim.vapi.operations import OperationSet, Privilege

ops = OperationSet()

HCL = "com.vmware.esx.hcl"
REPORTS_PATH = "/vum/repository/exports"
SUPPORTED = ("8.0", "8.0 U1", "8.0 U2", "8.0 U3")  # what the guide certifies a PowerEdge R760 for (ours)
TOKEN_HOURS = 1
DATA_AS_SHIPPED = datetime(2024, 9, 30, tzinfo=UTC)  # the guide's data vlcmsim ships, until a download


def _message(key: str, text: str) -> dict[str, Any]:
    return {"id": f"{LIFECYCLE}.hcl.{key}", "default_message": text, "args": []}


def _release_of(base_image: str | None) -> str:
    """ "8.0.2-0.0.22380479" -> "8.0 U2" (the guide's names for releases)."""
    if not base_image:
        return ""
    major, minor, update = (base_image.split("-")[0].split(".") + ["0", "0"])[:3]
    return f"{major}.{minor}" + (f" U{update}" if update != "0" else "")


@ops.operation(f"{HCL}.compatibility_data", "get")
async def data_status(call: Call) -> dict[str, Any]:
    found = call.backend.reports.get("hcl", "hcl_data")
    return found or {"updated_at": DATA_AS_SHIPPED, "notifications": {}}


@ops.operation(f"{HCL}.compatibility_data", "update$task", Privilege.WRITE)
async def download_data(call: Call) -> str:
    reports = call.backend.reports

    async def work(ctx: TaskContext) -> None:
        ctx.progress(0, 100, "Downloading the compatibility guide's data")
        await asyncio.sleep(0.05)  # a download, simulated
        text = f"Downloaded from {GUIDE}."
        info = {"id": f"{LIFECYCLE}.hcl.Downloaded", "time": now(), "message": _message("Downloaded", text)}
        reports.put("hcl", "hcl_data", {"updated_at": now(), "notifications": {"info": [info]}})

    return start_task(call, work, None, "Download the hardware compatibility data")


def _host_release(call: Call, h: Host) -> str:
    spec = call.backend.desired.installed(h.id)
    return _release_of(spec.base_image if spec else None)


@ops.operation(f"{HCL}.hosts.compatibility_releases", "list")
async def releases(call: Call, host: str) -> dict[str, Any]:
    h = require_host(call, host)
    current = _host_release(call, h)
    newer = sorted(
        {_release_of(v) for v in call.backend.depots.catalog().base_images} | {r for r in SUPPORTED},
        key=lambda r: [int(x) for x in r.replace(" U", ".").split(".")],
    )
    newer = [r for r in newer if r in SUPPORTED and _after(r, current)]
    return {"current_compatibility_release": current, "newer_compatibility_releases": newer, "notifications": {}}


def _as_version(release: str) -> str:
    return release.replace(" U", ".") if " U" in release else f"{release}.0"


def _after(release: str, current: str) -> bool:
    return not current or compare(_as_version(release), _as_version(current)) > 0


def _report(call: Call, h: Host, release: str) -> dict[str, Any]:
    installed = call.backend.desired.installed(h.id)
    catalog = call.backend.depots.catalog()
    components = effective_components(installed, catalog) if installed else {}
    devices = []
    for n, dev in enumerate(DEVICES):
        driver_version = components[dev.component].version if dev.component in components else ""
        certified = release in SUPPORTED and (driver_version, dev.firmware) in dev.certified
        devices.append(
            {
                "compatibility": "CERTIFIED"
                if certified
                else "INCOMPATIBLE"
                if release in SUPPORTED
                else "UNAVAILABLE",
                "device": {
                    "pci_address": f"0000:{0x3B + n:02x}:00.0",
                    "vid": dev.vid,
                    "did": dev.did,
                    "svid": dev.svid,
                    "ssid": dev.ssid,
                    "vendor": dev.vendor,
                    "model_name": dev.display_name,
                    "class_code": "02" if dev.driver_name.endswith("en") else "01",
                    "sub_class_code": "00",
                    "driver": {"name": dev.driver_name, "version": driver_version or "not installed"},
                    "firmware": {"version": dev.firmware},
                    "used_by_vsan": False,
                },
                "device_constraints": [
                    {"driver": {"name": dev.driver_name, "version": dv}, "firmware": {"version": fw}, "notes": []}
                    for dv, fw in dev.certified
                ],
                "supported_releases": list(SUPPORTED),
                "vcg_link": f"{GUIDE}?deviceCategory=io&vid={dev.vid}&did={dev.did}",
            }
        )
    model_ok = release in SUPPORTED
    return {
        "host": f"{call.backend.settings.url}/api/vcenter/host?hosts={h.id}",
        "target_release": release,
        "server_hcl": {
            "server": {
                "model_name": HARDWARE.model,
                "vendor": HARDWARE.vendor,
                "cpu_series": "Intel Xeon Gold 6400 (Sapphire Rapids) Series",
                "cpu_features": "0x806f8",
                "bios": {"version": "2.2.7", "vendor": HARDWARE.vendor},
            },
            "matches": [
                {
                    "cpu_series": "Intel Xeon Gold 6400 (Sapphire Rapids) Series",
                    "supported_releases": list(SUPPORTED),
                    "vcg_link": f"{GUIDE}?deviceCategory=server&partner=Dell&model=R760",
                    "bios_constraints": [{"bios": {"version": "1.7.5"}, "notes": []}],
                }
            ],
            "model_compatibility": "CERTIFIED" if model_ok else "UNAVAILABLE",
        },
        "devices_hcl": devices,
        "generated_at": now(),
        "notifications": {},
    }


@ops.operation(f"{HCL}.hosts.compatibility_report", "create$task", Privilege.WRITE)
async def create_report(call: Call, host: str, spec: dict[str, Any] | None = None) -> str:
    h = require_host(call, host)
    if h.connection_state != "CONNECTED":
        raise not_allowed(f"{LIFECYCLE}.hcl.HostNotConnected", f"Host {h.name} is not connected.", host)
    release = (spec or {}).get("release") or _host_release(call, h)
    if release not in SUPPORTED:
        raise invalid_argument(
            f"{LIFECYCLE}.hcl.UnknownRelease",
            f"{release} is not a release of the guide: {', '.join(SUPPORTED)}.",
            "release",
        )
    backend = call.backend

    async def work(_: TaskContext) -> dict[str, Any]:
        report = _report(call, h, release)
        identifier = f"hcl-{h.id}-{secrets.token_hex(4)}"
        out = backend.settings.data_dir / "exports" / f"{identifier}.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(report, default=str, indent=2))
        value = {"report": report, "identifier": identifier}
        backend.reports.put(h.id, "hcl_report", value)
        return value

    return start_task(call, work, (HOST_TYPE, host), f"Check host {h.name} against the compatibility guide")


@ops.operation(f"{HCL}.hosts.compatibility_report", "get")
async def last_report(call: Call, host: str) -> Any:
    h = require_host(call, host)
    found = call.backend.reports.get(h.id, "hcl_report")
    if found is None:
        raise not_found(f"{LIFECYCLE}.hcl.NoReport", f"Host {h.name} has no compatibility report yet.", host)
    return found


@ops.operation(f"{HCL}.reports", "get")
async def report_location(call: Call, report: str) -> dict[str, Any]:
    name = f"{report}.json"
    if "/" in report or not (call.backend.settings.data_dir / "exports" / name).is_file():
        raise not_found(f"{LIFECYCLE}.hcl.NoSuchReport", f"No compatibility report {report}.", report)
    token = export_token(call.backend.secret, "exports", name)
    return {
        "url": f"{call.backend.settings.url}{REPORTS_PATH}/{name}?token={token}",
        "report_token": {"token": token, "expiry": now() + timedelta(hours=TOKEN_HOURS)},
    }
