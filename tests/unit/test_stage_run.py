"""StageRun and ApplyRun against a fake host agent: every branch of a host's
stage status, without files or HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from vlcmsim.hosts.agent import StageFailure
from vlcmsim.hosts.fake import FakeHosts
from vlcmsim.lifecycle.apply import ApplyRun
from vlcmsim.lifecycle.runs import StageRun
from vlcmsim.tasks.manager import TaskFailed
from vlcmsim.testing import InProcessServer
from vlcmsim.vapi.codec import encode
from vlcmsim.vapi.model import model

pytestmark = pytest.mark.anyio

STAGE_RESULT = model().operations[("com.vmware.esx.settings.clusters.software", "stage$task")].task_result


class Context:
    """Records what a run reports, as the task manager would keep it."""

    def __init__(self) -> None:
        self.progress_calls: list[tuple[int, int, str]] = []
        self._result: Any = None
        self.live: Any = None

    @property
    def result(self) -> Any:
        """What a read of the task would show now."""
        return self.live() if self.live is not None else self._result

    def progress(self, completed: int, total: int, message: str = "Running") -> None:
        self.progress_calls.append((completed, total, message))

    def set_result(self, result: Any) -> None:
        self._result, self.live = result, None

    def set_live(self, build: Any) -> None:
        self.live = build


def make_run(app: InProcessServer, agent: FakeHosts, cluster: str = "domain-c1", timeout: float = 30, cls=StageRun):  # type: ignore[no-untyped-def]
    b = app.backend
    return cls(
        cluster=cluster,
        hosts=b.inventory.hosts(cluster),
        desired=b.desired,
        catalog=b.depots.catalog(),
        agent=agent,
        depot_url="http://depot.invalid/",
        host_timeout=timeout,
    )


def statuses(result: dict[str, Any]) -> dict[str, str]:
    return {h: s["status"] for h, s in result["host_status"].items()}


async def test_every_host_behind_its_image_gets_the_missing_payloads(app: InProcessServer) -> None:
    agent = FakeHosts()
    ctx = Context()
    result = await make_run(app, agent)(ctx)  # type: ignore[arg-type]
    assert statuses(result) == dict.fromkeys(["host-1", "host-2", "host-3", "host-4"], "OK")
    assert result["successful_hosts"] == ["host-1", "host-2", "host-3", "host-4"]
    assert result["status"]["status"] == "OK"
    per_host = {h for h, _ in agent.downloads}
    assert per_host == {"host-1", "host-2", "host-3", "host-4"}
    done, total, message = ctx.progress_calls[-1]
    assert done == total > 0 and message == "Done"


async def test_a_compliant_cluster_is_skipped_host_by_host(app: InProcessServer) -> None:
    agent = FakeHosts()
    result = await make_run(app, agent, "domain-c2")(Context())  # type: ignore[arg-type]
    assert set(statuses(result).values()) == {"SKIPPED"}
    assert agent.downloads == []
    note = result["host_status"]["host-5"]["notifications"]["info"][0]["message"]["default_message"]
    assert "already compliant" in note


async def test_a_second_stage_skips_hosts_already_staged(app: InProcessServer) -> None:
    agent = FakeHosts()
    await make_run(app, agent)(Context())  # type: ignore[arg-type]
    moved = len(agent.downloads)
    result = await make_run(app, agent)(Context())  # type: ignore[arg-type]
    assert set(statuses(result).values()) == {"SKIPPED"}
    assert len(agent.downloads) == moved
    assert "already staged" in result["host_status"]["host-1"]["notifications"]["info"][0]["message"]["default_message"]


async def test_a_host_that_fails_is_error_and_fails_the_task_naming_it(app: InProcessServer) -> None:
    agent = FakeHosts()
    agent["host-2"].failure = StageFailure("x.HostNotConnected", "Host esx-a2 is disconnected.", retriable=True)
    with pytest.raises(TaskFailed) as failed:
        await make_run(app, agent)(Context())  # type: ignore[arg-type]
    result = failed.value.result
    assert result["failed_hosts"] == ["host-2"]
    assert statuses(result)["host-1"] == "OK"
    error = result["host_status"]["host-2"]["notifications"]["errors"][0]
    assert error["message"]["default_message"] == "Host esx-a2 is disconnected." and error["retriable"] is True
    assert "esx-a2.vlcmsim.local (host-2)" in failed.value.error.text


async def test_a_host_that_does_not_finish_in_time_is_timed_out_without_progress(app: InProcessServer) -> None:
    agent = FakeHosts()
    agent["host-3"].hang = True
    with pytest.raises(TaskFailed) as failed:
        await make_run(app, agent, timeout=0.2)(Context())  # type: ignore[arg-type]
    result = failed.value.result
    assert statuses(result)["host-3"] == "TIMED_OUT"
    assert result["host_status"]["host-3"]["notifications"]["errors"][0]["retriable"] is True
    # the union rule of StageStatus: no progress for TIMED_OUT, applied by the encoder from the model
    wire = encode(STAGE_RESULT, result)  # type: ignore[arg-type]
    assert "progress" not in wire["host_status"]["host-3"]
    assert "progress" in wire["host_status"]["host-1"]


async def test_a_host_waiting_to_retry_shows_retry_pending_then_finishes(app: InProcessServer) -> None:
    agent = FakeHosts()
    gate = agent["host-4"].retry_gate = asyncio.Event()
    run = make_run(app, agent)
    ctx = Context()
    task = asyncio.ensure_future(run(ctx))  # type: ignore[arg-type]
    for _ in range(200):
        await asyncio.sleep(0.01)
        if run.runs and statuses(run.result(final=False)).get("host-4") == "RETRY_PENDING":
            break
    assert statuses(run.result(final=False))["host-4"] == "RETRY_PENDING"
    gate.set()
    result = await task
    assert statuses(result)["host-4"] == "OK"


async def test_apply_installs_the_commit_and_marks_it_applied(app: InProcessServer) -> None:
    agent = FakeHosts()
    result = await make_run(app, agent, cls=ApplyRun)(Context())  # type: ignore[arg-type]
    assert result["successful_hosts"] == ["host-1", "host-2", "host-3", "host-4"]
    desired = app.backend.desired
    commit = desired.latest_commit("domain-c1")
    assert commit is not None and commit.apply_status == "APPLIED"
    assert desired.installed("host-1") == commit.spec
    assert agent["host-1"].staged == set() and len(agent["host-1"].installed_plans) == 1


async def test_an_unexpected_error_on_one_host_is_that_hosts_error_and_the_others_finish(app: InProcessServer) -> None:
    agent = FakeHosts()
    agent["host-1"].failure = OSError(28, "No space left on device", "/data/hosts/host-1/staging/x.part")
    with pytest.raises(TaskFailed) as failed:
        await make_run(app, agent)(Context())  # type: ignore[arg-type]
    result = failed.value.result
    assert result["failed_hosts"] == ["host-1"]
    assert result["successful_hosts"] == ["host-2", "host-3", "host-4"]
    text = result["host_status"]["host-1"]["notifications"]["errors"][0]["message"]["default_message"]
    assert text == "Host esx-a1.vlcmsim.local could not stage: No space left on device."  # not where on disk


async def test_a_canceled_stage_fails_canceled_and_its_unfinished_hosts_end_too(app: InProcessServer) -> None:
    agent = FakeHosts()
    agent["host-2"].hang = True
    app.backend.hosts = agent
    client = await app.client()
    task = (await client.post(STAGE, json={})).json()
    info = await wait_for(
        client, task, lambda i: i.get("result", {}).get("successful_hosts") == ["host-1", "host-3", "host-4"]
    )
    assert info["cancelable"] is True
    assert (await client.post(f"/api/cis/tasks/{task}?action=cancel")).status_code == 204
    info = await wait_for(client, task, lambda i: i["status"] == "FAILED")
    assert info["error"]["error_type"] == "CANCELED"
    host = info["result"]["host_status"]["host-2"]
    assert (
        host["status"] == "ERROR"
        and "the task was canceled" in host["notifications"]["errors"][0]["message"]["default_message"]
    )
    assert info["result"]["failed_hosts"] == ["host-2"]
    assert (await client.post(f"/api/cis/tasks/{task}?action=cancel")).status_code == 400  # not running any more


STAGE = "/api/esx/settings/clusters/domain-c1/software?action=stage&vmw-task=true"


async def wait_for(client: Any, task: str, done: Any) -> dict[str, Any]:
    for _ in range(500):
        info: dict[str, Any] = (await client.get(f"/api/cis/tasks/{task}")).json()
        if done(info):
            return info
        await asyncio.sleep(0.02)
    raise AssertionError(f"task {task} never got there: {info}")


def test_a_result_a_crash_left_running_ends_its_hosts() -> None:
    from vlcmsim.lifecycle.runs import interrupted_result

    stored = {
        "commit": "1",
        "host_info": {"host-1": {"name": "esx-a1"}, "host-2": {"name": "esx-a2"}},
        "host_status": {
            "host-1": {
                "status": "OK",
                "start_time": "2026-01-01T00:00:00.000Z",
                "end_time": "2026-01-01T00:00:01.000Z",
                "notifications": {},
            },
            "host-2": {
                "status": "RUNNING",
                "start_time": "2026-01-01T00:00:00.000Z",
                "end_time": "2026-01-01T00:00:01.000Z",
            },
        },
        "successful_hosts": ["host-1"],
        "failed_hosts": [],
        "skipped_hosts": [],
    }
    ended = interrupted_result(stored, "the server stopped")
    assert ended["host_status"]["host-2"]["status"] == "ERROR"
    assert ended["failed_hosts"] == ["host-2"]
    from vlcmsim.vapi.codec import from_clean

    assert from_clean(STAGE_RESULT, ended)["host_status"]["host-2"]["notifications"]["errors"]  # type: ignore[arg-type]


def test_a_standalone_hosts_result_a_crash_left_running_ends_its_host() -> None:
    from vlcmsim.lifecycle.runs import interrupted_result
    from vlcmsim.vapi.codec import from_clean

    stored = {
        "commit": "2",
        "host_info": {"name": "esx-edge1"},
        "status": {
            "status": "RUNNING",
            "start_time": "2026-01-01T00:00:00.000Z",
            "end_time": "2026-01-01T00:00:01.000Z",
            "notifications": {},
        },
    }
    ended = interrupted_result(stored, "the server stopped")
    assert ended["status"]["status"] == "ERROR"
    td = {"kind": "struct", "id": "com.vmware.esx.settings.hosts.software.stage_result"}
    errors = from_clean(td, ended)["status"]["notifications"]["errors"]
    assert "esx-edge1" in errors[0]["message"]["default_message"]
