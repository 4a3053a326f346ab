"""vSphere 9's image repository: software specs kept centrally (each with a
unique display name), one draft per user that creates, copies or edits one,
and the clusters and standalone hosts each spec is assigned to. All in the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update

from vlcmsim.lifecycle.spec import SoftwareSpec
from vlcmsim.store import schema
from vlcmsim.store.db import Store
from vlcmsim.vapi.codec import aware, now

REPOSITORY_VERSION = "repository_version"  # bumped by every write of the repository


@dataclass
class RepositorySpec:
    id: str
    display_name: str
    spec: SoftwareSpec
    author: str
    creation_time: datetime
    modified_time: datetime
    revision: int
    orchestrator: dict[str, Any] | None = None


@dataclass
class RepositoryDraft:
    id: str
    software_spec: str  # the spec it edits, or the id its commit creates
    edits: bool
    copied_from: str | None
    owner: str
    display_name: str
    spec: SoftwareSpec
    status: str
    creation_time: datetime


@dataclass(frozen=True)
class Assignment:
    entity: str
    software_spec: str
    revision: int


class Repository:
    def __init__(self, store: Store) -> None:
        self.store = store

    # -- software specs ------------------------------------------------------------

    def specs(self) -> list[RepositorySpec]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(schema.repository_specs)).all()
        return sorted((_spec(r) for r in rows), key=lambda s: (s.creation_time, s.id))

    def spec(self, spec_id: str) -> RepositorySpec | None:
        with self.store.engine.connect() as conn:
            row = conn.execute(select(schema.repository_specs).where(schema.repository_specs.c.id == spec_id)).first()
        return _spec(row) if row else None

    def named(self, display_name: str) -> RepositorySpec | None:
        with self.store.engine.connect() as conn:
            row = conn.execute(
                select(schema.repository_specs).where(schema.repository_specs.c.display_name == display_name)
            ).first()
        return _spec(row) if row else None

    def update(self, spec_id: str, **values: Any) -> None:
        """Change a spec's display name or orchestrator."""
        with self.store.engine.begin() as conn:
            conn.execute(
                update(schema.repository_specs)
                .where(schema.repository_specs.c.id == spec_id)
                .values(modified_time=now(), **values)
            )
            Store.bump(conn, REPOSITORY_VERSION)

    def delete(self, spec_id: str) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(delete(schema.repository_specs).where(schema.repository_specs.c.id == spec_id))
            Store.bump(conn, REPOSITORY_VERSION)

    def new_spec_id(self) -> str:
        return f"software-spec-{self.store.next_id('repository_spec')}"

    # -- drafts --------------------------------------------------------------------

    def drafts(self) -> list[RepositoryDraft]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(schema.repository_drafts)).all()
        return sorted((_draft(r) for r in rows), key=lambda d: int(d.id) if d.id.isdigit() else 0)

    def draft(self, draft_id: str) -> RepositoryDraft | None:
        with self.store.engine.connect() as conn:
            row = conn.execute(
                select(schema.repository_drafts).where(schema.repository_drafts.c.id == draft_id)
            ).first()
        return _draft(row) if row else None

    def draft_of(self, owner: str) -> RepositoryDraft | None:
        with self.store.engine.connect() as conn:
            row = conn.execute(
                select(schema.repository_drafts).where(schema.repository_drafts.c.owner == owner)
            ).first()
        return _draft(row) if row else None

    def create_draft(
        self,
        owner: str,
        display_name: str,
        spec: SoftwareSpec,
        *,
        edits: str | None = None,
        copied_from: str | None = None,
        replace_existing: bool = False,
    ) -> str:
        """A user's draft (their former one deleted first, when asked): of a new
        spec, or one that `edits` an existing spec."""
        draft_id = str(self.store.next_id("draft"))
        software_spec = edits or self.new_spec_id()
        with self.store.engine.begin() as conn:
            if replace_existing:
                conn.execute(delete(schema.repository_drafts).where(schema.repository_drafts.c.owner == owner))
            conn.execute(
                schema.repository_drafts.insert().values(
                    id=draft_id,
                    software_spec=software_spec,
                    edits=edits is not None,
                    copied_from=copied_from,
                    owner=owner,
                    display_name=display_name,
                    spec=spec.to_json(),
                    status="VALID",
                    creation_time=now(),
                )
            )
            Store.bump(conn, REPOSITORY_VERSION)
        return draft_id

    def save_draft(self, d: RepositoryDraft) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(
                update(schema.repository_drafts)
                .where(schema.repository_drafts.c.id == d.id)
                .values(spec=d.spec.to_json(), display_name=d.display_name)
            )
            Store.bump(conn, REPOSITORY_VERSION)

    def set_draft_status(self, draft_id: str, status: str) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(
                update(schema.repository_drafts).where(schema.repository_drafts.c.id == draft_id).values(status=status)
            )
            Store.bump(conn, REPOSITORY_VERSION)

    def delete_draft(self, draft_id: str) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(delete(schema.repository_drafts).where(schema.repository_drafts.c.id == draft_id))
            Store.bump(conn, REPOSITORY_VERSION)

    def commit(self, d: RepositoryDraft, author: str, orchestrator: dict[str, Any] | None) -> RepositorySpec:
        """The draft becomes the spec it creates or edits (its revision moved on), and is gone."""
        t = schema.repository_specs
        at = now()
        with self.store.engine.begin() as conn:
            if d.edits:
                values: dict[str, Any] = {
                    "display_name": d.display_name,
                    "spec": d.spec.to_json(),
                    "modified_time": at,
                    "revision": t.c.revision + 1,
                }
                if orchestrator is not None:
                    values["orchestrator"] = orchestrator
                conn.execute(update(t).where(t.c.id == d.software_spec).values(**values))
            else:
                conn.execute(
                    t.insert().values(
                        id=d.software_spec,
                        display_name=d.display_name,
                        spec=d.spec.to_json(),
                        author=author,
                        creation_time=at,
                        modified_time=at,
                        revision=1,
                        orchestrator=orchestrator,
                    )
                )
            conn.execute(delete(schema.repository_drafts).where(schema.repository_drafts.c.id == d.id))
            Store.bump(conn, REPOSITORY_VERSION)
        found = self.spec(d.software_spec)
        assert found is not None
        return found

    # -- assignments -----------------------------------------------------------------

    def assignments(self) -> list[Assignment]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(schema.repository_assignments)).all()
        return [Assignment(r.entity, r.software_spec, r.revision) for r in rows]

    def assignment(self, entity: str) -> Assignment | None:
        with self.store.engine.connect() as conn:
            row = conn.execute(
                select(schema.repository_assignments).where(schema.repository_assignments.c.entity == entity)
            ).first()
        return Assignment(row.entity, row.software_spec, row.revision) if row else None

    def assign(self, entity: str, spec_id: str, revision: int) -> None:
        with self.store.engine.begin() as conn:
            _unassign(conn, entity)
            conn.execute(
                schema.repository_assignments.insert().values(entity=entity, software_spec=spec_id, revision=revision)
            )
            Store.bump(conn, REPOSITORY_VERSION)

    def unassign(self, entity: str) -> None:
        """The entity's image is its own again (a commit of its own draft, or it left)."""
        with self.store.engine.begin() as conn:
            if _unassign(conn, entity):
                Store.bump(conn, REPOSITORY_VERSION)


_UNASSIGN = delete(schema.repository_assignments).where(
    schema.repository_assignments.c.entity == bindparam("entity")
)  # built once: building it costs more than running it


def _unassign(conn: Connection, entity: str) -> int:
    return int(conn.execute(_UNASSIGN, {"entity": entity}).rowcount or 0)


def _spec(r: Any) -> RepositorySpec:
    spec = SoftwareSpec.from_json(r.spec)
    spec.display_name = r.display_name
    return RepositorySpec(
        r.id,
        r.display_name,
        spec,
        r.author,
        aware(r.creation_time),
        aware(r.modified_time),
        r.revision,
        r.orchestrator,
    )


def _draft(r: Any) -> RepositoryDraft:
    spec = SoftwareSpec.from_json(r.spec)
    return RepositoryDraft(
        r.id,
        r.software_spec,
        r.edits,
        r.copied_from,
        r.owner,
        r.display_name,
        spec,
        r.status,
        aware(r.creation_time),
    )
