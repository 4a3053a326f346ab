"""Offline depots through the wire: imports of bundles that vlcmsim did not
write, every refusal (leaving nothing behind), the build -> import round trip,
depot content, and deletion."""

from __future__ import annotations

import random
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest

import foreign_bundle
from helpers import commit_draft, stage, staged_files, wait_task
from vlcmsim.testing import Server


def payload_files(server: Server) -> set[str]:
    root = server.data_dir / "payloads"
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def create_depot(c: httpx.Client, location: str) -> dict:
    r = c.post("/api/esx/settings/depots/offline?vmw-task=true", json={"source_type": "PULL", "location": location})
    assert r.status_code == 202, r.text
    return wait_task(c, r.json())


def test_a_vendor_driver_bundle_imports_and_its_component_can_be_staged(fresh_server: Server, tmp_path: Path) -> None:
    bundle = foreign_bundle.build(tmp_path / "Intel-i40en_1.13.0.0-1OEM.800.1.0.22000000.zip")
    with fresh_server.client() as c:
        info = create_depot(c, bundle.as_uri())
        assert info["status"] == "SUCCEEDED", info
        depot = info["result"]["depot"]
        assert c.get(f"/api/esx/settings/depots/offline/{depot}").json()["location"] == bundle.as_uri()
        components = c.get("/api/esx/settings/depot-content/components", params={"names": "Intel-i40en"}).json()
        versions = [v["version"] for v in components[0]["versions"]]
        assert foreign_bundle.VERSION in versions
        detail = c.get(
            f"/api/esx/settings/depot-content/components/Intel-i40en/versions/{foreign_bundle.VERSION}"
        ).json()
        assert detail["display_version"] == "1.13.0.0" and detail["vendor"] == "Intel"
        content = c.get(f"/api/esx/settings/depots/offline/{depot}/content").json()
        assert content["metadata_bundles"]["Intel"][0]["independent_components"]["Intel-i40en"]["versions"] == [
            {"version": foreign_bundle.VERSION, "display_version": "1.13.0.0"}
        ]
        assert commit_draft(c, "domain-c1", {"Intel-i40en": foreign_bundle.VERSION}) == "2"
        result = wait_task(c, stage(c, hosts=["host-1"]).json())
        assert result["status"] == "SUCCEEDED"
        staged = staged_files(fresh_server.data_dir, "host-1")
        import hashlib

        payload = b"\x1f\x8b" + bytes(range(256)) * 400
        assert hashlib.sha256(payload).hexdigest() in staged


def _refused(server: Server, c: httpx.Client, location: str, words: str) -> None:
    before = payload_files(server)
    depots = c.get("/api/esx/settings/depots/offline").json()
    info = create_depot(c, location)
    assert info["status"] == "FAILED", info
    assert info["error"]["error_type"] == "INVALID_ARGUMENT"
    text = info["error"]["messages"][0]["default_message"]
    assert words in text, text
    assert payload_files(server) == before  # nothing left behind
    assert c.get("/api/esx/settings/depots/offline").json() == depots


def test_refusals_say_what_is_wrong_and_leave_nothing(server: Server, admin: httpx.Client, tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"this is not a zip")
    _refused(server, admin, junk.as_uri(), "not a zip archive")
    _refused(server, admin, foreign_bundle.build(tmp_path / "a.zip", drop=("index.xml",)).as_uri(), "missing index.xml")
    _refused(
        server, admin, foreign_bundle.build(tmp_path / "b.zip", drop=("metadata.zip",)).as_uri(), "missing metadata.zip"
    )
    _refused(server, admin, foreign_bundle.build(tmp_path / "c.zip", tamper_vib=True).as_uri(), "does not match")
    _refused(
        server,
        admin,
        foreign_bundle.build(tmp_path / "d.zip", extra_entries=[("../../evil.txt", b"x")]).as_uri(),
        "outside the depot folder",
    )
    _refused(
        server,
        admin,
        foreign_bundle.build(tmp_path / "e.zip", extra_entries=[("/etc/evil", b"x")]).as_uri(),
        "absolute",
    )
    bomb = foreign_bundle.build(tmp_path / "f.zip", extra_entries=[("vib20/zeros/zeros.bin", bytes(64 * 1024**2))])
    _refused(server, admin, bomb.as_uri(), "zip bomb")
    _refused(server, admin, (tmp_path / "nowhere.zip").as_uri(), "Cannot download")
    assert not (tmp_path.parent / "evil.txt").exists()
    assert not list((server.data_dir / "payloads" / "tmp").iterdir())


