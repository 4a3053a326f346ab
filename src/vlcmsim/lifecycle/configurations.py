"""Where Configuration Profiles keep their state, in the store: each host's
actual configuration (made at first read from the host's defaults; changed by
an apply, or by a `/sim` knob behind vLCM's back), each cluster's commits of
its configuration document, its drafts, the transition that brings a cluster
under a configuration profile, and the audit trail of who changed what."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update

from vlcmsim.inventory.model import Host
from vlcmsim.lifecycle.host_config import actual_configuration
from vlcmsim.store import schema
from vlcmsim.store.db import Store
from vlcmsim.vapi.codec import aware, now


@dataclass(frozen=True)
class ConfigCommit:
    cluster: str
    id: int
    author: str
    commit_time: datetime
    description: str
    document: dict[str, Any]


@dataclass(frozen=True)
class ConfigDraft:
    id: str
    cluster: str
    owner: str
    base_commit: int | None
    creation_time: datetime
    modified_time: datetime
    document: dict[str, Any]


@dataclass(frozen=True)
class Transition:
    cluster: str
    status: str  # STARTED | ENABLE_IN_PROGRESS | ENABLED
    source: str | None  # HOST | FILE
    source_host: str | None
    author: str
    start_time: datetime
    document: dict[str, Any] | None
    validated: bool
    prechecked: bool


def management_ip(host_id: str) -> str:
    """A simulated host's management address (192.0.2.0/24 is for documentation: never routed)."""
    number = int(host_id.rsplit("-", 1)[-1]) if host_id.rsplit("-", 1)[-1].isdigit() else 0
    return f"198.51.{100 + number // 250}.{10 + number % 250}"


