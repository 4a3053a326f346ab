"""The last scan (compliance), check and apply of each cluster, kept in the
store as the clean JSON of their vAPI types, so they outlive a restart and
read the same from any process."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from vlcmsim.store import schema
from vlcmsim.store.db import Store
from vlcmsim.vapi.codec import CLEAN, encode, from_clean, now
from vlcmsim.vapi.model import TD

COMPLIANCE: TD = {"kind": "struct", "id": "com.vmware.esx.settings.cluster_compliance"}
CHECK: TD = {"kind": "struct", "id": "com.vmware.esx.settings.clusters.software.reports.last_check_result.check_result"}
APPLY: TD = {"kind": "struct", "id": "com.vmware.esx.settings.clusters.software.reports.last_apply_result.apply_result"}
HCL: TD = {"kind": "struct", "id": "com.vmware.esx.settings.clusters.software.reports.check_result"}
KINDS: dict[str, TD] = {"compliance": COMPLIANCE, "check": CHECK, "apply": APPLY, "hcl": HCL}


class Reports:
    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, cluster: str, kind: str) -> dict[str, Any] | None:
        with self.store.engine.connect() as conn:
            row = conn.execute(
                select(schema.cluster_reports.c.value).where(
                    schema.cluster_reports.c.cluster == cluster, schema.cluster_reports.c.kind == kind
                )
            ).first()
        if row is None:
            return None
        value: dict[str, Any] = from_clean(KINDS[kind], row[0])
        return value

    def put(self, cluster: str, kind: str, value: dict[str, Any]) -> None:
        """Keep `value` (a domain value of the kind's type, or of a type of the same
        fields: a task's CheckResult is kept as the last CheckResult report)."""
        stored = encode(KINDS[kind], value, CLEAN)
        table = schema.cluster_reports
        with self.store.engine.begin() as conn:
            conn.execute(delete(table).where(table.c.cluster == cluster, table.c.kind == kind))
            conn.execute(table.insert().values(cluster=cluster, kind=kind, value=stored, time=now()))
