"""Scans: the compliance of a cluster (or of a standalone host with an image of
its own) is the result of its last scan, with the time it was taken. A scan
runs when asked (`Software.scan$task`), after a commit, after a stage or an
apply, after a host of the cluster changes its connection, and when compliance
is read with no scan of the latest commit yet."""

from __future__ import annotations

from functools import partial
from typing import Any

import orjson

from vlcmsim.depot.repository import Depots
from vlcmsim.hosts.staging import StagingAreas
from vlcmsim.inventory.model import Host, is_host
from vlcmsim.inventory.store import Inventory
from vlcmsim.lifecycle.compliance import cluster_compliance, host_compliance, staged_check
from vlcmsim.lifecycle.desired import Commit, DesiredStates
from vlcmsim.lifecycle.reports import Reports
from vlcmsim.lifecycle.spec import SoftwareSpec, image_of
from vlcmsim.vapi.codec import Frozen


class Scanner:
    def __init__(
        self, inventory: Inventory, desired: DesiredStates, depots: Depots, staging: StagingAreas, reports: Reports
    ) -> None:
        self.inventory = inventory
        self.desired = desired
        self.depots = depots
        self.staging = staging
        self.reports = reports

    def host(self, h: Host, commit: Commit, installed: SoftwareSpec | None = None) -> dict[str, Any]:
        """The host's compliance against `commit`, computed now."""
        catalog = self.depots.catalog()
        if installed is None:
            installed = self.desired.installed(h.id) or SoftwareSpec()
        image = image_of(commit.spec, h)
        staged = staged_check(lambda: self.staging.staged(h.id), installed, image, catalog)
        return host_compliance(h, installed, image, commit.id, catalog, staged=staged)

    def scan(self, cluster: str, commit: Commit | None = None) -> dict[str, Any] | None:
        """Scan the cluster (or standalone host) against `commit` (its latest by
        default) and keep the result as its compliance: a ClusterCompliance, or
        the host's HostCompliance; None when it has no desired document."""
        commit = commit or self.desired.latest_commit(cluster)
        if commit is None:
            return None
        hosts = self.inventory.members(cluster)
        installed = self.desired.installed_many([h.id for h in hosts])
        per_host = self._per_host(hosts, commit, installed)
        if is_host(cluster):
            if not hosts:  # it joined a cluster meanwhile: its own document applies to nothing
                return None
            result = per_host[cluster]
        else:
            result = cluster_compliance(hosts, per_host, commit.id)
        if commit.id and commit.id == self._latest_id(cluster):  # a draft's scan is kept nowhere
            self.reports.put(cluster, "compliance", result)
        return result

    def _per_host(
        self, hosts: list[Host], commit: Commit, installed: dict[str, SoftwareSpec]
    ) -> dict[str, dict[str, Any]]:
        """Each host's compliance. Connected hosts that run the same image comply
        the same way: computed once per image, shared (frozen, so that each part
        is encoded once too), only whether it is staged is the host's own."""
        catalog = self.depots.catalog()
        by_image: dict[tuple[str | None, bytes], dict[str, Any]] = {}
        out: dict[str, dict[str, Any]] = {}
        for h in hosts:
            image = installed[h.id]
            if h.connection_state != "CONNECTED":
                out[h.id] = self.host(h, commit, image)  # its notification names it
                continue
            # hosts of one desired image (the same alternative image selects them) and one installed image
            chosen = commit.spec.selected(h.uuid, h.vendor, h.model)
            target = image_of(commit.spec, h)
            key = (chosen, orjson.dumps(image.to_json(), option=orjson.OPT_SORT_KEYS))
            shared = by_image.get(key)
            if shared is None:
                shared = by_image[key] = _frozen_parts(host_compliance(h, image, target, commit.id, catalog))
            value = dict(shared)
            if value["status"] == "NON_COMPLIANT":
                staged = staged_check(partial(self.staging.staged, h.id), image, target, catalog)
                value["stage_status"] = "STAGED" if staged() else "NOT_STAGED"
            out[h.id] = value
        return out

    def compliance(self, cluster: str, commit: Commit) -> dict[str, Any]:
        """The last scan of the cluster's latest commit (scanning when there is none)."""
        last = self.reports.get(cluster, "compliance")
        if last is not None and last.get("commit") == str(commit.id):
            return last
        result = self.scan(cluster, commit)
        assert result is not None
        return result

    def _latest_id(self, cluster: str) -> int | None:
        latest = self.desired.latest_commit(cluster)
        return latest.id if latest else None


def _frozen_parts(value: dict[str, Any]) -> dict[str, Any]:
    """A host compliance whose parts are Frozen: shared by the hosts of one
    image, each part's encoding is made once for all of them."""
    out = dict(value)
    for part in ("base_image", "add_on"):
        out[part] = Frozen(value[part])
    for part in ("components", "solutions", "hardware_support"):
        if part in value:
            out[part] = {name: Frozen(entry) for name, entry in value[part].items()}
    return out
