"""Domain pieces on their own: versions, compliance, the depot's metadata, the
store's cache, sessions shared through the store, the schema 1 migration."""

from __future__ import annotations

import tempfile
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from vlcmsim.config import Settings
from vlcmsim.depot.catalog import Catalog
from vlcmsim.depot.defaults import write_default_bundle
from vlcmsim.depot.model import DepotContent
from vlcmsim.depot.reader import Limits, ZipTree, merged, read_metadata
from vlcmsim.depot.storage import content_from_json, content_to_json
from vlcmsim.depot.versions import compare
from vlcmsim.inventory.model import Host
from vlcmsim.lifecycle.compliance import host_compliance
from vlcmsim.lifecycle.spec import SoftwareSpec, problems
from vlcmsim.sessions import Sessions
from vlcmsim.sim.knobs import SimKnobs
from vlcmsim.store.cache import TTLSnapshot
from vlcmsim.store.db import Store
from vlcmsim.vapi.auth import User


def test_versions_compare_numbers_as_numbers() -> None:
    assert compare("8.0.3-0.0.24022510", "8.0.2-0.0.22380479") > 0
    assert compare("1.12.3.0-1OEM.800.1.0.20613240", "1.9.0-1OEM.800") > 0
    assert compare("8.0.2", "8.0.2") == 0


def default_content() -> DepotContent:
    with tempfile.TemporaryDirectory() as folder, zipfile.ZipFile(write_default_bundle(4096, Path(folder))) as zf:
        return merged(read_metadata(ZipTree(zf, Limits()), Limits()))


def default_catalog(tmp_path: Path) -> Catalog:
    return Catalog.merge([default_content()])


def test_the_default_bundle_metadata_round_trips_through_the_store_form() -> None:
    content = default_content()
    assert [b.version for b in content.base_images]
    assert content_from_json(content_to_json(content)) == content


def test_compliance_of_a_host_behind_its_image(tmp_path: Path) -> None:
    catalog = default_catalog(tmp_path)
    versions = sorted(catalog.base_images)
    installed, desired = SoftwareSpec(versions[0]), SoftwareSpec(versions[-1])
    host = Host("host-1", "esx", "domain-c1", "datacenter-1", "CONNECTED", "POWERED_ON", False)
    c = host_compliance(host, installed, desired, 3, catalog, staged=lambda: True)
    assert (c["status"], c["impact"], c["stage_status"], c["commit"]) == (
        "NON_COMPLIANT",
        "REBOOT_REQUIRED",
        "STAGED",
        "3",
    )
    assert host_compliance(host, desired, desired, 3, catalog)["status"] == "COMPLIANT"
    newer_installed = host_compliance(host, desired, installed, 3, catalog)
    assert newer_installed["base_image"]["status"] == "INCOMPATIBLE"
    gone = Host("host-1", "esx", "domain-c1", "datacenter-1", "DISCONNECTED", "POWERED_ON", False)
    assert host_compliance(gone, installed, desired, 3, catalog)["status"] == "UNAVAILABLE"


def test_validation_returns_each_problem(tmp_path: Path) -> None:
    catalog = default_catalog(tmp_path)
    found = problems(SoftwareSpec("9.9.9", ("nobody", "1.0"), {"nothing": "1"}), catalog)
    assert found == [
        "base image version 9.9.9 is not in any depot",
        "add-on nobody version 1.0 is not in any depot",
        "component nothing is not in any depot",
    ]
    assert problems(SoftwareSpec(sorted(catalog.base_images)[0]), catalog) == []


def test_a_snapshot_is_reloaded_after_its_time_to_live_or_an_invalidation() -> None:
    loads = []
    snap = TTLSnapshot(lambda: loads.append(1) or len(loads), ttl=3600)
    assert snap.get() == snap.get() == 1
    snap.invalidate()
    assert snap.get() == 2
    assert TTLSnapshot(lambda: object(), ttl=0).get() is not None


def test_a_snapshot_with_a_refresh_reads_only_what_moved_since_its_version() -> None:
    version = [1]
    asked: list[int] = []

    def refresh(value: list[str], since: int) -> list[str]:
        asked.append(since)
        return value + [f"moved after {since}"]

    snap = TTLSnapshot(lambda: ["all"], ttl=3600, version=lambda: version[0], refresh=refresh)
    assert snap.get() == ["all"]
    version[0] = 2
    assert snap.get() == ["all"]  # young: the version is not looked at
    snap.expire()
    assert snap.get() == ["all", "moved after 1"] and asked == [1]
    snap.expire()
    assert snap.get() == ["all", "moved after 1"] and asked == [1]  # the same version: nothing read
    snap.invalidate()
    assert snap.get() == ["all"]  # a whole load


def test_a_logout_in_one_process_ends_the_session_in_another(tmp_path: Path) -> None:
    store = Store.open(None, tmp_path)
    settings = Settings(data_dir=tmp_path)
    here, there = Sessions(store, settings), Sessions(store, settings)
    session = here.create(User("administrator@vsphere.local", "admin"))
    assert there.lookup(session.id) is not None  # created elsewhere: read from the store at once
    here.delete(session.id)
    there._snapshot.invalidate()  # what the snapshot's time to live does within a second
    assert there.lookup(session.id) is None


