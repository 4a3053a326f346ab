"""Stage speed: N hosts x M MiB through the whole path (REST stage task,
simulated hosts downloading over https from the server's depot, sha-256,
atomic writes), against the physical floor of the same work measured in the
same run: read each staged payload byte once per host, sha-256 it, write it to
a fresh file. Prints wall time, MiB/s, the ratio, the server's peak RSS, and
how the time grows with the number of hosts.

    python bench/stage.py [--hosts 8] [--size 256M] [--scale 4,16,64] [--scale-size 16M]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from vlcmsim.depot.cli import parse_size
from vlcmsim.testing import ADMIN, start_server

CHUNK = 1 << 20
REPEAT = 3  # runs of the stage and of each floor, the best kept (--repeat)


def wait_task(c: httpx.Client, task: str) -> dict:
    while True:
        info = c.get(f"/api/cis/tasks/{task}").json()
        if info["status"] in ("SUCCEEDED", "FAILED"):
            return info
        time.sleep(0.05)


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _copy_host(h: int, sources: list[Path], out: Path) -> None:
    for src in sources:
        digest = hashlib.sha256()
        with open(src, "rb") as fi, open(out / f"{h}-{src.name}", "wb") as fo:
            while chunk := fi.read(CHUNK):
                digest.update(chunk)
                fo.write(chunk)


def floor(sources: list[Path], hosts: int, out: Path, threads: int = 1) -> float:
    """Every payload of the store (the image's, and a few KiB of the embedded
    content's) read once per host, hashed and written to a fresh file, in one
    thread or in `threads` (hashing and writing release the GIL: one per core
    stages in parallel as the server does); the files are kept to the end, as
    staged payloads are."""
    from concurrent.futures import ThreadPoolExecutor

    t = time.perf_counter()
    if threads == 1:
        for h in range(hosts):
            _copy_host(h, sources, out)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda h: _copy_host(h, sources, out), range(hosts)))
    elapsed = time.perf_counter() - t
    for p in out.iterdir():
        p.unlink()
    return elapsed


def run(hosts: int, size: int, work: Path) -> dict[str, float]:
    data = work / f"data-{hosts}"
    config = work / f"bench-{hosts}.toml"
    config.write_text(
        "[server]\ndefault_payload_bytes = 4096\nhost_stage_timeout_seconds = 3600\n"
        '[[datacenters]]\nname = "DC"\n  [[datacenters.clusters]]\n  name = "Bench"\n'
        f"  hosts = {hosts}\n"
    )
    bundle = work / "big.zip"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "vlcmsim.cli",
            "depot",
            "build",
            str(bundle),
            "--component",
            "Big-driver:1.0.0-1OEM.800.1.0.1:Bench",
            "--payload-size",
            str(size),
        ],
        check=True,
        capture_output=True,
    )
    srv = start_server(data, "--config", str(config), "--import-dir", str(work))  # file:// import of the bundle
    proc = srv.process
    try:
        c = srv.client(ADMIN)
        c.timeout = httpx.Timeout(60)
        task = c.post(
            "/api/esx/settings/depots/offline?vmw-task=true", json={"source_type": "PULL", "location": bundle.as_uri()}
        ).json()
        assert wait_task(c, task)["status"] == "SUCCEEDED"
        cluster = c.get("/api/vcenter/cluster").json()[0]["cluster"]
        draft = c.post(f"/api/esx/settings/clusters/{cluster}/software/drafts").json()
        c.put(
            f"/api/esx/settings/clusters/{cluster}/software/drafts/{draft}/software/components/Big-driver",
            json="1.0.0-1OEM.800.1.0.1",
        )
        task = c.post(
            f"/api/esx/settings/clusters/{cluster}/software/drafts/{draft}?action=commit&vmw-task=true", json={}
        ).json()
        assert wait_task(c, task)["status"] == "SUCCEEDED"
        sources = [p for p in (data / "payloads").glob("??/*") if p.is_file()]
        scratch = work / "floor"
        scratch.mkdir(exist_ok=True)
        cores = os.cpu_count() or 1
        rss_before = peak_rss_mib(proc.pid)
        # each figure the best of REPEAT, interleaved: the page cache and the other
        # processes on the machine make one run of anything vary a lot
        walls, floors, parallels = [], [], []
        for _ in range(REPEAT):  # each timed run starts with no write-back pending (os.sync)
            os.sync()
            floors.append(floor(sources, hosts, scratch))
            for staged in (data / "hosts").glob("*/staging"):  # the hosts start empty again
                shutil.rmtree(staged)
            os.sync()
            t = time.perf_counter()
            task = c.post(f"/api/esx/settings/clusters/{cluster}/software?action=stage&vmw-task=true", json={}).json()
            info = wait_task(c, task)
            walls.append(time.perf_counter() - t)
            assert info["status"] == "SUCCEEDED", info.get("error")
            moved = sum(s["progress"]["completed"] for s in info["result"]["host_status"].values())
            os.sync()
            parallels.append(floor(sources, hosts, scratch, cores))
        rss = peak_rss_mib(proc.pid)
        return {
            "wall": min(walls),
            "moved": moved,
            "floor": min(floors),
            "parallel": min(parallels),
            "rss": rss,
            "rss_before": rss_before,
        }
    finally:
        srv.stop()
        shutil.rmtree(data, ignore_errors=True)
        bundle.unlink(missing_ok=True)


def main() -> None:
    global REPEAT
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, default=8)
    parser.add_argument("--size", type=parse_size, default=parse_size("256M"))
    parser.add_argument("--scale", default="4,16,64", help="host counts for the growth table ('' to skip)")
    parser.add_argument("--scale-size", type=parse_size, default=parse_size("16M"))
    parser.add_argument("--repeat", type=int, default=REPEAT, help="runs of each measure, the best kept (3)")
    args = parser.parse_args()
    REPEAT = max(args.repeat, 1)
    work = Path(tempfile.mkdtemp(prefix="vlcmsim-stage-bench-"))
    try:
        r = run(args.hosts, args.size, work)
        mib = r["moved"] / CHUNK
        print(
            f"stage {args.hosts} hosts x {args.size / CHUNK:.0f} MiB: API over https, payloads over the depot port "
            f"({os.cpu_count()} cores; each figure the best of {REPEAT} runs)"
        )
        print(f"  moved {mib:.0f} MiB in {r['wall']:.2f} s = {mib / r['wall']:.0f} MiB/s")
        print(f"  floor (read + sha-256 + write once per host): {r['floor']:.2f} s = {mib / r['floor']:.0f} MiB/s")
        print(
            f"  floor, one thread per core:                   {r['parallel']:.2f} s = {mib / r['parallel']:.0f} MiB/s"
        )
        best = min(r["floor"], r["parallel"])
        ratios = f"{r['wall'] / r['floor']:.2f} to one thread, {r['wall'] / best:.2f} to the best floor"
        print(f"  ratio {ratios} (goal <= 1.1)")
        print(f"  server peak RSS {r['rss']:.0f} MiB (before the stage: {r['rss_before']:.0f} MiB)")
        if args.scale:
            print(f"growth, {args.scale_size / CHUNK:.0f} MiB per host:")
            print(f"  {'hosts':>5} {'wall s':>8} {'floor s':>8} {'ratio':>6} {'peak RSS MiB':>13}")
            for n in (int(x) for x in args.scale.split(",")):
                s = run(n, args.scale_size, work)
                print(f"  {n:>5} {s['wall']:>8.2f} {s['floor']:>8.2f} {s['wall'] / s['floor']:>6.2f} {s['rss']:>13.0f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
