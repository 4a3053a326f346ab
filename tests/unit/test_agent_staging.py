"""What host agents report their hosts hold is kept in memory by each API
worker, and read again from the store only for the hosts whose report moved:
agents report all the time while they stage, and every host's row read at each
report held the API's loop for tens of milliseconds at 5,000 hosts."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest
from sqlalchemy import update

from vlcmsim.depot.model import Payload
from vlcmsim.hosts.agent import StagePlan
from vlcmsim.hosts.remote import AgentStaging, plan_value
from vlcmsim.store import schema
from vlcmsim.testing import in_process

pytestmark = pytest.mark.anyio

A, B, C = "a" * 64, "b" * 64, "c" * 64


async def test_a_report_is_read_again_for_the_hosts_it_names_only(tmp_path: Path) -> None:
    async with in_process(tmp_path / "data", hosts_mode="external") as external:
        client = await external.client(None)
        token = (external.app.settings.data_dir / "agent-token").read_text().strip()
        client.headers["authorization"] = f"Bearer {token}"
        held = {"host-1": {"payloads": [A], "used_bytes": 10}}
        r = await client.post("/agent/register", json={"agent": "a", "hosts": ["host-1", "host-2"], "staged": held})
        assert r.status_code == 200, r.text
        staging = external.app.backend.staging
        assert isinstance(staging, AgentStaging)
        assert staging.staged("host-1") == {A} and staging.used_bytes("host-1") == 10
        assert staging.staged("host-2") == set()

        # host-1's row changed behind the counter's back: a worker that read it keeps what it read...
        with staging.store.engine.begin() as conn:
            ah = schema.agent_hosts
            conn.execute(update(ah).where(ah.c.host == "host-1").values(staged={"payloads": [C], "used_bytes": 1}))
        report = {"agent": "a", "work": [], "staged": {"host-2": {"payloads": [B], "used_bytes": 20}}}
        assert (await client.post("/agent/report", json=report)).status_code == 200
        staging.changed()
        # ... and reads again host-2 alone, which the report named
        assert staging.staged("host-2") == {B} and staging.used_bytes("host-2") == 20
        assert staging.staged("host-1") == {A}

        # a second worker, starting now, reads every host as the store has it
        fresh = AgentStaging(staging.store, tmp_path / "other")
        assert fresh.staged("host-1") == {C} and fresh.staged("host-2") == {B}


def test_a_plan_goes_to_its_agent_with_every_field() -> None:
    """Written by hand for speed: a field added to the plan must be added there too."""
    one, two = Payload("esx-base", "vgz", 10, A), Payload("drv", "tgz", 20, B)
    plan = StagePlan("host-1", "esx-01", [one, two], [two], "http://127.0.0.1:1/p/", [one])
    assert plan_value(plan) == asdict(plan)