class Configurations:
    def __init__(self, store: Store) -> None:
        self.store = store

    # -- each host's actual configuration ------------------------------------------------

    def actual(self, host: Host) -> dict[str, Any]:
        with self.store.engine.connect() as conn:
            found = conn.execute(select(schema.host_configs.c.config).where(schema.host_configs.c.host == host.id))
            config = found.scalar()
        if config is not None:
            return dict(config)
        return actual_configuration(host.id, host.name, management_ip(host.id))

    def set_actual(self, host: str, config: dict[str, Any]) -> None:
        t = schema.host_configs
        with self.store.engine.begin() as conn:
            if not conn.execute(update(t).where(t.c.host == host).values(config=config)).rowcount:
                conn.execute(t.insert().values(host=host, config=config))

    # -- commits ---------------------------------------------------------------------

    def latest(self, cluster: str) -> ConfigCommit | None:
        t = schema.config_commits
        with self.store.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.cluster == cluster).order_by(t.c.id.desc()).limit(1)).first()
        return _commit(row) if row else None

    def commit(self, cluster: str, commit_id: int) -> ConfigCommit | None:
        t = schema.config_commits
        with self.store.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.cluster == cluster, t.c.id == commit_id)).first()
        return _commit(row) if row else None

    def add_commit(self, cluster: str, author: str, description: str, document: dict[str, Any]) -> int:
        t = schema.config_commits
        with self.store.engine.begin() as conn:
            last = conn.execute(select(func.max(t.c.id)).where(t.c.cluster == cluster)).scalar() or 0
            conn.execute(
                t.insert().values(
                    cluster=cluster,
                    id=last + 1,
                    author=author,
                    commit_time=now(),
                    description=description[:4096],
                    document=document,
                )
            )
        return int(last + 1)

    def managed(self, cluster: str) -> bool:
        """Whether the cluster is managed by a configuration profile (it has a committed document)."""
        return self.latest(cluster) is not None

    # -- drafts ---------------------------------------------------------------------

    def drafts(self, cluster: str) -> list[ConfigDraft]:
        t = schema.config_drafts
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.cluster == cluster).order_by(t.c.creation_time)).all()
        return [_draft(r) for r in rows]

    def draft(self, cluster: str, draft_id: str) -> ConfigDraft | None:
        return next((d for d in self.drafts(cluster) if d.id == draft_id), None)

    def create_draft(self, cluster: str, owner: str, base: ConfigCommit | None, document: dict[str, Any]) -> str:
        draft_id = str(self.store.next_id("config_draft"))
        t = now()
        with self.store.engine.begin() as conn:
            conn.execute(
                schema.config_drafts.insert().values(
                    id=draft_id,
                    cluster=cluster,
                    owner=owner,
                    base_commit=base.id if base else None,
                    creation_time=t,
                    modified_time=t,
                    document=document,
                )
            )
        return draft_id

    def save_draft(self, draft_id: str, document: dict[str, Any]) -> None:
        t = schema.config_drafts
        with self.store.engine.begin() as conn:
            conn.execute(update(t).where(t.c.id == draft_id).values(document=document, modified_time=now()))

    def delete_draft(self, draft_id: str) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(delete(schema.config_drafts).where(schema.config_drafts.c.id == draft_id))

    # -- the transition to a configuration profile -------------------------------------------

    def transition(self, cluster: str) -> Transition | None:
        t = schema.config_transitions
        with self.store.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.cluster == cluster)).first()
        if row is None:
            return None
        return Transition(
            row.cluster,
            row.status,
            row.source,
            row.source_host,
            row.author,
            aware(row.start_time),
            dict(row.document) if row.document is not None else None,
            bool(row.validated),
            bool(row.prechecked),
        )

    def set_transition(self, cluster: str, author: str, **values: Any) -> None:
        """Start (or change) the cluster's transition; a new candidate document needs validating again."""
        t = schema.config_transitions
        if "document" in values:
            values.setdefault("validated", False)
            values.setdefault("prechecked", False)
        with self.store.engine.begin() as conn:
            done = conn.execute(update(t).where(t.c.cluster == cluster).values(**values)).rowcount
            if not done:
                fields = {"status": "STARTED", "start_time": now(), "author": author, **values}
                conn.execute(t.insert().values(cluster=cluster, **fields))

    def end_transition(self, cluster: str) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(delete(schema.config_transitions).where(schema.config_transitions.c.cluster == cluster))

    # -- the audit trail ---------------------------------------------------------------

    def audit(self, cluster: str, user: str, operation: str, changes: list[dict[str, Any]]) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(
                schema.config_audit.insert().values(
                    cluster=cluster, time=now(), user=user, operation=operation, details=changes
                )
            )

    def audit_records(self, cluster: str) -> list[dict[str, Any]]:
        t = schema.config_audit
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.cluster == cluster).order_by(t.c.key)).all()
        return [
            {"time": aware(r.time), "user": r.user, "operation": r.operation, "changes": copy.deepcopy(r.details)}
            for r in rows
        ]


def _commit(row: Any) -> ConfigCommit:
    return ConfigCommit(
        row.cluster, int(row.id), row.author, aware(row.commit_time), row.description, dict(row.document)
    )


def _draft(row: Any) -> ConfigDraft:
    return ConfigDraft(
        row.id,
        row.cluster,
        row.owner,
        row.base_commit,
        aware(row.creation_time),
        aware(row.modified_time),
        dict(row.document),
    )


class SimulatedConfiguration:
    """The `/sim` view of hosts' actual configuration: read it, or change one setting
    as an administrator on the host would, behind vLCM's back (drift)."""

    def __init__(self, configurations: Configurations) -> None:
        self.configurations = configurations

    def read(self, host: Host) -> dict[str, Any]:
        return self.configurations.actual(host)

    def change(self, host: Host, path: str, value: Any) -> dict[str, Any]:
        from vlcmsim.lifecycle.host_config import BY_PATH, set_value
        from vlcmsim.lifecycle.host_config_schema import check_value

        setting = BY_PATH[path]  # KeyError: no such setting
        problems = check_value(value, setting.schema)
        if problems:
            raise ValueError("; ".join(problems))
        config = self.configurations.actual(host)
        set_value(config, path, value)
        self.configurations.set_actual(host.id, config)
        return config
