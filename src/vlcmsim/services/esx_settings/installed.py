"""What hosts run, read without a desired document: esx.hosts.software (a host's
software, by its vCenter id or by its name and credentials, as vLCM reads a host
before adding it) and its installed components; the metadata of a desired
image; the default image a new cluster would get from the depots; a hardware
support package's contents."""

from __future__ import annotations

from typing import Any

from vlcmsim.backend import Call
from vlcmsim.depot.versions import version_key
from vlcmsim.ids import LIFECYCLE
from vlcmsim.inventory.model import Host
from vlcmsim.lifecycle import errors
from vlcmsim.lifecycle.hardware import PACKAGES, package
from vlcmsim.lifecycle.spec import SoftwareSpec, effective_components
from vlcmsim.lifecycle.values import software_info
from vlcmsim.services.esx_settings.common import for_owners, require_cluster, require_desired, require_host
from vlcmsim.vapi.errors import invalid_argument, not_found, unauthenticated
from vlcmsim.vapi.operations import OperationSet

ops = OperationSet()

HOSTS_SOFTWARE = "com.vmware.esx.hosts.software"
ROOT_PASSWORD = "VMware1!"  # simulated hosts' root password (ours: the same as the default users')


def _installed(call: Call, h: Host) -> SoftwareSpec:
    if h.connection_state != "CONNECTED":
        raise invalid_argument(
            f"{LIFECYCLE}.HostNotConnected",
            f"Host {h.name} is {h.connection_state.lower()}: its software cannot be read.",
        )
    spec = call.backend.desired.installed(h.id)
    if spec is None or not spec.base_image:
        raise not_found(f"{LIFECYCLE}.NoInstalledImage", f"Host {h.name} reports no installed image.", h.id)
    return spec


def _component(name: str, version: str, call: Call) -> dict[str, Any]:
    catalog = call.backend.depots.catalog()
    found = catalog.components.get((name, version))
    return {
        "version": version,
        "display_name": found.display_name if found else name,
        "display_version": found.display_version if found else version,
        "vendor": found.vendor if found else "",
    }


@ops.operation(f"{HOSTS_SOFTWARE}.installed_components", "list")
async def installed_components(call: Call, host: str) -> dict[str, Any]:
    h = require_host(call, host)
    spec = _installed(call, h)
    out = {}
    for name, effective in sorted(effective_components(spec, call.backend.depots.catalog()).items()):
        c = _component(name, effective.version, call)
        out[name] = {
            "display_name": c["display_name"],
            "version": c["version"],
            "display_version": c["display_version"],
        }
    return out


@ops.operation(HOSTS_SOFTWARE, "get")
async def host_software(call: Call, spec: dict[str, Any]) -> dict[str, Any]:
    """A host's software: one of vCenter's (auth EXISTING, by id), or one named with its credentials."""
    inventory = call.backend.inventory
    if spec.get("auth_type") == "EXISTING":
        if not spec.get("host"):
            raise invalid_argument(f"{LIFECYCLE}.NoHost", "auth_type EXISTING names the host by its id.", "host")
        h = require_host(call, spec["host"])
    else:
        creds = spec.get("host_credential") or {}
        name = creds.get("host_name", "")
        named = next((x for x in inventory.hosts() if x.name == name), None)
        if named is None:
            raise not_found(f"{LIFECYCLE}.HostUnreachable", f"No host answers at {name}.", name)
        h = named
        if creds.get("user_name") != "root" or creds.get("password") != ROOT_PASSWORD:
            raise unauthenticated(f"Host {name} refused the credentials of {creds.get('user_name')}.")
    installed = _installed(call, h)
    catalog = call.backend.depots.catalog()
    base = catalog.base_images.get(installed.base_image or "")
    value: dict[str, Any] = {
        "base_image": {
            "version": installed.base_image,
            "display_name": base.display_name if base else "ESXi",
            "display_version": base.display_version if base else installed.base_image,
            "release_date": base.release_date if base else None,
        },
        "components": {n: _component(n, v, call) for n, v in sorted(installed.components.items())},
        "solutions": {},
    }
    if installed.add_on:
        name, version = installed.add_on
        add_on = catalog.add_ons.get((name, version))
        value["add_on"] = {
            "name": name,
            "version": version,
            "display_name": add_on.display_name if add_on else name,
            "vendor": add_on.vendor if add_on else "",
            "display_version": add_on.display_version if add_on else version,
        }
    return {"notifications": {}, "software_info": value}


@for_owners(ops, "software.software_spec_metadata", "get")
async def spec_metadata(call: Call, owner: str) -> dict[str, Any]:
    commit = require_desired(call, owner)
    catalog = call.backend.depots.catalog()
    base = catalog.base_images.get(commit.spec.base_image or "")
    parts = [f"ESXi {base.display_version}" if base else (commit.spec.base_image or "")]
    if commit.spec.add_on:
        parts.append(commit.spec.add_on[0])
    parts += [f"{n} {v}" for n, v in sorted(commit.spec.components.items())]
    return {
        "display_name": " + ".join(p for p in parts if p),
        "software_spec_id": _spec_id(call, owner, str(commit.id)),
        "orchestrator_info": {"owner": "com.vmware.vcIntegrity.lifecycle", "owner_data": commit.author},
        "notifications": {},
    }


def _spec_id(call: Call, owner: str, commit: str) -> str:
    """The repository spec the owner's image is (when one is assigned to it), else its commit."""
    assigned = call.backend.repository.assignment(owner)
    return assigned.software_spec if assigned is not None else commit


@ops.operation("com.vmware.esx.settings.clusters.software", "get_default_image")
async def default_image(call: Call, cluster: str) -> dict[str, Any]:
    """The image a cluster starts from: the newest base image of the depots, with the newest add-on
    of the hosts' vendor that supports it (our reading of vCenter's default)."""
    require_cluster(call, cluster)
    catalog = call.backend.depots.catalog()
    if not catalog.base_images:
        raise not_found(f"{LIFECYCLE}.NoBaseImage", "The depots hold no base image: import one first.")
    newest = max(catalog.base_images, key=version_key)
    spec = SoftwareSpec(base_image=newest)
    release = newest.split("-")[0]
    # vendors number an add-on for a release by its digits: "803.24022510-A03" is for 8.0.3
    fitting = [a for a in catalog.add_ons.values() if a.version.split(".")[0] == release.replace(".", "")]
    if fitting:
        best = max(fitting, key=lambda a: version_key(a.version))
        spec.add_on = (best.name, best.version)
    return software_info(spec, catalog)


@ops.operation("com.vmware.esx.settings.hardware_support.managers.packages.versions", "get")
async def package_version(
    call: Call, manager: str, pkg: str, version: str, filter: dict[str, Any] | None = None
) -> dict[str, Any]:
    if manager not in PACKAGES:
        raise errors.manager_not_found(manager)
    found = package(manager, pkg, version)
    if found is None:
        raise errors.no_such_package(manager, pkg, version)
    release = (filter or {}).get("base_image_version")
    if release and release not in found.supported_releases:
        raise errors.no_such_package(manager, pkg, f"{version} for {release}")
    return {
        "pkg": found.pkg,
        "version": found.version,
        "description": found.description,
        "supported_releases": sorted(found.supported_releases),
        "components": [
            {"name": name, "display_name": display, "version": v, "display_version": v}
            for name, display, v in found.firmware
        ],
        "removed_components": [],
    }
