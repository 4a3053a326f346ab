"""The adversarial run's findings that do not need a real socket: secrets in task
errors and logs, a task list that grew without bound, malformed depot locations,
the host agents' numbers, `depot serve`'s ranges, `depot mirror` writing outside
its folder, the CLI's profile file, and a canceled sync's open connection."""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from helpers import serve
from vlcmsim.depot.online_server import _range, mirror
from vlcmsim.depot.reader import BundleError
from vlcmsim.redact import redact
from vlcmsim.tasks.manager import MAX_LISTED, TaskRecord
from vlcmsim.testing import READONLY, InProcessServer, in_process
from vlcmsim.vapi.codec import now
from vlcmsim.vapi.errors import Message

pytestmark = pytest.mark.anyio


@pytest.fixture
async def server(tmp_path: Path) -> InProcessServer:  # type: ignore[misc]
    async with in_process(tmp_path / "data") as s:
        yield s


async def wait_ended(client: httpx.AsyncClient, task: str) -> dict[str, object]:
    for _ in range(400):
        info: dict[str, object] = (await client.get(f"/api/cis/tasks/{task}")).json()
        if info["status"] in ("SUCCEEDED", "FAILED"):
            return info
        await asyncio.sleep(0.025)
    raise AssertionError(f"{task} did not end")


# -- 2. secrets ---------------------------------------------------------------------------


async def test_a_location_password_never_reaches_task_errors_or_the_log(
    server: InProcessServer, caplog: pytest.LogCaptureFixture
) -> None:
    admin = await server.client()
    reader = await server.client(READONLY)
    with caplog.at_level(logging.DEBUG):
        r = await admin.post(
            "/api/esx/settings/depots/offline?vmw-task=true",
            json={"source_type": "PULL", "location": "http://bob:Hunter2Secret@127.0.0.1:9/x.zip"},
        )
        offline = await wait_ended(admin, r.json())
        r = await admin.post(
            "/api/esx/settings/depots/online",
            json={"location": "http://depotuser:S3cretPassw0rd@127.0.0.1:9/index.xml", "enabled": True},
        )
        assert r.status_code == 201, r.text
        r = await admin.post("/api/esx/settings/depots?action=sync&vmw-task=true")
        sync = await wait_ended(admin, r.json())
    assert offline["status"] == "FAILED" and sync["status"] == "FAILED"
    listed = (await reader.get("/api/cis/tasks")).text
    for secret in ("Hunter2Secret", "S3cretPassw0rd"):
        assert secret not in listed and secret not in str(offline) and secret not in str(sync)
        assert all(secret not in rec.getMessage() for rec in caplog.records)
    assert "bob:****@127.0.0.1" in str(offline)


def test_redaction_masks_the_password_only() -> None:
    assert redact("GET http://u:p@ss@host:80/a@b?x") == "GET http://u:****@host:80/a@b?x"
    assert redact("mail a@b.example, see https://user@host/") == "mail a@b.example, see https://user@host/"


# -- 3. the task list -----------------------------------------------------------------------


async def test_the_task_list_is_bounded_and_ended_tasks_are_purged(server: InProcessServer) -> None:
    tasks = server.backend.tasks
    t = now()
    for n in range(MAX_LISTED + 200):
        record = TaskRecord(
            id=f"{n:05d}:com.vmware.esx.settings.clusters.software",
            service="com.vmware.esx.settings.clusters.software",
            operation="scan",
            description=Message("x", "Scan"),
            target=None,
            user=None,
            cancelable=False,
            result_td=None,
            status="SUCCEEDED",
            created_time=t + timedelta(microseconds=n),
            start_time=t + timedelta(microseconds=n),
            end_time=t + timedelta(microseconds=n),
            progress=(1, 1, Message("p", "Done")),
        )
        tasks.save(record)
    reader = await server.client(READONLY)
    listed = (await reader.get("/api/cis/tasks")).json()
    assert len(listed) == MAX_LISTED and f"{MAX_LISTED + 199:05d}:com.vmware.esx.settings.clusters.software" in listed
    assert "00000:com.vmware.esx.settings.clusters.software" not in listed  # the oldest are beyond the bound
    tasks.keep_ended = 100
    tasks.purge()
    assert len(tasks.list(limit=10_000)) == 100


# -- 4. malformed locations -----------------------------------------------------------------


@pytest.mark.parametrize(
    "location",
    ["http://[::1", "http://a:b@[zz]/", "file:///tmp/%00.zip", "http://127.0.0.1:99999/x.zip", "http:///x.zip"],
)
async def test_a_malformed_location_is_refused_saying_why(server: InProcessServer, location: str) -> None:
    admin = await server.client()
    for path, body in (
        ("/api/esx/settings/depots/offline?vmw-task=true", {"source_type": "PULL", "location": location}),
        ("/api/esx/settings/depots/online", {"location": location, "enabled": True}),
    ):
        r = await admin.post(path, json=body)
        assert r.status_code == 400, (location, r.text)
        assert r.json()["error_type"] == "INVALID_ARGUMENT" and "Invalid depot location" in r.text


