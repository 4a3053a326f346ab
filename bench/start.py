"""Start-up time of a data dir with a large inventory: the first start (the
inventory, knobs and installed images written, the embedded depot imported)
and a restart, at two sizes; and the floor measured in the same run: the same
host rows written by one bare SQLite executemany. Prints seconds, per-host
microseconds and how the time grows with the hosts.

    python bench/start.py [--sizes 1000,10000]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

from vlcmsim.app import App
from vlcmsim.config import Settings, default_inventory


def start(data: Path, hosts: int) -> float:
    settings = Settings(
        data_dir=data, tls=False, default_payload_bytes=4096, inventory=default_inventory(hosts // 100, 100)
    )
    t = time.perf_counter()
    App(settings).start().store.dispose()
    return time.perf_counter() - t


def floor(data: Path, hosts: int) -> float:
    t = time.perf_counter()
    with sqlite3.connect(data / "floor.db") as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE hosts (id TEXT PRIMARY KEY, name TEXT, cluster TEXT, state TEXT)")
        conn.executemany(
            "INSERT INTO hosts VALUES (?, ?, ?, ?)",
            ((f"host-{i}", f"esx-{i}.vlcmsim.local", f"domain-c{i // 100}", "CONNECTED") for i in range(hosts)),
        )
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000")
    args = parser.parse_args()
    rows = []
    for hosts in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            first = start(Path(tmp) / "data", hosts)
            again = start(Path(tmp) / "data", hosts)
            bare = floor(Path(tmp), hosts)
        rows.append((hosts, first, again, bare))
        print(
            f"{hosts:>7} hosts: first start {first:6.2f} s ({first / hosts * 1e6:6.1f} us/host), "
            f"restart {again:5.2f} s, floor {bare:5.3f} s (first start / floor {first / bare:5.1f}x)"
        )
    if len(rows) > 1:
        (h0, f0, _, _), (h1, f1, _, _) = rows[0], rows[-1]
        print(f"per-host time of the first start grows {f1 / h1 / (f0 / h0):.2f}x from {h0} to {h1} hosts")


if __name__ == "__main__":
    main()
