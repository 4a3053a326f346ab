"""Online depots: `vlcmsim depot serve` serves a folder of bundles in VMware's
online depot format; a second vlcmsim adds it, syncs it, and remediates a
cluster with an image it brought — payloads a sync did not bring are fetched
on demand; a sync moves only what is new; a server killed mid-sync syncs
again to completion with nothing duplicated."""

from __future__ import annotations

import hashlib
import signal
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from walk import Walk

from helpers import U3C, cli, serve, wait_task
from vlcmsim.app import OPERATION_SETS
from vlcmsim.depot.reader import Limits, ZipTree, merged, read_metadata
from vlcmsim.testing import Server, start_server
from vlcmsim.vapi.operations import OperationTable

SYNC = "/api/esx/settings/depots?action=sync&vmw-task=true"


def add_online(client: httpx.Client, url: str) -> str:
    r = client.post("/api/esx/settings/depots/online", json={"location": url, "description": "a local mirror"})
    assert r.status_code == 201, r.text
    depot: str = r.json()
    return depot


def payload_files(data_dir: Path) -> dict[str, int]:
    """sha-256 -> size of every payload the server holds, each checked against its name."""
    out = {}
    for p in (data_dir / "payloads").glob("??/*"):
        assert hashlib.sha256(p.read_bytes()).hexdigest() == p.name, p
        out[p.name] = p.stat().st_size
    return out


def bundle_payloads(bundle: Path) -> set[str]:
    with zipfile.ZipFile(bundle) as zf:
        content = merged(read_metadata(ZipTree(zf, Limits()), Limits()))
    return {p.sha256 for v in content.vibs for p in v.payloads}


def remediate_with_u3c(client: httpx.Client, cluster: str = "domain-c2") -> dict[str, Any]:
    url = f"/api/esx/settings/clusters/{cluster}/software/drafts"
    draft = client.post(url).json()
    assert client.put(f"{url}/{draft}/software/base-image", json={"version": U3C}).status_code == 204
    commit = wait_task(client, client.post(f"{url}/{draft}?action=commit&vmw-task=true", json={}).json())
    assert commit["status"] == "SUCCEEDED", commit
    software = f"/api/esx/settings/clusters/{cluster}/software"
    staged = wait_task(client, client.post(f"{software}?action=stage&vmw-task=true", json={}).json())
    assert staged["status"] == "SUCCEEDED", staged
    applied = wait_task(
        client, client.post(f"{software}?action=apply&vmw-task=true", json={"accept_eula": True}).json()
    )
    assert applied["status"] == "SUCCEEDED", applied
    compliance: dict[str, Any] = client.get(f"{software}/compliance").json()
    return compliance


def test_a_served_depot_is_synced_and_remediates_a_cluster(served: tuple[str, Path], fresh_server: Server) -> None:
    url, _ = served
    with fresh_server.client() as client:
        depot = add_online(client, url)
        assert client.get(f"/api/esx/settings/depots/online/{depot}").json()["enabled"] is True
        before = payload_files(fresh_server.data_dir)

        synced = wait_task(client, client.post(SYNC, json={}).json())
        assert synced["status"] == "SUCCEEDED", synced
        progress = synced["progress"]
        assert progress["completed"] == progress["total"] > 2 * 1024**2  # two VIBs of 1 MiB payloads, in bytes
        new = set(payload_files(fresh_server.data_dir)) - set(before)
        assert len(new) == 2
        content = client.get(f"/api/esx/settings/depots/online/{depot}/content").json()
        bundle = content["metadata_bundles"]["VMware, Inc."][0]
        assert [b["version"] for b in bundle["base_images"]] == [U3C]
        versions = [b["version"] for b in client.get("/api/esx/settings/depot-content/base-images").json()]
        assert U3C in versions

        assert remediate_with_u3c(client)["status"] == "COMPLIANT"

        again = wait_task(client, client.post(SYNC, json={}).json())
        assert again["status"] == "SUCCEEDED"
        assert again["progress"]["message"]["default_message"] == "Synced: 0 bytes downloaded"


