"""Online depot sync speed: MiB/s of a `depots.sync$task` — vlcmsim fetching
an online depot served by `vlcmsim depot serve` over HTTP on 127.0.0.1,
checking every VIB and payload checksum and storing the payloads — against
the floor measured in the same run: the same VIB bytes read once, hashed with
sha-256 and written to a fresh file. A second sync (nothing new) is timed too.

    python bench/sync.py [--size 256M] [--vibs 4]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import httpx

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
    """Seconds to read, hash and write the bundle's VIBs once; their bytes."""
    t = time.perf_counter()
    moved = 0
    with zipfile.ZipFile(bundle) as zf:
        for info in zf.infolist():
            if not info.filename.endswith(".vib"):
                continue
            h = hashlib.sha256()
            with zf.open(info) as src, open(out, "wb") as dst:
                while chunk := src.read(CHUNK):
                    h.update(chunk)
                    dst.write(chunk)
                    moved += len(chunk)
    return time.perf_counter() - t, moved


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
        server = start_server(work / "data", tls=False)
        try:
            url = f"http://127.0.0.1:{port}/index.xml"
            for _ in range(200):
                try:
                    httpx.get(url, timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.05)
            os.sync()
            base, moved = floor(bundle, work / "floor.bin")
            with server.client(ADMIN) as client:
                client.post("/api/esx/settings/depots/online", json={"location": url}).raise_for_status()
                first = sync(client)
                again = sync(client)
            mib = moved / 2**20
            print(f"sync of {mib:.0f} MiB in {args.vibs} VIBs over HTTP on 127.0.0.1")
            print(f"  floor (read + sha-256 + write): {mib / base:8.1f} MiB/s  {base:6.2f} s")
            ratio = base / first
            print(
                f"  vlcmsim sync$task:              {mib / first:8.1f} MiB/s  {first:6.2f} s  ({ratio:.2f}x the floor)"
            )
            print(f"  second sync (nothing new):      {again * 1000:8.0f} ms")
        finally:
            server.stop()
            served.kill()


if __name__ == "__main__":
    main()
