"""Soak: the server's memory over a long mixed run that creates tasks (scans
and compliance checks of every cluster, over and over) and lists them (a
read-only user's GET /api/cis/tasks, as dashboards poll it), beside plain
reads. Prints the server's RSS each minute, then at the start (after a
warm-up in which caches fill to their bounds) and at the end, and their ratio:
flat means within 10 %. Also how many tasks the store keeps and how long a
task list took at the end.

    python bench/soak.py [--minutes 30] [--warmup 2] [--clients 4]

Talks to 127.0.0.1 only; bounded by --minutes.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

from vlcmsim.testing import ADMIN, READONLY, Server, start_server

CLUSTERS = ("domain-c1", "domain-c2")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class Load:
    def __init__(self, server: Server, stop: threading.Event) -> None:
        self.server = server
        self.stop = stop
        self.started = 0
        self.refused = 0
        self.listed = 0
        self.reads = 0
        self.list_seconds: list[float] = []
        self.errors: list[str] = []

    def writer(self) -> None:
        """Tasks, as fast as the clusters take them: scans and checks (a busy cluster refuses)."""
        with self.server.client(ADMIN) as c:
            n = 0
            while not self.stop.is_set():
                cluster = CLUSTERS[n % len(CLUSTERS)]
                action = "scan" if n % 2 == 0 else "check"
                body = {} if action == "scan" else {"commit": None}
                r = c.post(f"/api/esx/settings/clusters/{cluster}/software?action={action}&vmw-task=true", json=body)
                if r.status_code in (200, 201, 202):
                    self.started += 1
                elif r.status_code == 400:
                    self.refused += 1
                else:
                    self.errors.append(f"{action} {r.status_code} {r.text[:200]}")
                n += 1
                time.sleep(0.02)

    def lister(self) -> None:
        with self.server.client(READONLY) as c:
            while not self.stop.is_set():
                t = time.perf_counter()
                r = c.get("/api/cis/tasks", timeout=60)
                self.list_seconds.append(time.perf_counter() - t)
                if r.status_code != 200:
                    self.errors.append(f"list {r.status_code}")
                self.listed += 1
                time.sleep(0.2)

    def reader(self) -> None:
        with self.server.client(READONLY) as c:
            while not self.stop.is_set():
                c.get("/api/vcenter/cluster")
                c.get("/api/esx/settings/clusters/domain-c1/software/compliance")
                self.reads += 2


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=30.0)
    p.add_argument("--warmup", type=float, default=2.0, help="minutes before the start figure is taken")
    p.add_argument("--clients", type=int, default=4, help="read-only readers besides the writer and the lister")
    args = p.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp) / "data")
        pid = server.process.pid
        stop = threading.Event()
        load = Load(server, stop)
        threads = [threading.Thread(target=load.writer), threading.Thread(target=load.lister)]
        threads += [threading.Thread(target=load.reader) for _ in range(args.clients)]
        for t in threads:
            t.start()
        began = time.monotonic()
        samples: list[tuple[float, float]] = [(0.0, rss_mib(pid))]
        print("minute  RSS MiB  tasks started  refused  lists  reads", flush=True)
        try:
            while (elapsed := time.monotonic() - began) < args.minutes * 60:
                time.sleep(min(60.0, args.minutes * 60 - elapsed))
                minute = (time.monotonic() - began) / 60
                samples.append((minute, rss_mib(pid)))
                print(
                    f"{minute:6.1f}  {samples[-1][1]:7.1f}  {load.started:13d}  {load.refused:7d}  "
                    f"{load.listed:5d}  {load.reads:5d}",
                    flush=True,
                )
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=90)
        with server.client(READONLY) as c:
            t = time.perf_counter()
            listed = c.get("/api/cis/tasks", timeout=60)
            took = time.perf_counter() - t
        server.stop()

    start = next((rss for minute, rss in samples if minute >= args.warmup), samples[-1][1])
    end = samples[-1][1]
    print()
    print(
        f"RSS at 0 min: {samples[0][1]:.1f} MiB; at the start ({args.warmup:g} min): {start:.1f} MiB; "
        f"at the end ({samples[-1][0]:.1f} min): {end:.1f} MiB"
    )
    print(f"end / start: {end / start:.3f}  ({'flat, within 10 %' if abs(end / start - 1) <= 0.10 else 'NOT flat'})")
    print(
        f"tasks started {load.started}, refused (cluster busy) {load.refused}; task lists {load.listed}, "
        f"median {statistics.median(load.list_seconds) * 1000:.0f} ms, "
        f"last {took * 1000:.0f} ms for {len(listed.json())} tasks, {len(listed.content) / 1e6:.1f} MB"
    )
    if load.errors:
        print(f"{len(load.errors)} unexpected answers, first: {load.errors[0]}")


if __name__ == "__main__":
    main()