def test_payloads_a_sync_did_not_bring_are_fetched_on_demand(
    served: tuple[str, Path], fresh_server: Server, tmp_path: Path
) -> None:
    url, _ = served
    mirror = tmp_path / "mirror"
    copied = cli("depot", "mirror", url, str(mirror))
    assert copied.returncode == 0, copied.stderr
    assert "5 file(s)" in copied.stdout  # the index, the vendor index, metadata.zip and two VIBs
    vibs = sorted(mirror.rglob("*.vib"))
    vibs[0].unlink()  # the mirror lacks one VIB: a sync of it fails there
    mirror_url, process = serve(mirror)
    try:
        with fresh_server.client() as client:
            depot = add_online(client, mirror_url)
            synced = wait_task(client, client.post(SYNC, json={}).json())
            assert synced["status"] == "FAILED"
            assert depot in synced["error"]["messages"][0]["default_message"]
            # the metadata came in all the same: the image can be used
            assert U3C in [b["version"] for b in client.get("/api/esx/settings/depot-content/base-images").json()]
            again = cli("depot", "mirror", url, str(mirror))  # the indexes and metadata, and the VIB it lacks
            assert "4 file(s)" in again.stdout, again.stdout
            assert remediate_with_u3c(client)["status"] == "COMPLIANT"  # the stage fetched the rest on demand
    finally:
        process.kill()
        process.wait()


