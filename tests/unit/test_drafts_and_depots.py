"""A draft says what its last validation found; a bundle imported twice is the same depot."""

from __future__ import annotations

import pytest
from async_helpers import run_task, wait_task

import foreign_bundle
from vlcmsim.testing import InProcessServer

pytestmark = pytest.mark.anyio

DRAFTS = "/api/esx/settings/clusters/domain-c1/software/drafts"


async def test_a_draft_is_invalid_after_a_validation_that_found_problems(app: InProcessServer) -> None:
    client = await app.client()
    draft = (await client.post(DRAFTS)).json()
    assert (await client.get(f"{DRAFTS}/{draft}")).json()["metadata"]["status"] == "VALID"
    await client.put(f"{DRAFTS}/{draft}/software/components/nothing-like-it", json="1.0")
    info = await wait_task(client, (await client.post(f"{DRAFTS}/{draft}?action=validate&vmw-task=true")).json())
    assert info["result"]["notifications"]["errors"]
    assert (await client.get(f"{DRAFTS}/{draft}")).json()["metadata"]["status"] == "INVALID"
    assert (await client.get(DRAFTS)).json()[draft]["metadata"]["status"] == "INVALID"
    await client.delete(f"{DRAFTS}/{draft}/software/components/nothing-like-it")
    await wait_task(client, (await client.post(f"{DRAFTS}/{draft}?action=validate&vmw-task=true")).json())
    assert (await client.get(f"{DRAFTS}/{draft}")).json()["metadata"]["status"] == "VALID"


async def test_the_same_bundle_imported_twice_is_already_there(app: InProcessServer) -> None:
    client = await app.client()
    bundle = foreign_bundle.build(app.app.settings.data_dir / "import" / "i40en.zip")
    body = {"source_type": "PULL", "location": bundle.as_uri()}
    first = await wait_task(
        client, (await client.post("/api/esx/settings/depots/offline?vmw-task=true", json=body)).json()
    )
    depot = first["result"]["depot"]
    second = await wait_task(
        client, (await client.post("/api/esx/settings/depots/offline?vmw-task=true", json=body)).json()
    )
    assert second["status"] == "FAILED" and second["error"]["error_type"] == "ALREADY_EXISTS"
    assert second["error"]["messages"][0]["args"] == [depot]
    assert len((await client.get("/api/esx/settings/depots/offline")).json()) == 2  # the embedded one and this one


async def test_a_draft_scan_tells_the_compliance_hosts_would_have_against_it(app: InProcessServer) -> None:
    client = await app.client()
    before = (await client.get("/api/esx/settings/clusters/domain-c2/software/compliance")).json()
    assert before["status"] == "COMPLIANT"
    drafts = "/api/esx/settings/clusters/domain-c2/software/drafts"
    draft = (await client.post(drafts)).json()
    versions = (await client.get("/api/esx/settings/depot-content/base-images")).json()
    newest = versions[-1]["version"]
    await client.put(f"{drafts}/{draft}/software/base-image", json={"version": newest})
    info = await wait_task(client, (await client.post(f"{drafts}/{draft}?action=scan&vmw-task=true")).json())
    assert info["status"] == "SUCCEEDED", info
    assert info["result"]["status"] == "NON_COMPLIANT" and "commit" not in info["result"]
    after = (await client.get("/api/esx/settings/clusters/domain-c2/software/compliance")).json()
    assert after["scan_time"] == before["scan_time"]  # the cluster's own compliance is untouched


async def test_a_draft_removes_a_component_its_base_image_carries_and_brings_it_back(app: InProcessServer) -> None:
    client = await app.client()
    draft = (await client.post(DRAFTS)).json()
    effective = (await client.get(f"{DRAFTS}/{draft}/software/effective-components")).json()
    carried = next(n for n, c in effective.items() if c["details"]["source"] == "BASE_IMAGE")
    removed = f"{DRAFTS}/{draft}/software/removed-components"
    assert (await client.put(f"{removed}/{carried}")).status_code == 204
    assert carried in (await client.get(removed)).json()
    assert (await client.get(f"{removed}/{carried}")).json()["version"]
    after = (await client.get(f"{DRAFTS}/{draft}/software/effective-components")).json()
    assert carried not in after
    with_removed = (await client.get(f"{DRAFTS}/{draft}/software/effective-components?with-removed-components")).json()
    assert with_removed[carried] == {"version": ""}
    assert (await client.put(f"{removed}/no-such-component")).status_code == 404
    assert (await client.delete(f"{removed}/{carried}")).status_code == 204
    assert (await client.get(removed)).json() == {}
    assert (await client.delete(f"{removed}/{carried}")).status_code == 404


