"""Desired-state documents: commits and drafts of each cluster, and the image
installed on each host. All in the store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, delete, func, select, update

from vlcmsim.lifecycle.spec import SoftwareSpec
from vlcmsim.store import schema
from vlcmsim.store.cache import TTLSnapshot
from vlcmsim.store.db import Store
from vlcmsim.vapi.codec import aware, now


@dataclass
class Commit:
    cluster: str
    id: int
    author: str
    commit_time: datetime
    description: str
    apply_status: str
    spec: SoftwareSpec


@dataclass
class Draft:
    id: str
    cluster: str
    owner: str
    creation_time: datetime
    spec: SoftwareSpec
    status: str = "VALID"  # VALID | INVALID, as its last validation found it


def commit_number(text: str) -> int | None:
    """The commit an id names: ASCII digits, at most 18 of them (a 64-bit
    integer); anything else names no commit."""
    if not (0 < len(text) <= 18 and text.isascii() and text.isdigit()):
        return None
    return int(text)


# statements built once (building one costs more than SQLite takes to run it)
_LAST_COMMIT = select(func.max(schema.commits.c.id)).where(schema.commits.c.cluster == bindparam("owner"))
_INSERT_COMMIT = schema.commits.insert()
_NEWEST = (
    select(schema.commits.c.cluster, func.max(schema.commits.c.id).label("id"))
    .group_by(schema.commits.c.cluster)
    .subquery()
)
_LATEST_COMMITS = select(schema.commits).join(
    _NEWEST, (schema.commits.c.cluster == _NEWEST.c.cluster) & (schema.commits.c.id == _NEWEST.c.id)
)
_INSTALLED = select(schema.host_images.c.host, schema.host_images.c.spec).where(
    schema.host_images.c.host.in_(bindparam("hosts", expanding=True))
)
_ALL_DRAFTS = select(schema.drafts)
_INSERT_DRAFT = schema.drafts.insert()
_UPDATE_DRAFT = update(schema.drafts).where(schema.drafts.c.id == bindparam("draft"))
_DELETE_DRAFT = delete(schema.drafts).where(schema.drafts.c.id == bindparam("draft"))

COMMITS_VERSION = "commits_version"  # bumped by every write of commits
DRAFTS_VERSION = "drafts_version"  # ... and of drafts


class DesiredStates:
    """Every owner's latest commit and its drafts are read from snapshots kept
    while their version in the store stays (a read of the desired image costs
    no query); what they hand out are copies, free for the caller to change."""

    def __init__(self, store: Store, ttl: float = 1.0) -> None:
        self.store = store
        self._latest = TTLSnapshot(self._load_latest, ttl, lambda: store.version(COMMITS_VERSION))
        self._drafts = TTLSnapshot(self._load_drafts, ttl, lambda: store.version(DRAFTS_VERSION))

    def _load_latest(self) -> dict[str, Commit]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(_LATEST_COMMITS).all()
        return {r.cluster: _commit(r) for r in rows}

    def _load_drafts(self) -> dict[str, list[Draft]]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(_ALL_DRAFTS).all()
        out: dict[str, list[Draft]] = {}
        for d in sorted((_draft(r) for r in rows), key=lambda d: int(d.id)):
            out.setdefault(d.cluster, []).append(d)
        return out

    def _wrote(self, conn: Connection, *versions: str) -> None:
        """Bump the versions in the writing transaction; this process reads again."""
        for version in versions:
            Store.bump(conn, version)
        if COMMITS_VERSION in versions:
            self._latest.invalidate()
        if DRAFTS_VERSION in versions:
            self._drafts.invalidate()

    def _drafts_changed(self, version: int, cluster: str, change: Callable[[list[Draft]], list[Draft]]) -> None:
        """After a committed write of one owner's drafts: its list changed in the snapshot, the
        others' as they were (see TTLSnapshot.wrote)."""

        def changed(drafts: dict[str, list[Draft]]) -> dict[str, list[Draft]]:
            out = dict(drafts)
            mine = change(list(out.get(cluster, ())))
            if mine:
                out[cluster] = mine
            else:
                out.pop(cluster, None)
            return out

        self._drafts.wrote(version, changed)

    # -- commits ---------------------------------------------------------------

    def latest_commit(self, cluster: str) -> Commit | None:
        found = self._latest.get().get(cluster)
        return replace(found, spec=found.spec.copy()) if found else None

    def commit(self, cluster: str, commit_id: int) -> Commit | None:
        with self.store.engine.connect() as conn:
            row = conn.execute(
                select(schema.commits).where(schema.commits.c.cluster == cluster, schema.commits.c.id == commit_id)
            ).first()
        return _commit(row) if row else None

    def add_commit(self, cluster: str, author: str, description: str, spec: SoftwareSpec, draft: str | None) -> int:
        """A new commit (and the draft it came from gone) in one transaction."""
        value, made_at = spec.to_json(), now()
        row = {
            "cluster": cluster,
            "author": author,
            "commit_time": made_at,
            "description": description,
            "apply_status": "NOT_APPLIED",
            "spec": value,
        }
        with self.store.engine.begin() as conn:
            last = conn.execute(_LAST_COMMIT, {"owner": cluster}).scalar_one()
            commit_id = row["id"] = (last or 0) + 1
            conn.execute(_INSERT_COMMIT, row)
            if draft is not None:
                conn.execute(_DELETE_DRAFT, {"draft": draft})
            commits = Store.bump(conn, COMMITS_VERSION)
            drafts = Store.bump(conn, DRAFTS_VERSION)
        # what a reload would read: the spec from the same JSON
        made = Commit(cluster, commit_id, author, made_at, description, "NOT_APPLIED", _spec(value))
        self._latest.wrote(commits, lambda latest: {**latest, cluster: made})
        self._drafts_changed(drafts, cluster, lambda mine: [d for d in mine if d.id != draft])
        return commit_id

    def mark_applied(self, cluster: str, commit_id: int) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(
                update(schema.commits)
                .where(schema.commits.c.cluster == cluster, schema.commits.c.id == commit_id)
                .values(apply_status="APPLIED")
            )
            self._wrote(conn, COMMITS_VERSION)

    # -- drafts ----------------------------------------------------------------

    def drafts(self, cluster: str) -> list[Draft]:
        return [replace(d, spec=d.spec.copy()) for d in self._drafts.get().get(cluster, ())]

    def draft(self, cluster: str, draft_id: str) -> Draft | None:
        return next((d for d in self.drafts(cluster) if d.id == draft_id), None)

    def create_draft(self, cluster: str, owner: str, spec: SoftwareSpec) -> str:
        created, value = now(), spec.to_json()
        with self.store.engine.begin() as conn:  # its number, its row and the version: one transaction
            draft_id = str(self.store.next_ids_in(conn, "draft", 1)[0])
            conn.execute(
                _INSERT_DRAFT,
                {"id": draft_id, "cluster": cluster, "owner": owner, "creation_time": created, "spec": value},
            )
            version = Store.bump(conn, DRAFTS_VERSION)
        made = Draft(draft_id, cluster, owner, created, _spec(value))
        self._drafts_changed(version, cluster, lambda mine: [*mine, made])  # numbers only grow: still in order
        return draft_id

    def save_draft(self, draft: Draft) -> None:
        value = draft.spec.to_json()
        with self.store.engine.begin() as conn:
            conn.execute(_UPDATE_DRAFT, {"draft": draft.id, "spec": value})
            version = Store.bump(conn, DRAFTS_VERSION)
        spec = _spec(value)
        self._drafts_changed(
            version, draft.cluster, lambda mine: [replace(d, spec=spec) if d.id == draft.id else d for d in mine]
        )

    def set_draft_status(self, draft_id: str, status: str) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(update(schema.drafts).where(schema.drafts.c.id == draft_id).values(status=status))
            self._wrote(conn, DRAFTS_VERSION)

    def delete_draft(self, cluster: str, draft_id: str) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(_DELETE_DRAFT, {"draft": draft_id})
            version = Store.bump(conn, DRAFTS_VERSION)
        self._drafts_changed(version, cluster, lambda mine: [d for d in mine if d.id != draft_id])

    def forget(self, owner: str) -> None:
        """Every commit and draft of an image owner (a host that left, or joined a cluster)."""
        with self.store.engine.begin() as conn:
            conn.execute(delete(schema.commits).where(schema.commits.c.cluster == owner))
            conn.execute(delete(schema.drafts).where(schema.drafts.c.cluster == owner))
            self._wrote(conn, COMMITS_VERSION, DRAFTS_VERSION)

    # -- installed images -------------------------------------------------------

    def forget_installed(self, host: str) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(delete(schema.host_images).where(schema.host_images.c.host == host))

    def installed(self, host: str) -> SoftwareSpec | None:
        with self.store.engine.connect() as conn:
            row = conn.execute(select(schema.host_images.c.spec).where(schema.host_images.c.host == host)).first()
        return SoftwareSpec.from_json(row[0]) if row else None

    def installed_many(self, hosts: list[str]) -> dict[str, SoftwareSpec]:
        """The installed image of each of `hosts` (an empty spec where none is known), in one read."""
        out = {h: SoftwareSpec() for h in hosts}
        with self.store.engine.connect() as conn:
            for i in range(0, len(hosts), 500):  # bounded IN lists
                rows = conn.execute(_INSTALLED, {"hosts": hosts[i : i + 500]}).all()
                out.update({r.host: SoftwareSpec.from_json(r.spec) for r in rows})
        return out

    def set_installed(self, host: str, spec: SoftwareSpec) -> None:
        self.set_installed_many([host], spec)

    def set_installed_many(self, hosts: list[str], spec: SoftwareSpec) -> None:
        """The same image installed on every one of `hosts`, in one transaction."""
        if not hosts:
            return
        value = spec.to_json()
        with self.store.engine.begin() as conn:
            conn.execute(delete(schema.host_images).where(schema.host_images.c.host.in_(hosts)))
            conn.execute(schema.host_images.insert(), [{"host": h, "spec": value} for h in hosts])


def _commit(r: Any) -> Commit:
    return Commit(
        r.cluster, r.id, r.author, aware(r.commit_time), r.description, r.apply_status, SoftwareSpec.from_json(r.spec)
    )


def _spec(value: dict[str, Any]) -> SoftwareSpec:
    """A spec as the store gives it back (the JSON column's value, a copy of it: a spec is changed in place)."""
    return SoftwareSpec.from_json(orjson.loads(orjson.dumps(value)))


def _draft(r: Any) -> Draft:
    return Draft(r.id, r.cluster, r.owner, aware(r.creation_time), SoftwareSpec.from_json(r.spec), r.status)
