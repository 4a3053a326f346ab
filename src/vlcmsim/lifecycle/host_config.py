"""ESXi host configuration as vSphere Configuration Profiles manage it: a JSON
document with a `profile` section common to every host of a cluster, and
`host-specific` / `host-override` sections keyed by host id; the JSON schema
it is checked against (made from the desired software image: a newer image
knows more properties); each property's effect when it changes (nothing,
maintenance mode, or a reboot); and the comparison of a host's actual
configuration with its desired one (drift).

The properties are a real subset of what ESXi configures — advanced options,
time (NTP), syslog, the SSH and shell services, DNS, users and lockdown mode,
virtual switches and port groups, VMkernel adapters — under paths of our
choosing shaped as vCenter's document is (`esx/<area>/<setting>`)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from vlcmsim.depot.versions import compare

NONE, MAINTENANCE_MODE, REBOOT = "NONE", "MAINTENANCE_MODE", "REBOOT"  # what applying a change takes
_IMPACT_RANK = {NONE: 0, MAINTENANCE_MODE: 1, REBOOT: 2}


@dataclass(frozen=True)
class Setting:
    """One configurable property: where it is, what it holds, what changing it takes."""

    path: str  # "esx/system/system_time/ntp_servers"
    schema: dict[str, Any]  # its JSON schema
    default: Any
    impact: str = NONE
    host_specific: bool = False  # a value of its own on each host (in `host-specific`)
    since: str = "8.0.0"  # the first ESXi version that has it
    title: str = ""


_STR = {"type": "string"}
_INT = {"type": "integer"}
_BOOL = {"type": "boolean"}
_STRS = {"type": "array", "items": _STR}

SETTINGS: list[Setting] = [
    # advanced options (esxcli system settings advanced)
    Setting("esx/advanced_options/UserVars.SuppressShellWarning", {**_INT, "minimum": 0, "maximum": 1}, 0),
    Setting("esx/advanced_options/Misc.BlueScreenTimeout", {**_INT, "minimum": 0, "maximum": 65535}, 0),
    Setting("esx/advanced_options/Mem.ShareForceSalting", {**_INT, "minimum": 0, "maximum": 2}, 2),
    Setting("esx/advanced_options/Config.HostAgent.log.level",
            {**_STR, "enum": ["none", "quiet", "panic", "error", "warning", "info", "verbose", "trivia"]}, "info"),
    Setting("esx/advanced_options/Net.TcpipHeapSize", {**_INT, "minimum": 0, "maximum": 32}, 0, REBOOT),
    Setting("esx/advanced_options/Net.TcpipHeapMax", {**_INT, "minimum": 32, "maximum": 1576}, 512, REBOOT),
    Setting("esx/advanced_options/VMkernel.Boot.hyperthreadingMitigation", _BOOL, False, REBOOT),
    Setting("esx/advanced_options/Disk.MaxLUN", {**_INT, "minimum": 1, "maximum": 16384}, 1024, REBOOT),
    Setting("esx/advanced_options/Security.AccountLockFailures", {**_INT, "minimum": 0, "maximum": 100}, 5),
    Setting("esx/advanced_options/Security.PasswordQualityControl", _STR,
            "retry=3 min=disabled,disabled,disabled,7,7"),
    # time
    Setting("esx/system/system_time/enabled", _BOOL, True),
    Setting("esx/system/system_time/protocol", {**_STR, "enum": ["NTP", "PTP"]}, "NTP"),
    Setting("esx/system/system_time/ntp_servers", _STRS, ["pool.ntp.org"]),
    Setting("esx/system/system_time/ptp_interface", _STR, "vmk0", since="8.0.3"),
    # syslog
    Setting("esx/system/syslog/log_host", _STRS, []),
    Setting("esx/system/syslog/log_dir", _STR, "[] /scratch/log"),
    Setting("esx/system/syslog/rotate", {**_INT, "minimum": 1, "maximum": 100}, 8),
    Setting("esx/system/syslog/rotate_size_kib", {**_INT, "minimum": 1, "maximum": 10240}, 1024),
    # services
    Setting("esx/services/ssh/enabled", _BOOL, False),
    Setting("esx/services/ssh/startup_policy", {**_STR, "enum": ["on", "off", "automatic"]}, "off"),
    Setting("esx/services/esx_shell/enabled", _BOOL, False),
    Setting("esx/services/esx_shell/timeout_seconds", {**_INT, "minimum": 0, "maximum": 86400}, 0),
    # DNS
    Setting("esx/network/dns/servers", _STRS, ["192.0.2.53"]),
    Setting("esx/network/dns/search_domains", _STRS, ["vlcmsim.local"]),
    Setting("esx/network/dns/host_name", _STR, "", host_specific=True),
    # users and lockdown
    Setting(
        "esx/authentication/user_accounts",
        {"type": "array", "items": {"type": "object", "required": ["name", "role"], "additionalProperties": False,
                                    "properties": {"name": _STR, "description": _STR,
                                                   "role": {**_STR, "enum": ["Admin", "ReadOnly", "NoAccess"]}}}},
        [{"name": "root", "description": "Administrator", "role": "Admin"}],
    ),
    Setting("esx/security/lockdown/mode", {**_STR, "enum": ["DISABLED", "NORMAL", "STRICT"]}, "DISABLED"),
    Setting("esx/security/lockdown/exception_users", _STRS, []),
    # networking: standard switches, port groups, VMkernel adapters
    Setting(
        "esx/network/vswitches",
        {"type": "array", "items": {
            "type": "object", "required": ["name"], "additionalProperties": False,
            "properties": {
                "name": _STR, "mtu": {**_INT, "minimum": 1280, "maximum": 9000}, "uplinks": _STRS,
                "port_groups": {"type": "array", "items": {
                    "type": "object", "required": ["name"], "additionalProperties": False,
                    "properties": {"name": _STR, "vlan_id": {**_INT, "minimum": 0, "maximum": 4095}}}},
            }}},
        [{"name": "vSwitch0", "mtu": 1500, "uplinks": ["vmnic0", "vmnic1"],
          "port_groups": [{"name": "Management Network", "vlan_id": 0}, {"name": "VM Network", "vlan_id": 0}]}],
        MAINTENANCE_MODE,
    ),
    Setting(
        "esx/network/vmknics",
        {"type": "array", "items": {
            "type": "object", "required": ["device", "port_group"], "additionalProperties": False,
            "properties": {
                "device": {**_STR, "pattern": "^vmk[0-9]+$"}, "port_group": _STR,
                "ipv4_address": {**_STR, "format": "ipv4"}, "ipv4_netmask": _STR, "dhcp": _BOOL,
                "services": {"type": "array", "items": {**_STR, "enum": ["management", "vmotion", "provisioning",
                                                                         "vsan", "faultToleranceLogging"]}},
            }}},
        [],
        MAINTENANCE_MODE,
        host_specific=True,
    ),
]  # fmt: skip
BY_PATH = {s.path: s for s in SETTINGS}


def settings_for(esx_version: str) -> list[Setting]:
    """The settings a host on `esx_version` (the desired base image's) knows."""
    return [s for s in SETTINGS if compare(esx_version, s.since) >= 0]


# -- documents ---------------------------------------------------------------------------


def _get(doc: dict[str, Any], path: str) -> tuple[bool, Any]:
    """(whether the path is set, its value): a path's last part may hold dots ("UserVars.X")."""
    node: Any = doc
    for part in path_parts(path):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    parts = path_parts(path)
    node = doc
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = copy.deepcopy(value)


def path_parts(path: str) -> list[str]:
    head = path.split("/")
    if head[:2] == ["esx", "advanced_options"] and len(head) > 3:
        return [*head[:2], "/".join(head[2:])]
    return head


def flatten(section: dict[str, Any], known: dict[str, Setting]) -> dict[str, Any]:
    """The values a document section sets, by setting path."""
    out = {}
    for path in known:
        present, value = _get(section, path)
        if present:
            out[path] = value
    return out


def actual_configuration(host_id: str, host_name: str, management_ip: str) -> dict[str, Any]:
    """A simulated host's configuration as it comes: every setting at its default, its own name
    and management address."""
    doc: dict[str, Any] = {}
    for s in SETTINGS:
        _set(doc, s.path, s.default)
    _set(doc, "esx/network/dns/host_name", host_name.split(".")[0])
    _set(doc, "esx/network/vmknics", [{"device": "vmk0", "port_group": "Management Network",
                                       "ipv4_address": management_ip, "ipv4_netmask": "255.255.255.0",
                                       "dhcp": False, "services": ["management"]}])  # fmt: skip
    return doc


def document_from_host(host_id: str, actual: dict[str, Any], esx_version: str) -> dict[str, Any]:
    """A cluster's configuration document made from a reference host (import_from_host): its common
    settings become the profile, its host-specific ones its `host-specific` section."""
    profile: dict[str, Any] = {}
    specific: dict[str, Any] = {}
    for s in settings_for(esx_version):
        present, value = _get(actual, s.path)
        if present:
            _set(specific if s.host_specific else profile, s.path, value)
    return {"profile": profile, "host-specific": {host_id: specific} if specific else {}}


def desired_for(document: dict[str, Any], host_id: str) -> dict[str, Any]:
    """What one host should have: the profile, its host-specific values, then its overrides."""
    merged = copy.deepcopy(document.get("profile") or {})
    for section in ("host-specific", "host-override"):
        own = (document.get(section) or {}).get(host_id) or {}
        for path, value in flatten(own, BY_PATH).items():
            _set(merged, path, value)
    return merged


@dataclass(frozen=True)
class Difference:
    path: str
    current: Any
    desired: Any
    impact: str


def differences(actual: dict[str, Any], desired: dict[str, Any], esx_version: str) -> list[Difference]:
    """Each setting the desired configuration sets to another value than the host has (drift, or a change
    an apply makes), with what applying it takes."""
    out = []
    for s in settings_for(esx_version):
        wanted_set, wanted = _get(desired, s.path)
        if not wanted_set:
            continue
        _, have = _get(actual, s.path)
        if have != wanted:
            out.append(Difference(s.path, have, wanted, s.impact))
    return out


def impact_of(diffs: list[Difference]) -> str:
    return max((d.impact for d in diffs), key=_IMPACT_RANK.__getitem__, default=NONE)


def applied(actual: dict[str, Any], desired: dict[str, Any], esx_version: str) -> dict[str, Any]:
    """The host's configuration once the desired one is applied."""
    out = copy.deepcopy(actual)
    for d in differences(actual, desired, esx_version):
        _set(out, d.path, d.desired)
    return out


def changes_between(old: dict[str, Any], new: dict[str, Any]) -> Iterator[tuple[str, str, Any, Any]]:
    """(section, path, old value, new value) of each setting two documents set differently."""
    for section in ("profile",):
        a, b = flatten(old.get(section) or {}, BY_PATH), flatten(new.get(section) or {}, BY_PATH)
        for path in sorted(set(a) | set(b)):
            if a.get(path) != b.get(path):
                yield section, path, a.get(path), b.get(path)
    for section in ("host-specific", "host-override"):
        hosts = set(old.get(section) or {}) | set(new.get(section) or {})
        for host in sorted(hosts):
            a = flatten((old.get(section) or {}).get(host) or {}, BY_PATH)
            b = flatten((new.get(section) or {}).get(host) or {}, BY_PATH)
            for path in sorted(set(a) | set(b)):
                if a.get(path) != b.get(path):
                    yield f"{section}/{host}", path, a.get(path), b.get(path)


def set_value(doc: dict[str, Any], path: str, value: Any) -> None:
    """Set one setting in a document section (a `/sim` knob changes a host behind vLCM's back)."""
    if path not in BY_PATH:
        raise KeyError(path)
    _set(doc, path, value)


def value_at(doc: dict[str, Any], path: str) -> Any:
    return _get(doc, path)[1]
