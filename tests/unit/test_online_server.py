"""`vlcmsim depot serve`: a folder of bundles answered as an online depot —
an index made for its bundles, their files unpacked, ETags and byte ranges."""

from __future__ import annotations

import zipfile
from pathlib import Path

import httpx
import pytest

from vlcmsim.depot.defaults import write_default_bundle
from vlcmsim.depot.online_server import app

pytestmark = pytest.mark.anyio


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_default_bundle(4096, tmp_path).rename(tmp_path / "embedded.zip")
    (tmp_path / "notes.txt").write_text("not a bundle\n")
    return tmp_path


async def test_bundles_are_served_unpacked_with_an_index_made_for_them(folder: Path) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app(folder)), base_url="http://depot") as client:
        index = await client.get("/index.xml")
        assert index.status_code == 200 and b"<relativePath>bundles/embedded/</relativePath>" in index.content
        with zipfile.ZipFile(folder / "embedded.zip") as zf:
            vib = next(n for n in zf.namelist() if n.endswith(".vib"))
            whole = zf.read(vib)
        r = await client.get(f"/bundles/embedded/{vib}")
        assert r.status_code == 200 and r.content == whole
        etag = r.headers["etag"]
        assert (await client.get(f"/bundles/embedded/{vib}", headers={"if-none-match": etag})).status_code == 304
        part = await client.get(f"/bundles/embedded/{vib}", headers={"range": "bytes=10-19"})
        assert part.status_code == 206 and part.content == whole[10:20]
        assert part.headers["content-range"] == f"bytes 10-19/{len(whole)}"
        tail = await client.get(f"/bundles/embedded/{vib}", headers={"range": "bytes=-5"})
        assert tail.content == whole[-5:]
        beyond = await client.get(f"/bundles/embedded/{vib}", headers={"range": f"bytes={len(whole)}-"})
        assert beyond.status_code == 416
        head = await client.head(f"/bundles/embedded/{vib}")
        assert head.status_code == 200 and head.headers["content-length"] == str(len(whole)) and not head.content
        assert (await client.get("/notes.txt")).text == "not a bundle\n"


async def test_nothing_outside_the_folder_is_served(folder: Path) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app(folder)), base_url="http://depot") as client:
        for path in (
            "/../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/bundles/embedded/%2e%2e/%2e%2e/notes.txt",
            "/missing.xml",
        ):
            assert (await client.get(path)).status_code == 404, path
        assert (await client.post("/index.xml")).status_code == 405


async def test_a_compressed_member_is_served_as_a_stored_one_is(folder: Path) -> None:
    """A bundle whose VIBs are deflated (a zip tool's default) answers the same bytes, whole and by range."""
    with zipfile.ZipFile(folder / "embedded.zip") as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    with zipfile.ZipFile(folder / "deflated.zip", "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in members.items():
            out.writestr(name, data)
    vib = next(n for n in members if n.endswith(".vib"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app(folder)), base_url="http://depot") as client:
        for bundle in ("embedded", "deflated"):
            assert (await client.get(f"/bundles/{bundle}/{vib}")).content == members[vib]
            part = await client.get(f"/bundles/{bundle}/{vib}", headers={"range": "bytes=100-1099"})
            assert part.status_code == 206 and part.content == members[vib][100:1100]
