"""Read a live vCenter's estate, changing nothing: its inventory over vim25
(pyVmomi, one property collection for every object) and its vLCM state over the
vSphere Automation API (which clusters and standalone hosts are managed with an
image, their desired images and apply policies, what each host runs, the
depots and the content they hold — metadata, never payloads). What cannot be
read is noted in the estate's `problems` and the crawl goes on."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import httpx

from vlcmsim.estate.model import ESTATE_VERSION

Progress = Callable[[str], object]


def crawl(
    url: str, user: str, password: str, verify: ssl.SSLContext | bool = True, progress: Progress = lambda s: None
) -> dict[str, Any]:
    problems: list[str] = []
    progress("reading the inventory (vim25)")
    inventory = _inventory(url, user, password, verify)
    progress(f"{sum(len(_all_hosts(dc)) for dc in inventory)} hosts in {len(inventory)} datacenter(s)")
    estate: dict[str, Any] = {
        "estate_version": ESTATE_VERSION,
        "source": {"url": url, "read_at": datetime.now(UTC).isoformat(timespec="seconds")},
        "datacenters": inventory,
        "depots": {"online": []},
        "content": {"base_images": [], "add_ons": [], "components": []},
        "problems": problems,
    }
    with httpx.Client(base_url=url, verify=verify, trust_env=False, timeout=60) as api:
        r = api.post("/api/session", auth=(user, password))
        if r.status_code == 201:
            api.headers["vmware-api-session-id"] = r.json()
            progress("reading the vLCM state (vSphere Automation API)")
            _lifecycle(api, inventory, estate, problems, progress)
        else:
            problems.append(f"the vSphere Automation API refused a session ({r.status_code}): no vLCM state read")
    strip_ids(inventory)
    return estate


# -- vim25 ---------------------------------------------------------------------------------

_PROPS = {
    "Datacenter": ["name", "parent"],
    "Folder": ["name", "parent"],
    "ClusterComputeResource": ["name", "parent", "configurationEx"],
    "ComputeResource": ["name", "parent"],
    "HostSystem": [
        "name",
        "parent",
        "summary.hardware",
        "summary.config.product",
        "runtime.connectionState",
        "runtime.inMaintenanceMode",
    ],
    "VirtualMachine": ["name", "runtime.host", "runtime.powerState"],
}


def _inventory(url: str, user: str, password: str, verify: ssl.SSLContext | bool) -> list[dict[str, Any]]:
    from pyVim import connect as pyvim_connect

    from vlcmsim.soap.vim import vim, vmodl

    connection: Any = pyvim_connect  # untyped
    parsed = urlparse(url)
    context = verify if isinstance(verify, ssl.SSLContext) else None
    si = connection.SmartConnect(
        host=parsed.hostname,
        port=parsed.port or 443,
        user=user,
        pwd=password,
        sslContext=context,
        disableSslCertValidation=verify is False,
    )
    try:
        content = si.RetrieveContent()
        types = [getattr(vim, t) for t in _PROPS]
        view = content.viewManager.CreateContainerView(content.rootFolder, types, True)
        traverse = vmodl.query.PropertyCollector.TraversalSpec(name="view", type=vim.view.ContainerView, path="view")
        spec = vmodl.query.PropertyCollector.FilterSpec(
            objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=view, skip=True, selectSet=[traverse])],
            propSet=[
                vmodl.query.PropertyCollector.PropertySpec(type=getattr(vim, t), pathSet=p) for t, p in _PROPS.items()
            ],
        )
        collector = content.propertyCollector
        objects: dict[str, tuple[str, dict[str, Any]]] = {}
        result = collector.RetrievePropertiesEx([spec], vmodl.query.PropertyCollector.RetrieveOptions())
        while result is not None:
            for o in result.objects:
                objects[o.obj._moId] = (type(o.obj).__name__.rsplit(".", 1)[-1], {p.name: p.val for p in o.propSet})
            result = collector.ContinueRetrievePropertiesEx(result.token) if result.token else None
        view.Destroy()
    finally:
        connection.Disconnect(si)
    return tree(objects)


def _datacenter_of(objects: dict[str, tuple[str, dict[str, Any]]], moid: str) -> str | None:
    seen = 0
    while moid in objects and seen < 64:
        kind, props = objects[moid]
        if kind == "Datacenter":
            return moid
        parent = props.get("parent")
        if parent is None:
            return None
        moid, seen = parent._moId, seen + 1
    return None


def tree(objects: dict[str, tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    datacenters = {
        m: {"name": p["name"], "clusters": [], "hosts": [], "_moid": m}
        for m, (k, p) in objects.items()
        if k == "Datacenter"
    }
    clusters: dict[str, dict[str, Any]] = {}
    for moid, (kind, props) in sorted(objects.items(), key=lambda kv: kv[1][1].get("name", "")):
        if kind == "ClusterComputeResource":
            dc = _datacenter_of(objects, moid)
            if dc is None:
                continue
            config = props.get("configurationEx")
            cluster = {
                "name": props["name"],
                "drs_enabled": bool(config and config.drsConfig and config.drsConfig.enabled),
                "ha_enabled": bool(config and config.dasConfig and config.dasConfig.enabled),
                "image_managed": False,
                "hosts": [],
                "_moid": moid,
            }
            clusters[moid] = cluster
            datacenters[dc]["clusters"].append(cluster)
    vms: dict[str, list[dict[str, str]]] = {}
    for kind, props in objects.values():
        if kind == "VirtualMachine" and props.get("runtime.host") is not None:
            vms.setdefault(props["runtime.host"]._moId, []).append(
                {"name": props["name"], "power_state": str(props.get("runtime.powerState") or "poweredOff")}
            )
    for moid, (kind, props) in sorted(objects.items(), key=lambda kv: kv[1][1].get("name", "")):
        if kind != "HostSystem":
            continue
        hardware = props.get("summary.hardware")
        product = props.get("summary.config.product")
        host = {
            "name": props["name"],
            "vendor": getattr(hardware, "vendor", None) or "",
            "model": getattr(hardware, "model", None) or "",
            "uuid": getattr(hardware, "uuid", None) or "",
            "version": getattr(product, "version", None) or "",
            "build": getattr(product, "build", None) or "",
            "connection_state": {"connected": "CONNECTED", "disconnected": "DISCONNECTED"}.get(
                str(props.get("runtime.connectionState")), "NOT_RESPONDING"
            ),
            "in_maintenance_mode": bool(props.get("runtime.inMaintenanceMode")),
            "vms": sorted(vms.get(moid, []), key=lambda v: v["name"]),
            "_moid": moid,
        }
        parent = props.get("parent")
        if parent is not None and parent._moId in clusters:
            clusters[parent._moId]["hosts"].append(host)
        else:
            dc = _datacenter_of(objects, moid)
            if dc is not None:
                host["image_managed"] = False
                datacenters[dc]["hosts"].append(host)
    return sorted(datacenters.values(), key=lambda d: d["name"])


def strip_ids(inventory: list[dict[str, Any]]) -> None:
    """The source's managed object ids, kept as each one's `id` (a twin takes them)."""
    for dc in inventory:
        dc["id"] = dc.pop("_moid", None)
        for c in dc["clusters"]:
            c["id"] = c.pop("_moid", None)
        for h in _all_hosts(dc):
            h["id"] = h.pop("_moid", None)


def _all_hosts(dc: dict[str, Any]) -> list[dict[str, Any]]:
    return [h for c in dc["clusters"] for h in c["hosts"]] + list(dc["hosts"])


# -- vLCM ------------------------------------------------------------------------------------


def spec_of(info: dict[str, Any]) -> dict[str, Any]:
    """A SoftwareInfo read over REST, as the document it stands for (with its alternative images)."""
    add_on = info.get("add_on")
    spec: dict[str, Any] = {
        "base_image": (info.get("base_image") or {}).get("version"),
        "add_on": {"name": add_on["name"], "version": add_on["version"]} if add_on else None,
        "components": {n: c["version"] for n, c in sorted((info.get("components") or {}).items()) if c.get("version")},
        "removed_components": sorted(info.get("removed_components") or {}),
    }
    alternatives = info.get("alternative_images") or {}
    if alternatives:
        spec["alternative_images"] = {
            image: {
                **spec_of(alt),
                "display_name": alt["display_name"],
                "selection_criteria": alt["selection_criteria"],
            }
            for image, alt in sorted(alternatives.items())
        }
    return spec


def _get(api: httpx.Client, path: str, problems: list[str], what: str, quiet: tuple[int, ...] = ()) -> Any:
    try:
        r = api.get(path)
    except httpx.HTTPError as exc:
        problems.append(f"{what}: {exc}")
        return None
    if r.status_code == 200:
        return r.json()
    if r.status_code not in quiet:
        problems.append(f"{what}: HTTP {r.status_code}")
    return None


def _lifecycle(
    api: httpx.Client,
    inventory: list[dict[str, Any]],
    estate: dict[str, Any],
    problems: list[str],
    progress: Progress,
) -> None:
    s = "/api/esx/settings"
    owners: list[tuple[str, dict[str, Any], str]] = []
    for dc in inventory:
        owners += [("clusters", c, c["_moid"]) for c in dc["clusters"]]
        owners += [("hosts", h, h["_moid"]) for h in dc["hosts"]]
    for n, (kind, owner, moid) in enumerate(owners):
        if n % 50 == 0:
            progress(f"vLCM state of {n} of {len(owners)} clusters and standalone hosts")
        # an owner not managed with an image answers an error: nothing to note
        info = _get(api, f"{s}/{kind}/{moid}/software", problems, owner["name"], quiet=(400, 404, 500))
        owner["image_managed"] = info is not None
        if info is not None:
            owner["desired"] = spec_of(info)
            metadata = _get(api, f"{s}/{kind}/{moid}/software/software-spec-metadata", [], owner["name"]) or {}
            owner["commits"] = (
                int(metadata["software_spec_id"]) if str(metadata.get("software_spec_id", "")).isdigit() else 1
            )
            owner["policy"] = _get(api, f"{s}/{kind}/{moid}/policies/apply", problems, f"{owner['name']} policy") or {}
    every_host = [h for dc in inventory for h in _all_hosts(dc)]
    for n, host in enumerate(every_host):
        if n % 200 == 0:
            progress(f"images of {n} of {len(every_host)} hosts")
        # what the host runs (esx.hosts.software.get: a GET with a body, as the SDK sends it)
        try:
            r = api.request("GET", "/api/esx/software", json={"auth_type": "EXISTING", "host": host["_moid"]})
        except httpx.HTTPError as exc:
            problems.append(f"the image of {host['name']}: {exc}")
            continue
        if r.status_code == 200:
            host["image"] = spec_of(r.json()["software_info"])
        elif host["connection_state"] == "CONNECTED":
            problems.append(f"the image of {host['name']}: HTTP {r.status_code}")
    online = _get(api, f"{s}/depots/online", problems, "online depots") or {}
    estate["depots"]["online"] = sorted(
        ({"location": d.get("location"), "description": d.get("description", ""), "enabled": d.get("enabled", True)}
         for d in online.values()),
        key=lambda d: str(d["location"]),
    )  # fmt: skip
    _content(api, estate, problems)


def _content(api: httpx.Client, estate: dict[str, Any], problems: list[str]) -> None:
    """The depots' content, metadata only: what a twin needs to hold the same images."""
    c = "/api/esx/settings/depot-content"
    content = estate["content"]
    for b in _get(api, f"{c}/base-images", problems, "base images") or []:
        info = _get(api, f"{c}/base-images/versions/{b['version']}", problems, f"base image {b['version']}") or {}
        content["base_images"].append(
            {
                "version": b["version"],
                "display_name": b["display_name"],
                "display_version": b["display_version"],
                "release_date": b["release_date"],
                "components": {x["name"]: x["version"] for x in info.get("components") or () if "version" in x},
            }
        )
    for a in _get(api, f"{c}/add-ons", problems, "add-ons") or []:
        for v in a.get("versions") or ():
            info = _get(api, f"{c}/add-ons/{a['name']}/versions/{v['version']}", problems, f"add-on {a['name']}") or {}
            content["add_ons"].append(
                {
                    "name": a["name"],
                    "version": v["version"],
                    "display_name": a["display_name"],
                    "display_version": v["display_version"],
                    "vendor": a["vendor"],
                    "release_date": v["release_date"],
                    "components": {x["name"]: x["version"] for x in info.get("components") or () if "version" in x},
                }
            )
    for comp in _get(api, f"{c}/components", problems, "components") or []:
        for v in comp.get("versions") or ():
            content["components"].append(
                {
                    "name": comp["name"],
                    "version": v["version"],
                    "display_name": comp["display_name"],
                    "display_version": v["display_version"],
                    "vendor": comp["vendor"],
                    "release_date": v["release_date"],
                }
            )
