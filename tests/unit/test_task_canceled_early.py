"""A task canceled before its work took its first step is still a whole task:
it reads FAILED (canceled), its start time its end time — not an internal error
because a FAILED task's info requires a start time."""

from __future__ import annotations

import asyncio

import pytest

from vlcmsim.testing import InProcessServer

pytestmark = pytest.mark.anyio

SOFTWARE = "/api/esx/settings/clusters/domain-c1/software"


async def test_a_stage_canceled_before_it_began_reads_failed_with_its_times(app: InProcessServer) -> None:
    client = await app.client()
    started = await client.post(f"{SOFTWARE}?action=stage&vmw-task=true", json={})
    assert started.status_code == 202, started.text
    task = started.json()
    # in this process the cancel arrives before the loop ran the task's first step
    assert (await client.post(f"/api/cis/tasks/{task}?action=cancel")).status_code == 204
    for _ in range(100):
        info = await client.get(f"/api/cis/tasks/{task}")
        assert info.status_code == 200, info.text
        if info.json()["status"] not in ("PENDING", "RUNNING"):
            break
        await asyncio.sleep(0.01)
    body = info.json()
    assert body["status"] == "FAILED"
    assert body["error"]["messages"][0]["id"] == "com.vmware.vlcmsim.tasks.Canceled"
    assert body["start_time"] == body["end_time"]
