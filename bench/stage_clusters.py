"""Stage at scale: N clusters of 100 hosts staged at once (one task each), every
host behind its image by the embedded content's payloads; against the floor of
the same work measured in the same run: every staged byte read, sha-256'd and
written once per host (a file per payload), in one thread. Prints wall time, the floor, the time
per host, and the latency of GET /api/cis/tasks/{task} while the stage runs.

    python bench/stage_clusters.py [--clusters 10,30] [--payload-bytes 65536]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time
from pathlib import Path

import httpx

from vlcmsim.testing import start_server

EXTRA = ""  # more [server] settings (--setting key=value)
POLL = 0.5  # seconds between two polls of every task


def wait(c: httpx.Client, task: str) -> dict:  # type: ignore[type-arg]
    while (info := c.get(f"/api/cis/tasks/{task}").json())["status"] not in ("SUCCEEDED", "FAILED"):
        time.sleep(0.05)
    return info


def floor(data: Path) -> float:
    """Every staged byte read, sha-256'd and written once per host, each payload
    to a file of its own as the stage stores it (a new file costs more than the
    bytes written into it on some disks: overwriting one file per host, as this
    floor did before, left that cost out). It starts with no write-back pending:
    the stage's own would slow it down by as much as half."""
    os.sync()
    t = time.perf_counter()
    for folder in (data / "hosts").glob("*/staging"):
        copy = folder.parent / "floor"
        copy.mkdir()
        for staged in folder.iterdir():
            payload = staged.read_bytes()
            hashlib.sha256(payload).hexdigest()
            (copy / staged.name).write_bytes(payload)
    return time.perf_counter() - t


def run(clusters: int, payload_bytes: int) -> tuple[int, float, float, float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        config = work / "bench.toml"
        config.write_text(f"[server]\ndefault_payload_bytes = {payload_bytes}\n{EXTRA}")
        srv = start_server(work / "data", "--config", str(config), "--clusters", str(clusters),
                           "--hosts-per-cluster", "100", tls=False)  # fmt: skip
        try:
            c = srv.client()
            ids = [x["cluster"] for x in c.get("/api/vcenter/cluster").json() if x["name"].startswith("Cluster-")]
            spec = c.get(f"/vum/repository/software-specs/{ids[0]}/1.json").text
            for cluster in ids[1:]:  # every cluster gets Cluster-A's desired image
                drafts = f"/api/esx/settings/clusters/{cluster}/software/drafts"
                draft = c.post(
                    f"{drafts}?action=import-software-spec", json={"source_type": "JSON_STRING", "software_spec": spec}
                )
                assert (
                    wait(c, c.post(f"{drafts}/{draft.json()}?action=commit&vmw-task=true", json={}).json())["status"]
                    == "SUCCEEDED"
                )
            started = time.perf_counter()
            tasks = [
                c.post(f"/api/esx/settings/clusters/{x}/software?action=stage&vmw-task=true", json={}).json()
                for x in ids
            ]
            latencies = []
            while True:
                t = time.perf_counter()
                infos = [c.get(f"/api/cis/tasks/{task}").json() for task in tasks]
                latencies.append((time.perf_counter() - t) / len(tasks))
                if all(i["status"] in ("SUCCEEDED", "FAILED") for i in infos):
                    break
                time.sleep(POLL)
            wall = time.perf_counter() - started
            assert all(i["status"] == "SUCCEEDED" for i in infos), [i["status"] for i in infos]
            hosts = sum(len(i["result"]["host_status"]) for i in infos)
            cpu = cpu_seconds(srv.process.pid)
        finally:
            srv.stop()
        print(f"  server CPU {cpu:.1f} s over {wall:.1f} s wall ({cpu / wall:.2f} cores)")
        return hosts, wall, floor(work / "data"), sum(latencies) / len(latencies), max(latencies)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clusters", default="10,30")
    parser.add_argument("--payload-bytes", type=int, default=65536)
    parser.add_argument("--poll", type=float, default=0.5, help="seconds between polls of every task (0.5)")
    parser.add_argument(
        "--setting", action="append", default=[], help="a [server] setting, e.g. max_concurrent_downloads=64"
    )
    args = parser.parse_args()
    global EXTRA, POLL
    EXTRA = "".join(f"{s}\n" for s in args.setting)
    POLL = args.poll
    first = None
    for clusters in (int(x) for x in args.clusters.split(",")):
        hosts, wall, bare, mean, worst = run(clusters, args.payload_bytes)
        per_host = wall / hosts * 1000
        first = first or per_host
        print(
            f"{hosts:>6} hosts: {wall:6.1f} s ({per_host:5.1f} ms/host, {per_host / first:4.2f}x the first size), "
            f"floor {bare:5.1f} s (ratio {wall / bare:5.1f}); "
            f"task get mean {mean * 1000:5.1f} ms, max {worst * 1000:5.1f} ms"
        )


if __name__ == "__main__":
    main()