def test_a_vib_whose_payload_lies_is_refused(server: Server, admin: httpx.Client, tmp_path: Path) -> None:
    # the VIB's own checksum is right but its payload does not match its descriptor
    good = foreign_bundle.build(tmp_path / "good.zip")
    with zipfile.ZipFile(good) as zf:
        names = {i.filename: zf.read(i) for i in zf.infolist()}
    vib = names[foreign_bundle.VIB_PATH]
    i = vib.index(b"\x1f\x8b")
    names[foreign_bundle.VIB_PATH] = vib[: i + 5] + b"\x00" + vib[i + 6 :]
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        for name, data in names.items():
            zf.writestr(name, data)
    _refused(server, admin, bad.as_uri(), "i40en")


def test_bad_create_specs(admin: httpx.Client) -> None:
    r = admin.post("/api/esx/settings/depots/offline?vmw-task=true", json={"source_type": "PUSH", "file_id": "x"})
    assert r.status_code == 400
    r = admin.post("/api/esx/settings/depots/offline?vmw-task=true", json={"source_type": "PULL"})
    assert r.status_code == 400 and "location" in r.json()["messages"][0]["default_message"]
    r = admin.post(
        "/api/esx/settings/depots/offline?vmw-task=true", json={"source_type": "PULL", "location": "ftp://x/y.zip"}
    )
    assert r.status_code == 400 and "ftp" in r.json()["messages"][0]["default_message"]


def test_build_import_round_trip(fresh_server: Server, tmp_path: Path) -> None:
    out = tmp_path / "built.zip"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "vlcmsim.cli",
            "depot",
            "build",
            str(out),
            "--base-image",
            "8.0.3-0.0.99999999:8.0 U3z",
            "--component",
            "Acme-nic:2.0.0-1OEM.800.1.0.20613240:Acme",
            "--add-on",
            "ACME-ESXi:803.99-1:acme-tools=1.0-1",
            "--payload-size",
            "32K",
        ],
        check=True,
        capture_output=True,
    )
    inspected = subprocess.run(
        [sys.executable, "-m", "vlcmsim.cli", "depot", "inspect", str(out)], check=True, capture_output=True, text=True
    ).stdout
    assert "every checksum verified" in inspected and "Acme-nic 2.0.0-1OEM.800.1.0.20613240" in inspected
    with fresh_server.client() as c:
        before = {
            kind: c.get(f"/api/esx/settings/depot-content/{kind}").json()
            for kind in ("base-images", "add-ons", "components")
        }
        assert create_depot(c, out.as_uri())["status"] == "SUCCEEDED"
        after = {
            kind: c.get(f"/api/esx/settings/depot-content/{kind}").json()
            for kind in ("base-images", "add-ons", "components")
        }
        new_images = {b["version"] for b in after["base-images"]} - {b["version"] for b in before["base-images"]}
        assert new_images == {"8.0.3-0.0.99999999"}
        assert {a["name"] for a in after["add-ons"]} - {a["name"] for a in before["add-ons"]} == {"ACME-ESXi"}

        def pairs(listing: list) -> set:
            return {(x["name"], v["version"]) for x in listing for v in x["versions"]}

        assert pairs(after["components"]) - pairs(before["components"]) == {
            ("ESXi", "8.0.3-0.0.99999999"),
            ("esx-update", "8.0.3-0.0.99999999"),
            ("Acme-nic", "2.0.0-1OEM.800.1.0.20613240"),
            ("acme-tools", "1.0-1"),
        }
        image = c.get("/api/esx/settings/depot-content/base-images/versions/8.0.3-0.0.99999999").json()
        assert image["display_version"] == "8.0 U3z"
        assert {x["name"] for x in image["components"]} == {"ESXi", "esx-update"}
        add_on = c.get("/api/esx/settings/depot-content/add-ons/ACME-ESXi/versions/803.99-1").json()
        assert [x["name"] for x in add_on["components"]] == ["acme-tools"]
        filtered = c.get(
            "/api/esx/settings/depot-content/components", params={"bundle_types": "ADD_ON", "vendors": "vlcmsim"}
        ).json()
        assert [x["name"] for x in filtered] == ["acme-tools"]


