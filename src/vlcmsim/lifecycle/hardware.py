"""The simulated hardware support managers (HSMs): vendor plugins that offer
firmware and driver packages (HSPs) a desired image may name, for the base
image releases each package supports (ours: one Dell manager with two
packages, as OpenManage Integration for VMware vCenter would register)."""

from __future__ import annotations

from dataclasses import dataclass

from vlcmsim.depot import defaults as d


@dataclass(frozen=True)
class Manager:
    manager: str
    display_name: str
    description: str
    vendor: str


@dataclass(frozen=True)
class Package:
    pkg: str
    version: str
    description: str
    supported_releases: frozenset[str]  # base image versions
    firmware: tuple[tuple[str, str, str], ...] = ()  # (component, display name, version) it installs


DELL = Manager(
    "com.dell.omivv",
    "Dell OpenManage Integration for VMware vCenter",
    "Firmware and drivers of Dell PowerEdge servers, as hardware support packages.",
    "Dell Inc.",
)
MANAGERS = [DELL]
PACKAGES: dict[str, list[Package]] = {
    DELL.manager: [
        Package(
            "Dell-PowerEdge-Gen16",
            "A01",
            "PowerEdge 16G firmware 2024-03 (BIOS 1.7, iDRAC 7.00)",
            frozenset({d.U2}),
            (
                ("DEL-BIOS-R760", "PowerEdge R760 BIOS", "1.7.5"),
                ("DEL-iDRAC9", "iDRAC9 with Lifecycle Controller", "7.00.00.00"),
            ),
        ),
        Package(
            "Dell-PowerEdge-Gen16",
            "A02",
            "PowerEdge 16G firmware 2024-09 (BIOS 2.2, iDRAC 7.10)",
            frozenset({d.U2, d.U3}),
            (
                ("DEL-BIOS-R760", "PowerEdge R760 BIOS", "2.2.7"),
                ("DEL-iDRAC9", "iDRAC9 with Lifecycle Controller", "7.10.30.00"),
            ),
        ),
    ],
}


def package(manager: str, pkg: str | None, version: str | None) -> Package | None:
    return next(
        (p for p in PACKAGES.get(manager, []) if p.pkg == pkg and p.version == version),
        None,
    )


def package_problems(hardware_support: dict[str, tuple[str, str]], base_image: str | None) -> list[str]:
    """What is wrong with the hardware support packages an image names."""
    found = []
    for manager, (pkg, version) in sorted(hardware_support.items()):
        if manager not in PACKAGES:
            found.append(f"hardware support manager {manager} is not registered")
            continue
        p = package(manager, pkg, version)
        if p is None:
            found.append(f"hardware support manager {manager} offers no package {pkg} version {version}")
        elif base_image and base_image not in p.supported_releases:
            found.append(f"hardware support package {pkg} {version} does not support base image {base_image}")
    return found