def test_a_schema_1_store_moves_its_knobs_to_sim_hosts(tmp_path: Path) -> None:
    store = Store.open(None, tmp_path)
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE hosts"))
        conn.execute(
            text(
                "CREATE TABLE hosts (id VARCHAR(64) PRIMARY KEY, name VARCHAR(256), cluster VARCHAR(64), "
                "datacenter VARCHAR(64), connection_state VARCHAR(32), power_state VARCHAR(32), "
                "in_maintenance_mode BOOLEAN, bandwidth_bytes_per_s BIGINT, staging_capacity_bytes BIGINT, "
                "corrupt_downloads INTEGER)"
            )
        )
        conn.execute(
            text("INSERT INTO hosts VALUES ('host-1','esx','domain-c1','dc','CONNECTED','POWERED_ON',0,5,7,2)")
        )
        conn.execute(text("UPDATE vlcmsim_meta SET value='1' WHERE key='schema_version'"))
    store.dispose()
    store = Store.open(None, tmp_path)
    knobs = SimKnobs(store).get("host-1")
    assert (knobs.bandwidth_bytes_per_s, knobs.staging_capacity_bytes, knobs.corrupt_downloads) == (5, 7, 2)
    with store.engine.connect() as conn:
        columns = [r[1] for r in conn.execute(text("PRAGMA table_info(hosts)"))]
    assert "corrupt_downloads" not in columns


def test_a_schema_2_store_gains_the_hosts_own_image_management(tmp_path: Path) -> None:
    from vlcmsim.config import HostConfig
    from vlcmsim.inventory.store import Inventory

    store = Store.open(None, tmp_path)
    with store.engine.begin() as conn:
        conn.execute(text("ALTER TABLE hosts DROP COLUMN image_managed"))
        conn.execute(text("ALTER TABLE hosts DROP COLUMN boot_time"))  # schema 5's
        for column in ("vendor", "model", "uuid"):  # schema 7's
            conn.execute(text(f"ALTER TABLE hosts DROP COLUMN {column}"))
        conn.execute(text("DROP INDEX ix_agent_hosts_version"))  # schema 8's
        conn.execute(text("ALTER TABLE agent_hosts DROP COLUMN version"))
        conn.execute(text("INSERT INTO datacenters VALUES ('datacenter-1','DC')"))
        conn.execute(
            text("INSERT INTO hosts VALUES ('host-77','esx-edge',NULL,'datacenter-1','CONNECTED','POWERED_ON',0)")
        )
        conn.execute(text("UPDATE vlcmsim_meta SET value='2' WHERE key='schema_version'"))
    store.dispose()
    store = Store.open(None, tmp_path)
    inventory = Inventory(store)
    edge = inventory.host("host-77")
    assert edge is not None and edge.standalone and not edge.image_managed
    assert (edge.vendor, edge.model) == ("Dell Inc.", "PowerEdge R760") and len(edge.uuid) == 36
    added = inventory.add_host("esx-new", "datacenter-1", None, HostConfig("esx-new", image_managed=True))
    assert added.image_managed


def test_payloads_no_depot_names_are_removed_at_start(tmp_path: Path) -> None:
    import hashlib

    from vlcmsim.app import App

    settings = Settings(data_dir=tmp_path / "data", tls=False, default_payload_bytes=4096)
    App(settings).start().store.dispose()
    payloads = tmp_path / "data" / "payloads"
    kept = sorted(p for p in payloads.rglob("*") if p.is_file())
    orphan_sha = hashlib.sha256(b"left by a killed import").hexdigest()
    (payloads / orphan_sha[:2]).mkdir(exist_ok=True)
    (payloads / orphan_sha[:2] / orphan_sha).write_bytes(b"left by a killed import")
    App(settings).start().store.dispose()
    assert sorted(p for p in payloads.rglob("*") if p.is_file()) == kept


def test_a_session_in_use_outlives_a_restart_past_its_idle_time_from_creation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vlcmsim.sessions as sessions_module

    clock = [datetime(2026, 11, 27, 12, 0, tzinfo=UTC)]
    monkeypatch.setattr(sessions_module, "now", lambda: clock[0])
    store = Store.open(None, tmp_path)
    settings = Settings(data_dir=tmp_path, session_idle_seconds=60)
    before = Sessions(store, settings)
    session = before.create(User("administrator@vsphere.local", "admin"))
    for _ in range(10):  # in use every 20 s for 200 s: never idle for 60 s
        clock[0] += timedelta(seconds=20)
        assert before.lookup(session.id) is not None
    after = Sessions(store, settings)  # a restart: what the store says is all there is
    clock[0] += timedelta(seconds=20)
    assert after.lookup(session.id) is not None
    clock[0] += timedelta(seconds=61)
    assert after.lookup(session.id) is None  # idle for longer than allowed


def test_an_upload_a_stop_cut_short_is_removed_at_start(tmp_path: Path) -> None:
    from vlcmsim.app import App

    settings = Settings(data_dir=tmp_path / "data", tls=False, default_payload_bytes=4096)
    App(settings).start().store.dispose()
    uploads = tmp_path / "data" / "uploads"
    uploads.mkdir()
    (uploads / "0123.part").write_bytes(b"half a bundle")
    (uploads / "4567").write_bytes(b"a whole one, not yet imported")
    App(settings).start().store.dispose()
    assert sorted(p.name for p in uploads.iterdir()) == ["4567"]
