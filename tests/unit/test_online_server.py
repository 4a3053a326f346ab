"""`vlcmsim depot serve`: a folder of bundles answered as an online depot —
an index made for its bundles, their files unpacked, ETags and byte ranges."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from helpers import serve
from vlcmsim.depot.defaults import write_default_bundle


@contextmanager
def depot_client(folder: Path) -> Iterator[httpx.Client]:
    """A client of `vlcmsim depot serve` of the folder, over HTTP."""
    url, process = serve(folder)
    try:
        with httpx.Client(base_url=url.removesuffix("/index.xml")) as client:
            yield client
    finally:
        process.kill()
        process.wait()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_default_bundle(4096, tmp_path).rename(tmp_path / "embedded.zip")
    (tmp_path / "notes.txt").write_text("not a bundle\n")
    return tmp_path


def test_bundles_are_served_unpacked_with_an_index_made_for_them(folder: Path) -> None:
    with depot_client(folder) as client:
        index = client.get("/index.xml")
        assert index.status_code == 200 and b"<relativePath>bundles/embedded/</relativePath>" in index.content
        with zipfile.ZipFile(folder / "embedded.zip") as zf:
            vib = next(n for n in zf.namelist() if n.endswith(".vib"))
            whole = zf.read(vib)
        r = client.get(f"/bundles/embedded/{vib}")
        assert r.status_code == 200 and r.content == whole
        etag = r.headers["etag"]
        assert (client.get(f"/bundles/embedded/{vib}", headers={"if-none-match": etag})).status_code == 304
        part = client.get(f"/bundles/embedded/{vib}", headers={"range": "bytes=10-19"})
        assert part.status_code == 206 and part.content == whole[10:20]
        assert part.headers["content-range"] == f"bytes 10-19/{len(whole)}"
        tail = client.get(f"/bundles/embedded/{vib}", headers={"range": "bytes=-5"})
        assert tail.content == whole[-5:]
        beyond = client.get(f"/bundles/embedded/{vib}", headers={"range": f"bytes={len(whole)}-"})
        assert beyond.status_code == 416
        head = client.head(f"/bundles/embedded/{vib}")
        assert head.status_code == 200 and head.headers["content-length"] == str(len(whole)) and not head.content
        assert (client.get("/notes.txt")).text == "not a bundle\n"


def test_nothing_outside_the_folder_is_served(folder: Path) -> None:
    with depot_client(folder) as client:
        for path in (
            "/../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/bundles/embedded/%2e%2e/%2e%2e/notes.txt",
            "/missing.xml",
        ):
            assert (client.get(path)).status_code == 404, path
        assert (client.post("/index.xml")).status_code == 405


def test_a_compressed_member_is_served_as_a_stored_one_is(folder: Path) -> None:
    """A bundle whose VIBs are deflated (a zip tool's default) answers the same bytes, whole and by range."""
    with zipfile.ZipFile(folder / "embedded.zip") as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    with zipfile.ZipFile(folder / "deflated.zip", "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in members.items():
            out.writestr(name, data)
    vib = next(n for n in members if n.endswith(".vib"))
    with depot_client(folder) as client:
        for bundle in ("embedded", "deflated"):
            assert (client.get(f"/bundles/{bundle}/{vib}")).content == members[vib]
            part = client.get(f"/bundles/{bundle}/{vib}", headers={"range": "bytes=100-1099"})
            assert part.status_code == 206 and part.content == members[vib][100:1100]


def test_a_client_leaving_in_the_middle_of_a_vib_leaves_the_server_answering(tmp_path: Path) -> None:
    stored = write_default_bundle(8 << 20, tmp_path)  # VIBs larger than what sockets buffer
    with zipfile.ZipFile(stored) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    with zipfile.ZipFile(tmp_path / "deflated.zip", "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in members.items():
            out.writestr(name, data)
    stored.rename(tmp_path / "stored.zip")
    vib = max((n for n in members if n.endswith(".vib")), key=lambda n: len(members[n]))
    with depot_client(tmp_path) as client:
        for bundle in ("stored", "deflated"):
            for _ in range(3):
                with client.stream("GET", f"/bundles/{bundle}/{vib}") as r:
                    next(r.iter_raw(65536))
            assert client.get(f"/bundles/{bundle}/{vib}").content == members[vib]