def test_a_server_killed_mid_sync_syncs_again_with_nothing_duplicated(served: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = served
    data = tmp_path / "data"
    server = start_server(data)
    with server.client() as client:
        depot = add_online(client, url)
        slow = client.patch(f"/sim/depots/{depot}", json={"bandwidth_bytes_per_s": 512 * 1024})
        assert slow.status_code == 200 and slow.json()["bandwidth_bytes_per_s"] == 512 * 1024
        task = client.post(SYNC, json={}).json()
        for _ in range(400):
            info = client.get(f"/api/cis/tasks/{task}").json()
            if info.get("progress", {}).get("completed", 0) > 0 and info["status"] == "RUNNING":
                break
            time.sleep(0.02)
        else:
            raise AssertionError(f"the sync never got going: {info}")
    server.stop(signal.SIGKILL)
    server = start_server(data)
    try:
        assert not list((data / "payloads").rglob("*.part")), "a half-written payload was left"
        with server.client() as client:
            assert client.get(f"/api/cis/tasks/{task}").json()["status"] == "FAILED"  # the crash ended it
            client.patch(f"/sim/depots/{depot}", json={"bandwidth_bytes_per_s": 0})
            synced = wait_task(client, client.post(SYNC, json={}).json())
            assert synced["status"] == "SUCCEEDED", synced
        held = payload_files(data)
        assert bundle_payloads(served[1] / "u3c.zip") <= set(held)
        assert not [p for p in (data / "payloads").rglob("*") if p.is_file() and p.parent.name not in {p.name[:2]}]
    finally:
        server.stop()


def test_depot_faults_are_reported_by_the_sync(served: tuple[str, Path], fresh_server: Server) -> None:
    url, _ = served
    with fresh_server.client() as client:
        depot = add_online(client, url)
        for fault, said in (
            ({"unreachable": True}, "connection refused"),
            ({"unreachable": False, "corrupt_metadata": True}, "metadata.zip"),
            ({"corrupt_metadata": False, "corrupt_payloads": True}, "sha-256"),
        ):
            assert client.patch(f"/sim/depots/{depot}", json=fault).status_code == 200
            info = wait_task(client, client.post(SYNC, json={}).json())
            assert info["status"] == "FAILED", (fault, info)
            assert said in info["error"]["messages"][0]["default_message"], (fault, info["error"])
        assert client.patch(f"/sim/depots/{depot}", json={"corrupt_payloads": False}).status_code == 200
        assert wait_task(client, client.post(SYNC, json={}).json())["status"] == "SUCCEEDED"
        r = client.patch(f"/sim/depots/{depot}", json={"unreachable": "yes"})
        assert r.status_code == 400
        assert client.get("/sim/depots/depot-404").status_code == 404


def implemented_depot_operations() -> set[tuple[str, str]]:
    names = ("depots.online", "depots.umds", "depots.sync_schedule")
    return {
        (op.spec.service.removeprefix("com.vmware.esx.settings."), op.spec.operation)
        for op in OperationTable(OPERATION_SETS)
        if op.spec.service.removeprefix("com.vmware.esx.settings.").startswith(names)
        or (op.spec.service, op.spec.operation)
        in {
            ("com.vmware.esx.settings.depots", "sync$task"),
            ("com.vmware.esx.settings.depots.offline", "create_from_host$task"),
        }
    }


@pytest.mark.parametrize("wire", ["rest", "jsonrpc"])
def test_every_online_depot_operation_over_both_wires(
    served: tuple[str, Path], fresh_admin: httpx.Client, wire: str
) -> None:
    url, _ = served
    call = Walk(fresh_admin, wire, "com.vmware.esx.settings.")
    on = "/api/esx/settings/depots/online"
    depot = call(("depots.online", "create"), "POST", on, {"location": url, "ownerdata": "team-a"}, status=201)
    assert call(("depots.online", "list"), "GET", on)[depot]["ownerdata"] == "team-a"
    call(("depots.online", "update"), "PATCH", f"{on}/{depot}", {"description": "the mirror", "enabled": True})
    assert call(("depots.online", "get"), "GET", f"{on}/{depot}")["description"] == "the mirror"
    call(("depots", "sync$task"), "POST", "/api/esx/settings/depots?action=sync&vmw-task=true", {"cleanup": False})
    content = call(("depots.online.content", "get"), "GET", f"{on}/{depot}/content")
    assert content["metadata_bundles"]["VMware, Inc."][0]["base_images"][0]["version"] == U3C
    call(("depots.online", "flush$task"), "POST", f"{on}/{depot}?action=flush&vmw-task=true", {})
    assert call(("depots.online.content", "get"), "GET", f"{on}/{depot}/content")["metadata_bundles"]
    call(("depots.online", "delete$task"), "DELETE", f"{on}/{depot}?vmw-task=true", {}, status=202)
    other = call(
        ("depots.online", "create"),
        "POST",
        on,
        {"location": url.replace("index.xml", "copy/index.xml"), "enabled": False},
        status=201,
    )
    call(("depots.online", "delete"), "DELETE", f"{on}/{other}", {"force": False})

    U = "/api/esx/settings/depots/umds"
    call(("depots.umds", "get"), "GET", U, status=404)
    call(("depots.umds", "set"), "PUT", U, {"location": url, "description": "UMDS"})
    call(("depots.umds", "update"), "PATCH", U, {"enabled": True, "description": "the UMDS"})
    assert call(("depots.umds", "get"), "GET", U)["description"] == "the UMDS"
    call(("depots", "sync$task"), "POST", "/api/esx/settings/depots?action=sync&vmw-task=true", {})
    umds_content = call(("depots.umds.content", "get"), "GET", f"{U}/content")
    assert umds_content["metadata_bundles"]["VMware, Inc."][0]["base_images"][0]["version"] == U3C
    call(("depots.umds", "delete"), "DELETE", U)
    call(("depots.umds", "set"), "PUT", U, {"location": url})
    call(("depots.umds", "delete$task"), "DELETE", f"{U}?vmw-task=true", status=202)

    S = "/api/esx/settings/depots/sync-schedule"
    assert call(("depots.sync_schedule", "get"), "GET", S)["schedule"]["type"] == "DAILY"
    weekly = {"type": "WEEKLY", "day_of_week": "SUNDAY", "hour": 3, "minute": 30}
    call(("depots.sync_schedule", "set"), "PUT", S, {"enabled": True, "schedule": weekly, "email_addresses": []})
    assert call(("depots.sync_schedule", "get"), "GET", S)["schedule"]["day_of_week"] == "SUNDAY"
    bad = {"enabled": True, "schedule": {**weekly, "hour": 25}, "email_addresses": []}
    call(("depots.sync_schedule", "set"), "PUT", S, bad, status=400)

    extracted = call(
        ("depots.offline", "create_from_host$task"),
        "POST",
        "/api/esx/settings/depots/offline?action=createFromHost&vmw-task=true",
        {"auth_type": "EXISTING", "host": "host-1"},
    )
    assert extracted["software_spec"]["base_image"]["version"]
    made = extracted["result"]["depot"]
    assert fresh_admin.get(f"/api/esx/settings/depots/offline/{made}").json()["location"].startswith("vlcmsim://host/")

    assert implemented_depot_operations() - call.done == set()


def test_a_scheduled_sync_runs_when_the_simulated_clock_reaches_it(
    served: tuple[str, Path], fresh_admin: httpx.Client
) -> None:
    url, _ = served
    add_online(fresh_admin, url)
    hourly = {"enabled": True, "schedule": {"type": "HOURLY", "minute": 0}, "email_addresses": []}
    assert fresh_admin.put("/api/esx/settings/depots/sync-schedule", json=hourly).status_code == 204
    time.sleep(1.5)  # the scheduler reads the new schedule: due at the next full hour
    assert fresh_admin.patch("/sim/clock", json={"advance_seconds": 3600}).status_code == 200
    for _ in range(100):
        tasks = fresh_admin.get("/api/cis/tasks", params={"services": "com.vmware.esx.settings.depots"}).json()
        if tasks:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("no scheduled sync started")
    (task,) = tasks
    assert wait_task(fresh_admin, task)["status"] == "SUCCEEDED"
    versions = [b["version"] for b in fresh_admin.get("/api/esx/settings/depot-content/base-images").json()]
    assert U3C in versions
