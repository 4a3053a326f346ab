"""A bundle the reader refuses says why (BundleError), whatever is wrong with
it, and leaves no payload behind; nothing in it can make the server do
unbounded work."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import foreign_bundle
from vlcmsim.depot.payloads import PayloadStore
from vlcmsim.depot.reader import BundleError, import_bundle


def payload_files(store: PayloadStore) -> list[Path]:
    return [p for p in store.root.rglob("*") if p.is_file() and p.parent != store.tmp]


def test_a_sound_bundle_imports(tmp_path: Path) -> None:
    store = PayloadStore(tmp_path / "payloads")
    content = import_bundle(foreign_bundle.build(tmp_path / "ok.zip"), store)
    assert [c.name for c in content.components] == [foreign_bundle.NAME]
    assert len(payload_files(store)) == 1


@pytest.mark.parametrize("seed", range(40))
def test_damaged_bytes_are_refused_with_a_reason_never_an_internal_error(tmp_path: Path, seed: int) -> None:
    good = foreign_bundle.build(tmp_path / "ok.zip").read_bytes()
    rng = random.Random(seed)
    data = bytearray(good)
    if seed % 3 == 0:
        data = data[: rng.randrange(1, len(data))]  # truncated
    else:
        for _ in range(1 + seed % 5):  # flipped bytes
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    bad = tmp_path / "bad.zip"
    bad.write_bytes(bytes(data))
    store = PayloadStore(tmp_path / "payloads")
    try:
        import_bundle(bad, store)
    except BundleError as exc:
        assert str(exc)
        assert payload_files(store) == []
    # a flip in bytes nobody checks (padding, a signature) may still import: then it is complete
    else:
        assert len(payload_files(store)) == 1


def test_xml_declaring_a_dtd_in_utf16_is_refused(tmp_path: Path) -> None:
    evil = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY x "y">]><bulletin>&x;</bulletin>'
    bundle = foreign_bundle.build(tmp_path / "b.zip", metadata_entries=[("bulletins/evil.xml", evil.encode("utf-16"))])
    with pytest.raises(BundleError, match="DTDs and entities are not allowed"):
        import_bundle(bundle, PayloadStore(tmp_path / "payloads"))


def test_metadata_entries_that_expand_far_are_refused_and_unused_ones_are_not_read(tmp_path: Path) -> None:
    small_bomb = b"<a>" + b"<b/>" * 262_142 + b"</a>"  # ~1 MiB, deflates to about 1 KiB
    bombs = [(f"bulletins/bomb{i}.xml", small_bomb) for i in range(64)]
    bundle = foreign_bundle.build(tmp_path / "b.zip", metadata_entries=bombs)
    with pytest.raises(BundleError, match="zip bomb"):
        import_bundle(bundle, PayloadStore(tmp_path / "payloads"))
    # entries outside the documents the format uses are never parsed
    junk = [("notes/readme.xml", b"<not-closed>"), ("extra.bin", b"\x00" * 100)]
    content = import_bundle(
        foreign_bundle.build(tmp_path / "c.zip", metadata_entries=junk), PayloadStore(tmp_path / "p2")
    )
    assert content.components


def test_more_elements_than_the_bound_are_refused(tmp_path: Path) -> None:
    from vlcmsim.depot.reader import Limits

    many = [(f"bulletins/b{i}.xml", b"<bulletin>" + b"<x/>" * 1000 + b"</bulletin>") for i in range(5)]
    bundle = foreign_bundle.build(tmp_path / "b.zip", metadata_entries=many)
    with pytest.raises(BundleError, match="XML elements"):
        import_bundle(bundle, PayloadStore(tmp_path / "payloads"), Limits(max_elements=3000))
