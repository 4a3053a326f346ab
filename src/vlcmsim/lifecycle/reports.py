"""The last scan (compliance), check and apply of each image owner (a cluster
or a standalone host), kept in the store as the clean JSON of their vAPI types,
so they outlive a restart and read the same from any process."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, select

from vlcmsim.inventory.model import is_host
from vlcmsim.store import schema
from vlcmsim.store.db import Store
from vlcmsim.vapi.codec import CLEAN, Frozen, encode, from_clean, now
from vlcmsim.vapi.model import TD

COMPLIANCE: TD = {"kind": "struct", "id": "com.vmware.esx.settings.cluster_compliance"}
CHECK: TD = {"kind": "struct", "id": "com.vmware.esx.settings.clusters.software.reports.last_check_result.check_result"}
APPLY: TD = {"kind": "struct", "id": "com.vmware.esx.settings.clusters.software.reports.last_apply_result.apply_result"}
HCL: TD = {"kind": "struct", "id": "com.vmware.esx.settings.clusters.software.reports.check_result"}
# statements built once (building one costs more than SQLite takes to run it)
_T = schema.cluster_reports
_ONE = (_T.c.cluster == bindparam("owner"), _T.c.kind == bindparam("report"))
_WRITTEN = select(_T.c.time).where(*_ONE)
_REPORT = select(_T.c.value, _T.c.time).where(*_ONE)
_DELETE = delete(_T).where(*_ONE)
_INSERT = _T.insert()

_CONFIG = "com.vmware.esx.settings.clusters.configuration"
KINDS: dict[str, TD] = {
    "compliance": COMPLIANCE,
    "check": CHECK,
    "apply": APPLY,
    "hcl": HCL,
    "hcl_overrides": {"kind": "map", "key": {"kind": "string"}, "value": {"kind": "string"}},  # the user's choices
    # Configuration Profiles' last results
    "config_compliance": {"kind": "struct", "id": f"{_CONFIG}.cluster_compliance"},
    "config_precheck": {"kind": "struct", "id": f"{_CONFIG}.cluster_precheck_result"},
    "config_apply": {"kind": "struct", "id": f"{_CONFIG}.apply_result"},
    "config_recent": {"kind": "struct", "id": f"{_CONFIG}.reports.recent_tasks.info"},
    "hcl_data": {"kind": "struct", "id": "com.vmware.esx.hcl.compatibility_data.status"},
    "recommendations": {"kind": "struct", "id": "com.vmware.esx.settings.clusters.software.recommendations.info"},
    "transition": {
        "kind": "struct",
        "id": "com.vmware.esx.settings.inventory.reports.transition_summary.clusters.cluster_summary",
    },
    "installed_images": {
        "kind": "struct",
        "id": "com.vmware.esx.settings.clusters.installed_images.installed_image_info",
    },
}
_HOSTS = "com.vmware.esx.settings.hosts.software.reports"
HOST_KINDS: dict[str, TD] = {
    "compliance": {"kind": "struct", "id": "com.vmware.esx.settings.host_compliance"},
    "check": {"kind": "struct", "id": f"{_HOSTS}.last_check_result.check_result"},
    "apply": {"kind": "struct", "id": f"{_HOSTS}.last_apply_result.apply_result"},
    "hcl_report": {"kind": "struct", "id": "com.vmware.esx.hcl.hosts.compatibility_report.result"},
    "recommendations": {"kind": "struct", "id": "com.vmware.esx.settings.hosts.software.recommendations.info"},
    "transition": {
        "kind": "struct",
        "id": "com.vmware.esx.settings.inventory.reports.transition_summary.hosts.host_summary",
    },
}


def _td(owner: str, kind: str) -> TD:
    return (HOST_KINDS if is_host(owner) else KINDS)[kind]


class Reports:
    """A report read once is kept decoded (and its encodings with it) for as
    long as the store holds the same one: reading a 1,000-host compliance again
    costs one small query, not a decode and an encode of it all."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._kept: dict[tuple[str, str], tuple[Any, Frozen]] = {}  # (owner, kind) -> (its time, value)

    def get(self, cluster: str, kind: str) -> dict[str, Any] | None:
        which = {"owner": cluster, "report": kind}
        with self.store.engine.connect() as conn:
            written = conn.execute(_WRITTEN, which).scalar()
            if written is None:
                return None
            kept = self._kept.get((cluster, kind))
            if kept is not None and kept[0] == written:
                return kept[1]
            row = conn.execute(_REPORT, which).first()
        if row is None:
            return None
        value = Frozen(from_clean(_td(cluster, kind), row[0]))
        self._kept[(cluster, kind)] = (row[1], value)
        return value

    def forget(self, owner: str) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(delete(schema.cluster_reports).where(schema.cluster_reports.c.cluster == owner))

    def put(self, cluster: str, kind: str, value: dict[str, Any]) -> None:
        """Keep `value` (a domain value of the kind's type, or of a type of the same
        fields: a task's CheckResult is kept as the last CheckResult report)."""
        stored = encode(_td(cluster, kind), value, CLEAN)
        which = {"owner": cluster, "report": kind}
        with self.store.engine.begin() as conn:
            conn.execute(_DELETE, which)
            conn.execute(_INSERT, {"cluster": cluster, "kind": kind, "value": stored, "time": now()})
            written = conn.execute(_WRITTEN, which).scalar()
        # kept as written (the time as the store holds it): the next read need not decode it
        self._kept[(cluster, kind)] = (written, Frozen(value))