async def test_the_desired_image_exports_as_an_offline_bundle_that_imports_again(app: InProcessServer) -> None:
    client = await app.client()
    body = {"export_software_spec": False, "export_iso_image": False, "export_offline_bundle": True}
    urls = (await client.post("/api/esx/settings/clusters/domain-c1/software?action=export", json=body)).json()
    path = "/" + urls["OFFLINE_BUNDLE"].split("://", 1)[1].split("/", 1)[1]
    anonymous = await app.client(None)
    assert (await anonymous.get(path.split("?")[0])).status_code == 401  # no session, no token
    r = await anonymous.get(path)
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    bundle = app.app.settings.data_dir / "import" / "exported.zip"
    bundle.write_bytes(r.content)
    task = (
        await client.post(
            "/api/esx/settings/depots/offline?vmw-task=true", json={"source_type": "PULL", "location": bundle.as_uri()}
        )
    ).json()
    info = await wait_task(client, task)
    assert info["status"] == "SUCCEEDED", info  # every checksum of the exported bundle holds
    content = (await client.get(f"/api/esx/settings/depots/offline/{info['result']['depot']}/content")).json()
    (bundle_info,) = next(iter(content["metadata_bundles"].values()))
    assert [b["version"] for b in bundle_info["base_images"]] == [
        (await client.get("/api/esx/settings/clusters/domain-c1/software/base-image")).json()["version"]
    ]


async def test_an_image_gets_its_display_name_from_the_draft_that_named_it(app: InProcessServer) -> None:
    client = await app.client()
    name = (await client.get("/api/esx/settings/clusters/domain-c1/software/display-name")).json()
    assert name["display_name"].startswith("Cluster-A image: ESXi 8.0.3")
    draft = (await client.post(DRAFTS)).json()
    r = await client.put(f"{DRAFTS}/{draft}/display-name", json={"display_name": "Gold image 2026-11"})
    assert r.status_code == 204
    assert (await client.get(f"{DRAFTS}/{draft}/display-name")).json() == {"display_name": "Gold image 2026-11"}
    info = await run_task(client, f"{DRAFTS}/{draft}?action=commit&vmw-task=true", {})
    assert info["status"] == "SUCCEEDED"
    assert (await client.get("/api/esx/settings/clusters/domain-c1/software/display-name")).json() == {
        "display_name": "Gold image 2026-11"
    }


async def test_the_desired_image_exports_as_an_iso_laid_out_like_an_installer(app: InProcessServer) -> None:
    import io

    import pycdlib

    client = await app.client()
    body = {"export_software_spec": False, "export_iso_image": True, "export_offline_bundle": False}
    urls = (await client.post("/api/esx/settings/clusters/domain-c1/software?action=export", json=body)).json()
    path = "/" + urls["ISO_IMAGE"].split("://", 1)[1].split("/", 1)[1]
    r = await (await app.client(None)).get(path)
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-iso9660-image"
    iso = pycdlib.PyCdlib()
    iso.open_fp(io.BytesIO(r.content))
    children = iso.list_children(joliet_path="/vibs")
    names = sorted(c.file_identifier().decode("utf-16-be") for c in children if not (c.is_dot() or c.is_dotdot()))
    assert any(n.startswith("VMW_bootbank_esxi_") for n in names) and all(n.endswith(".vib") for n in names)
    boot = io.BytesIO()
    iso.get_file_from_iso_fp(boot, joliet_path="/boot.cfg")
    assert "modules=/vibs/" in boot.getvalue().decode()
    spec = io.BytesIO()
    iso.get_file_from_iso_fp(spec, joliet_path="/image.json")
    assert b'"base_image"' in spec.getvalue()
    iso.close()


async def test_a_bundle_pushed_by_upload_becomes_a_push_depot(app: InProcessServer) -> None:
    from vlcmsim.testing import READONLY

    client = await app.client()
    data = foreign_bundle.build(app.app.settings.data_dir / "pushed.zip").read_bytes()
    assert (await (await app.client(None)).post("/vum/repository/uploads", content=data)).status_code == 401
    assert (await (await app.client(READONLY)).post("/vum/repository/uploads", content=data)).status_code == 403
    r = await client.post("/vum/repository/uploads", content=data)
    assert r.status_code == 201, r.text
    file_id = r.json()["file_id"]
    info = await run_task(
        client, "/api/esx/settings/depots/offline?vmw-task=true", {"source_type": "PUSH", "file_id": file_id}
    )
    assert info["status"] == "SUCCEEDED", info
    depot = (await client.get(f"/api/esx/settings/depots/offline/{info['result']['depot']}")).json()
    assert depot["source_type"] == "PUSH" and depot["file_id"] == file_id and "location" not in depot
    again = await client.post(
        "/api/esx/settings/depots/offline?vmw-task=true", json={"source_type": "PUSH", "file_id": file_id}
    )
    assert again.status_code == 400 and "upload the bundle first" in again.text  # an upload is used once
