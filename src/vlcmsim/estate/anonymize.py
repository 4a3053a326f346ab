"""An estate fit to attach to a bug report: every name the owner chose
(datacenters, clusters, hosts, VMs), every hostname, IP address and UUID is
replaced, the same original always by the same stand-in, so the estate keeps
its shape (which hosts share a cluster, which VMs a host runs). Product names
and versions (ESXi, components, add-ons) are not the owner's and stay."""

from __future__ import annotations

import copy
import re
import uuid
from typing import Any
from urllib.parse import urlparse

IP = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")


class _Names:
    def __init__(self) -> None:
        self.seen: dict[str, str] = {}
        self.counts: dict[str, int] = {}

    def __call__(self, kind: str, original: str, form: str = "{kind}-{n}") -> str:
        if original not in self.seen:
            n = self.counts[kind] = self.counts.get(kind, 0) + 1
            self.seen[original] = form.format(kind=kind, n=n)
        return self.seen[original]

    def scrub(self, text: str) -> str:
        """Free text (a problem noted) with every known original replaced, and any IP address."""
        for original in sorted(self.seen, key=len, reverse=True):
            text = text.replace(original, self.seen[original])
        return IP.sub("192.0.2.1", text)


def anonymize(estate: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(estate)
    names = _Names()
    for dc in out.get("datacenters") or ():
        dc["name"] = names("datacenter", dc["name"])
        for cluster in dc.get("clusters") or ():
            cluster["name"] = names("cluster", cluster["name"])
            for host in cluster.get("hosts") or ():
                _host(host, names)
        for host in dc.get("hosts") or ():
            _host(host, names)
    for depot in (out.get("depots") or {}).get("online") or ():
        parsed = urlparse(str(depot.get("location") or ""))
        site = names("depot", parsed.hostname or "", "depot-{n}.example.test") if parsed.hostname else ""
        depot["location"] = f"{parsed.scheme or 'https'}://{site}{parsed.path}"
        depot["description"] = names.scrub(str(depot.get("description") or ""))
    source = out.get("source") or {}
    if source.get("url"):
        source["url"] = "https://vcenter.example.test"
    out["problems"] = [names.scrub(p) for p in out.get("problems") or ()]
    return out


def _host(host: dict[str, Any], names: _Names) -> None:
    original = host["name"]
    host["name"] = names("esx", original, "esx-{n}.example.test")
    short = original.split(".")[0]
    if short != original:
        names.seen.setdefault(short, host["name"].split(".")[0])
    if host.get("uuid"):
        host["uuid"] = str(uuid.uuid5(uuid.NAMESPACE_OID, "vlcmsim-anonymized/" + names("uuid", host["uuid"])))
    for vm in host.get("vms") or ():
        vm["name"] = names("vm", vm["name"])
