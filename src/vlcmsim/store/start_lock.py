"""One start at a time: servers (or API workers) that start together on the same
data dir or the same PostgreSQL database — two Kubernetes replicas on an empty
database — take turns to make the store, seed it and write the data dir's
files (certificate, agent token), so that neither sees the other's half-made work."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

ADVISORY_KEY = 0x766C636D  # "vlcm": the PostgreSQL advisory lock every vlcmsim start takes


@contextmanager
def one_start_at_a_time(data_dir: Path, database_url: str | None) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / ".starting", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the data dir's files (a shared volume: its other users too)
        try:
            if database_url and database_url.startswith("postgresql"):
                engine = create_engine(database_url)
                try:
                    with engine.connect() as conn:
                        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_KEY})
                        try:
                            yield
                        finally:
                            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
                finally:
                    engine.dispose()
            else:
                yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
