"""Estate twins at scale: a vlcmsim of `--hosts` hosts in `--clusters` clusters
is exported (the crawl: vim25 for the inventory, REST for every cluster's and
host's vLCM state), and its estate is served by a second data dir: the first
start from the estate is timed beside the first start of the same inventory
from the built-in defaults (the baseline, same run).

    python bench/estate.py [--clusters 100] [--hosts 2000]

Talks to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import ssl
import tempfile
import time
from pathlib import Path

from vlcmsim.app import App
from vlcmsim.config import Settings, default_inventory
from vlcmsim.estate.crawl import crawl
from vlcmsim.estate.model import save
from vlcmsim.testing import ADMIN, start_server


def first_start(data: Path, **settings: object) -> float:
    s = Settings(data_dir=data, tls=False, default_payload_bytes=4096, **settings)  # type: ignore[arg-type]
    t = time.perf_counter()
    App(s).start().store.dispose()
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clusters", type=int, default=100)
    parser.add_argument("--hosts", type=int, default=2000)
    args = parser.parse_args()
    per = args.hosts // args.clusters
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        source = start_server(root / "source", "--clusters", str(args.clusters), "--hosts-per-cluster", str(per))
        try:
            t = time.perf_counter()
            context = ssl.create_default_context(cafile=str(source.cert))
            estate = crawl(source.url, *ADMIN, context)
            crawled = time.perf_counter() - t
        finally:
            source.stop()
        path = root / "estate.json"
        save(estate, path)
        hosts = sum(len(c["hosts"]) for dc in estate["datacenters"] for c in dc["clusters"])
        clusters = sum(len(dc["clusters"]) for dc in estate["datacenters"])
        size = path.stat().st_size / 1e6
        print(f"estate of {hosts} hosts in {clusters} clusters: crawled in {crawled:.1f} s ({size:.1f} MB, "
              f"{len(estate['problems'])} problems)")  # fmt: skip
        baseline = first_start(root / "defaults", inventory=default_inventory(args.clusters, per))
        twin = first_start(root / "twin", estate=path)
        print(f"first start: defaults {baseline:.2f} s, from the estate {twin:.2f} s ({twin / baseline:.2f}x)")


if __name__ == "__main__":
    main()
