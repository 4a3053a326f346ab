"""A store that is not vlcmsim's, is damaged, or was emptied is refused at
start with one line saying why, and left as it was; so is a port another
process listens on."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from vlcmsim.app import App
from vlcmsim.config import Settings
from vlcmsim.store.db import StoreRefused
from vlcmsim.testing import free_port


def start(data: Path) -> None:
    App(Settings(data_dir=data, tls=False, default_payload_bytes=4096)).start().store.dispose()


def test_an_emptied_store_is_refused_not_seeded_anew(tmp_path: Path) -> None:
    data = tmp_path / "data"
    start(data)
    for suffix in ("", "-wal", "-shm"):
        (data / f"vlcmsim.db{suffix}").unlink(missing_ok=True)
    with pytest.raises(StoreRefused, match="is empty, not the store this data dir was made with"):
        start(data)
    with sqlite3.connect(data / "vlcmsim.db") as conn:  # nothing was written to it
        assert list(conn.execute("SELECT name FROM sqlite_master")) == []


def test_a_damaged_store_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    junk = b"this is not a database" * 100
    (data / "vlcmsim.db").write_bytes(junk)
    with pytest.raises(StoreRefused, match="cannot be opened as a vlcmsim store"):
        start(data)
    assert (data / "vlcmsim.db").read_bytes() == junk


def test_a_database_of_another_application_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with sqlite3.connect(data / "vlcmsim.db") as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    with pytest.raises(StoreRefused, match="not vlcmsim's"):
        start(data)
    with sqlite3.connect(data / "vlcmsim.db") as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["invoices"]


def test_the_server_says_why_in_one_line_and_exits(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "vlcmsim.db").write_bytes(b"garbage" * 1000)
    done = subprocess.run(
        [sys.executable, "-m", "vlcmsim.cli", "serve", "--data-dir", str(data), "--port", "0", "--no-tls"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vlcmsim: ") and "Traceback" not in done.stderr


def test_a_restart_on_the_same_store_is_fine(tmp_path: Path) -> None:
    data = tmp_path / "data"
    start(data)
    start(data)
    assert (data / "store-id").read_text().strip()


@pytest.mark.parametrize("which", ["port", "depot_port"])
def test_a_port_already_taken_is_refused_in_one_line_not_a_backtrace(tmp_path: Path, which: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = tmp_path / "taken.toml"
        config.write_text(f"[server]\n{which} = {port}\n")
        done = subprocess.run(
            [sys.executable, "-m", "vlcmsim.cli", "serve", "--data-dir", str(tmp_path / "data"), "--no-tls"]
            + ["--config", str(config)]
            + ([] if which == "port" else ["--port", str(free_port())]),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stderr.startswith("vlcmsim: ") and "already in use" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "panicked" not in done.stderr
