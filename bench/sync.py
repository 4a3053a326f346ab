"""Online depot sync speed: MiB/s of a `depots.sync$task` — vlcmsim fetching
an online depot served by `vlcmsim depot serve` over HTTP on 127.0.0.1,
checking every VIB and payload checksum and storing the payloads — against
the floor measured in the same run: the same VIB bytes read once, hashed with
sha-256 and written to fresh files. A second sync (nothing new) is timed too.
Each side runs `--repeat` times, interleaved, each run after `os.sync()` (the
disk's write speed varies with the write-back pending); the best of each counts.

    python bench/sync.py [--size 256M] [--vibs 4] [--repeat 3]
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
import zipfile
from pathlib import Path

import httpx
from stage_clusters import cpu_seconds  # bench/ is this script's folder

from vlcmsim.depot.cli import parse_size
from vlcmsim.testing import ADMIN, free_port, start_server

CHUNK = 1 << 20


def write_bundle(path: Path, total: int, vibs: int) -> None:
    from vlcmsim.depot.writer import BundleSpec, ComponentSpec, write_bundle

    size = total // vibs
    spec = BundleSpec(
        components=[
            ComponentSpec(
                f"Driver-{i}", "1.0.0-1OEM.800.1.0.1", f"Driver {i}", "1.0.0", "vlcmsim", "VLC", "2024-01-01", size
            )
            for i in range(vibs)
        ]
    )
    write_bundle(spec, path)


def floor(bundle: Path, out: Path) -> tuple[float, int]:
    """Seconds to read, hash and write the bundle's VIBs once, each to a fresh file kept to the end
    as a sync keeps its payloads (rewriting one file over and over is twice as fast here: the
    blocks a truncate frees are taken again); their bytes."""
    out.mkdir(exist_ok=True)
    t = time.perf_counter()
    moved = 0
    with zipfile.ZipFile(bundle) as zf:
        for n, info in enumerate(zf.infolist()):
            if not info.filename.endswith(".vib"):
                continue
            h = hashlib.sha256()
            with zf.open(info) as src, open(out / f"{n}.vib", "wb") as dst:
                while chunk := src.read(CHUNK):
                    h.update(chunk)
                    dst.write(chunk)
                    moved += len(chunk)
    elapsed = time.perf_counter() - t
    for p in out.iterdir():
        p.unlink()
    return elapsed, moved


def sync(client: httpx.Client) -> float:
    t = time.perf_counter()
    task = client.post("/api/esx/settings/depots?action=sync&vmw-task=true", json={}).json()
    while True:
        info = client.get(f"/api/cis/tasks/{task}").json()
        if info["status"] in ("SUCCEEDED", "FAILED"):
            break
        time.sleep(0.01)
    assert info["status"] == "SUCCEEDED", info
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=parse_size, default=parse_size("256M"), help="payload bytes in all (256M)")
    parser.add_argument("--vibs", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs of each side, the best kept (3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        folder = work / "depot"
        folder.mkdir()
        bundle = folder / "drivers.zip"
        write_bundle(bundle, args.size, args.vibs)
        port = free_port()
        served = subprocess.Popen(
            [sys.executable, "-m", "vlcmsim.cli", "depot", "serve", str(folder), "--port", str(port)],
            stdout=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}/index.xml"
        floors, firsts, agains, cpus = [], [], [], []
        try:
            for _ in range(200):
                try:
                    httpx.get(url, timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.05)
            for n in range(args.repeat):  # each side starts with no write-back pending (the disk's speed varies)
                os.sync()
                base, moved = floor(bundle, work / "floor")
                floors.append(base)
                server = start_server(work / f"data-{n}", tls=False)  # a fresh store: everything to fetch
                try:
                    os.sync()
                    with server.client(ADMIN) as client:
                        client.post("/api/esx/settings/depots/online", json={"location": url}).raise_for_status()
                        before = cpu_seconds(server.process.pid), cpu_seconds(served.pid)
                        firsts.append(sync(client))
                        cpus.append((cpu_seconds(server.process.pid) - before[0], cpu_seconds(served.pid) - before[1]))
                        agains.append(sync(client))
                finally:
                    server.stop()
                    shutil.rmtree(work / f"data-{n}")  # as the floor drops its files: both sides write anew
        finally:
            served.kill()
        mib = moved / 2**20
        base, first = min(floors), min(firsts)
        print(f"sync of {mib:.0f} MiB in {args.vibs} VIBs over HTTP on 127.0.0.1, best of {args.repeat} interleaved")
        print(f"  floor (read + sha-256 + write to new files): {mib / base:8.1f} MiB/s  {base:6.2f} s")
        print(
            f"  vlcmsim sync$task:                           {mib / first:8.1f} MiB/s  {first:6.2f} s"
            f"  ({base / first:.2f}x the floor)"
        )
        print(f"  second sync (nothing new):                   {min(agains) * 1000:8.0f} ms")
        best = cpus[firsts.index(first)]
        print(f"  CPU of the best sync: vlcmsim {best[0]:.2f} s, the depot's server {best[1]:.2f} s")
        runs = f"floor {', '.join(f'{x:.2f}' for x in floors)} s; sync {', '.join(f'{x:.2f}' for x in firsts)} s"
        print(f"  every run: {runs}")


if __name__ == "__main__":
    main()
