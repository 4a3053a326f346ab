"""SQLite's write-ahead log is copied back into the database by a thread of the
store's own, soon after commits — never by the commit of a request (which then
answered milliseconds late) — and emptied when the store is closed."""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

from sqlalchemy import text

from vlcmsim.store.db import Store


def counter_in_database_file_alone(data_dir: Path, name: str, copy: Path) -> int | None:
    """The counter as the database file says, without its log (a copy of the file alone)."""
    shutil.copyfile(data_dir / "vlcmsim.db", copy)
    try:
        with sqlite3.connect(copy) as conn:
            row = conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
    except sqlite3.OperationalError:  # not even the table yet
        row = None
    copy.unlink()
    return None if row is None else int(row[0])


def test_commits_do_not_checkpoint_the_store_does_it_soon_after(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    store = Store.open(None, data)
    try:
        with store.engine.connect() as conn:
            assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 0
        with store.engine.begin() as conn:
            Store.bump(conn, "written")
        deadline = time.monotonic() + 10
        while counter_in_database_file_alone(data, "written", tmp_path / "copy.db") != 1:
            assert time.monotonic() < deadline, "the log was not copied into the database"
            time.sleep(0.05)
    finally:
        store.dispose()
    wal = data / "vlcmsim.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0