def test_deleting_a_depot(fresh_server: Server, tmp_path: Path) -> None:
    with fresh_server.client() as c:
        r = c.delete("/api/esx/settings/depots/offline/depot-1")  # the embedded content: Cluster-A uses it
        assert r.status_code == 400 and r.json()["error_type"] == "RESOURCE_IN_USE"
        assert "domain-c1" in r.json()["messages"][0]["default_message"]
        before = payload_files(fresh_server)
        info = create_depot(c, foreign_bundle.build(tmp_path / "i40en.zip").as_uri())
        depot = info["result"]["depot"]
        assert len(payload_files(fresh_server)) == len(before) + 1
        assert c.delete(f"/api/esx/settings/depots/offline/{depot}").status_code == 204
        assert payload_files(fresh_server) == before
        assert c.get(f"/api/esx/settings/depots/offline/{depot}").status_code == 404
        assert c.delete(f"/api/esx/settings/depots/offline/{depot}").status_code == 404


@pytest.mark.parametrize("path", ["/vum/repository/payloads/nope", "/vum/repository/payloads/" + "0" * 64])
def test_unknown_payloads_are_not_found(admin: httpx.Client, path: str) -> None:
    assert admin.get(path).status_code == 404


def test_a_depot_pulled_over_http(fresh_server: Server, tmp_path: Path) -> None:
    import functools
    import http.server
    import threading

    bundle = foreign_bundle.build(tmp_path / "i40en.zip")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{web.server_address[1]}/{bundle.name}"
        with fresh_server.client() as c:
            info = create_depot(c, url)
            assert info["status"] == "SUCCEEDED", info
            assert c.get(f"/api/esx/settings/depots/offline/{info['result']['depot']}").json()["location"] == url
            missing = create_depot(c, url.replace("i40en.zip", "nothing.zip"))
            assert missing["status"] == "FAILED"
            assert "HTTP 404" in missing["error"]["messages"][0]["default_message"]
    finally:
        web.shutdown()


@pytest.mark.parametrize("front_end", ["granian", "uvicorn"])
def test_a_bundle_larger_than_a_request_body_is_pushed_by_streaming_upload(tmp_path: Path, front_end: str) -> None:
    from vlcmsim.testing import start_server

    srv = start_server(tmp_path / "data", "--server", front_end)
    try:
        payload = random.Random(7).randbytes(3 * 1024 * 1024)  # does not deflate
        bundle = foreign_bundle.build(tmp_path / "big.zip", payload=payload)
        assert bundle.stat().st_size > 1024 * 1024  # past max_body_bytes: only an upload takes it
        with srv.client() as c, open(bundle, "rb") as f:
            r = c.post("/vum/repository/uploads", content=f.read())
            assert r.status_code == 201, r.text
            task = c.post(
                "/api/esx/settings/depots/offline?vmw-task=true",
                json={"source_type": "PUSH", "file_id": r.json()["file_id"]},
            ).json()
            info = wait_task(c, task)
            assert info["status"] == "SUCCEEDED", info
            assert not list((srv.data_dir / "uploads").iterdir())  # the upload went into the import
    finally:
        srv.stop()