async def test_one_depot_failing_in_an_unexpected_way_keeps_its_failure_its_own(
    server: InProcessServer, tmp_path: Path
) -> None:
    """A depot an older version let in (a NUL in its path) once failed every sync with "Internal
    error" and hid the other depots' own failures: now each depot's failure is told as its own."""
    from vlcmsim.depot.model import DepotContent

    admin = await server.client()
    r = await admin.post("/api/esx/settings/depots/online", json={"location": "http://127.0.0.1:9/index.xml"})
    unreachable = r.json()
    nul = server.backend.depots.add(
        DepotContent(),
        description="",
        location=f"file://{tmp_path}/%00/index.xml",
        file_name="index.xml",
        owner=None,
        create_time=now(),
        source_type="ONLINE",
    )
    r = await admin.post("/api/esx/settings/depots?action=sync&vmw-task=true")
    info = await wait_ended(admin, r.json())
    error = str(info["error"])
    assert info["status"] == "FAILED" and "Internal" not in error
    assert unreachable in error and nul in error and "null byte" in error


# -- 5. host agents -----------------------------------------------------------------------


async def test_host_agents_numbers_are_bounded_and_an_empty_host_list_refused(tmp_path: Path) -> None:
    async with in_process(tmp_path / "data", hosts_mode="external") as external:
        client = await external.client(None)
        token = (external.app.settings.data_dir / "agent-token").read_text().strip()
        client.headers["authorization"] = f"Bearer {token}"
        r = await client.post("/agent/register", json={"agent": "a", "hosts": []})
        assert r.status_code == 400 and "names no host" in r.text
        r = await client.post("/agent/register", json={"agent": "a", "hosts": ["host-1"]})
        assert r.status_code == 200
        for body in (
            {"agent": "a", "work": [{"id": "x", "completed": 10**30}]},
            {"agent": "a", "staged": {"host-1": {"payloads": [], "used_bytes": 10**30}}},
            {"agent": "a", "work": [{"id": "x", "completed": -1}]},
        ):
            r = await client.post("/agent/report", json=body)
            assert r.status_code == 400 and r.json()["error_type"] == "INVALID_ARGUMENT", r.text


# -- 6. depot serve ranges --------------------------------------------------------------------


def test_depot_serve_answers_416_to_an_absurd_range(tmp_path: Path) -> None:
    (tmp_path / "a.bin").write_bytes(b"x" * 100)
    url, process = serve(tmp_path)
    try:
        a_bin = url.replace("index.xml", "a.bin")
        r = httpx.get(a_bin, headers={"range": "bytes=" + "9" * 5000 + "-"})
        assert r.status_code == 416
        r = httpx.get(a_bin, headers={"range": "bytes=90-" + "9" * 5000})
        assert r.status_code == 206 and r.content == b"x" * 10
    finally:
        process.kill()
        process.wait()
    assert _range("bytes=-" + "9" * 5000, 100) == (0, 100)


# -- 7. depot mirror ------------------------------------------------------------------------


def test_depot_mirror_makes_nothing_outside_its_folder(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    index = (
        "<vendorList><vendor><name>X</name><code>X</code><indexfile>../../escape/deep/x.xml</indexfile>"
        "<relativePath></relativePath><content>x</content></vendor></vendorList>"
    )
    (source / "index.xml").write_text(index)
    out = tmp_path / "mirror" / "inner"
    with pytest.raises(BundleError):
        mirror(source.as_uri() + "/", out)
    assert not (tmp_path / "escape").exists() and not (tmp_path / "mirror" / "escape").exists()


# -- 8. the CLI's profile file -----------------------------------------------------------------


def test_the_profile_file_is_private_even_over_a_leftover_part_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vlcmsim.client.api import Profile, save_profile

    monkeypatch.setenv("VLCMSIM_CONFIG_DIR", str(tmp_path))
    leftover = tmp_path / "profiles.json.part"
    leftover.write_text("{}")
    os.chmod(leftover, 0o644)
    path = save_profile(
        "default", Profile(url="https://127.0.0.1:8443", session="s3cr3t-session", user="administrator@vsphere.local")
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# -- 9. a canceled sync ---------------------------------------------------------------------


async def test_canceling_a_sync_closes_its_download_at_once(server: InProcessServer, tmp_path: Path) -> None:
    """A depot that sends its index slowly: the sync is canceled, and the connection goes with it."""
    closed = asyncio.Event()

    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n<vendorList>")
        await writer.drain()
        try:
            while True:
                if await reader.read(1) == b"":  # the client closed its end
                    break
        finally:
            closed.set()
            writer.close()

    remote = await asyncio.start_server(trickle, "127.0.0.1", 0)
    port = remote.sockets[0].getsockname()[1]
    admin = await server.client()
    r = await admin.post(
        "/api/esx/settings/depots/online", json={"location": f"http://127.0.0.1:{port}/index.xml", "enabled": True}
    )
    assert r.status_code == 201, r.text
    task = (await admin.post("/api/esx/settings/depots?action=sync&vmw-task=true")).json()
    for _ in range(200):
        if (await admin.get(f"/api/cis/tasks/{task}")).json()["status"] == "RUNNING":
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.2)  # the download has begun
    assert (await admin.post(f"/api/cis/tasks/{task}?action=cancel")).status_code == 204
    await asyncio.wait_for(closed.wait(), timeout=10)  # not the fetch timeout (an hour)
    assert (await wait_ended(admin, task))["status"] == "FAILED"
    remote.close()


# -- noted by design: /metrics is open unless asked otherwise ----------------------------------


async def test_metrics_can_require_a_login(tmp_path: Path) -> None:
    async with in_process(tmp_path / "data", metrics_require_login=True) as locked:
        anonymous = await locked.client(None)
        assert (await anonymous.get("/metrics")).status_code == 401
        assert (await anonymous.get("/metrics", auth=("readonly@vsphere.local", "wrong"))).status_code == 401
        assert (await anonymous.get("/metrics", auth=READONLY)).status_code == 200
        reader = await locked.client(READONLY)
        assert "vlcmsim_" in (await reader.get("/metrics")).text
