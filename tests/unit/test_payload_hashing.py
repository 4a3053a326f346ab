"""A payload's and a VIB's sha-256 are computed on a helper thread for large pieces and at once
for small ones: the digest is the one of all the bytes in the order given, whatever their sizes."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from vlcmsim.depot.payloads import BackgroundSha256, PayloadStore


def test_pieces_of_every_size_hash_as_the_whole() -> None:
    pieces = [os.urandom(n) for n in (3, 1 << 16, 10, 1 << 20, (1 << 16) - 1, 1 << 17, 1, 5 << 16)] * 3
    background = BackgroundSha256()
    for piece in pieces:
        background.update(piece)
    assert background.hexdigest() == hashlib.sha256(b"".join(pieces)).hexdigest()


def test_a_payload_is_kept_under_its_checksum_and_a_wrong_one_leaves_nothing(tmp_path: Path) -> None:
    store = PayloadStore(tmp_path)
    data = os.urandom(3 << 20)
    writer = store.writer()
    for at in range(0, len(data), 1 << 20):
        writer.write(data[at : at + (1 << 20)])
    sha = hashlib.sha256(data).hexdigest()
    assert writer.commit(sha, len(data)) and store.path(sha).read_bytes() == data
    wrong = store.writer()
    wrong.write(data)
    assert not wrong.commit("0" * 64, len(data))
    assert not store.has("0" * 64) and list(store.tmp.iterdir()) == []


def test_an_aborted_payload_leaves_no_file_and_no_thread(tmp_path: Path) -> None:
    before = threading.active_count()
    writer = PayloadStore(tmp_path).writer()
    writer.write(os.urandom(1 << 20))
    writer.abort()
    assert list((tmp_path / "tmp").iterdir()) == [] and threading.active_count() == before
