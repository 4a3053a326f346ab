"""A throwaway PostgreSQL server for the tests that check the same code runs
there: from VLCMSIM_TEST_POSTGRES_URL when set, else started from the
machine's PostgreSQL binaries in a temporary folder (as the `postgres` user
when the tests run as root, since initdb refuses root)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _bindir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def postgres_server() -> Iterator[str]:
    url = os.environ.get("VLCMSIM_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    bindir = _bindir()
    if bindir is None:
        raise RuntimeError(
            "PostgreSQL is needed for these tests: install it (Debian: apt-get install postgresql) "
            "or point VLCMSIM_TEST_POSTGRES_URL at a server"
        )
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    root = Path(tempfile.mkdtemp(prefix="vlcmsim-pg-"))
    data = root / "data"
    data.mkdir()
    if as_user:
        shutil.chown(root, "postgres")
        shutil.chown(data, "postgres")
    subprocess.run(
        [*as_user, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "vlcmsim"],
        check=True,
        capture_output=True,
    )
    port = _free_port()
    proc = subprocess.Popen(
        [
            *as_user,
            str(bindir / "postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-k",
            str(root),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("PostgreSQL did not start") from None
                time.sleep(0.1)
        import psycopg

        for _ in range(50):
            try:
                with psycopg.connect(f"host=127.0.0.1 port={port} user=vlcmsim dbname=postgres", autocommit=True) as c:
                    c.execute("CREATE DATABASE vlcmsim")
                break
            except psycopg.OperationalError:  # still starting up
                time.sleep(0.1)
        yield f"postgresql+psycopg://vlcmsim@127.0.0.1:{port}/vlcmsim"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)
