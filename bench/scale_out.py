"""Scale-out: vlcmsim over PostgreSQL with several API workers, and with its
hosts run by agent processes. Everything is measured in the same run, against
a baseline of the same work in one process.

Part 1 — API throughput: requests per second and p99 of three authenticated
reads (wrk over https, 127.0.0.1) with 1 and 2 granian workers on one
PostgreSQL; the same server on its embedded SQLite as the baseline.

Part 2 — stage with host agents: N hosts (clusters of 100, 6 payloads of
64 KiB each per host), every cluster staged at once, the hosts split over A
`vlcmsim hosts run` processes, the server on PostgreSQL; the baseline is the
same stage with the hosts in the server process (same store, same size).

    python bench/scale_out.py [--part 1,2] [--seconds 5] [--connections 32] [--hosts 10000] [--agents 4]

Needs wrk (Debian package `wrk`) and PostgreSQL's binaries (Debian package
`postgresql`) or VLCMSIM_TEST_POSTGRES_URL. Talks to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import shutil
import ssl
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
from api_throughput import wrk  # bench/ is this script's folder
from scale import CLUSTER_SIZE, give_every_cluster_the_image, p99, rss_peak_mib, stage_every_cluster
from stage_clusters import cpu_seconds

from vlcmsim.testing import ADMIN, Agent, Server, start_agent, start_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from postgres import postgres_server

READS = [
    "/api/vcenter/cluster",
    "/api/esx/settings/clusters/domain-c1/software",
    "/api/esx/settings/clusters/domain-c1/software/compliance",
]


def database(server_url: str, name: str) -> str:
    with psycopg.connect(server_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name}")
        c.execute(f"CREATE DATABASE {name}")
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def wait_up(srv: Server) -> None:
    verify = ssl.create_default_context(cafile=str(srv.cert)) if srv.url.startswith("https") else False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.post(f"{srv.url}/api/session", auth=ADMIN, verify=verify, trust_env=False).status_code == 201:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{srv.url} did not answer")


@contextmanager
def serving(data: Path, *flags: str, tls: bool = True) -> Iterator[Server]:
    srv = start_server(data, *flags, tls=tls)
    try:
        wait_up(srv)
        yield srv
    finally:
        srv.stop()


def api_part(pg: str, seconds: int, connections: int) -> None:
    setups = [("SQLite, 1 process (baseline)", []), ("PostgreSQL, 1 worker", ["--workers", "1"])]
    setups.append(("PostgreSQL, 2 workers", ["--workers", "2"]))
    results: dict[str, list[tuple[float, float]]] = {}
    for name, flags in setups:
        with tempfile.TemporaryDirectory() as tmp:
            if "PostgreSQL" in name:
                flags = [*flags, "--database-url", database(pg, f"api{len(results)}")]
            with serving(Path(tmp) / "data", *flags) as srv, srv.client() as c:
                sid = c.headers["vmware-api-session-id"]
                c.get(READS[-1])  # a scan's result exists
                results[name] = [
                    wrk(srv.url + path, seconds, connections, {"vmware-api-session-id": sid}) for path in READS
                ]
    print(f"part 1: API reads, wrk -t1 -c{connections} -d{seconds}s over https (2 cores: wrk takes one share of them)")
    base = results[setups[0][0]]
    one = results[setups[1][0]]
    for i, path in enumerate(READS):
        print(f"  {path}")
        for name, _ in setups:
            rps, lat = results[name][i]
            extra = f"  {rps / one[i][0]:.2f}x 1 worker" if name.endswith("2 workers") else ""
            print(f"    {name:32} {rps:9.0f} req/s  p99 {lat:6.1f} ms  {rps / base[i][0]:.2f}x baseline{extra}")


def stage_part(pg: str, hosts: int, agents: int) -> None:
    clusters = max(hosts // CLUSTER_SIZE, 1)
    rows = []
    for external in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            config = work / "bench.toml"
            config.write_text("[server]\ndefault_payload_bytes = 65536\n")
            flags = ["--config", str(config), "--clusters", str(clusters), "--hosts-per-cluster", str(CLUSTER_SIZE)]
            flags += ["--database-url", database(pg, f"stage{int(external)}")]
            if external:
                flags += ["--hosts", "external"]
            with serving(work / "data", *flags, tls=False) as srv, srv.client() as c:
                ids = give_every_cluster_the_image(c)
                procs: list[Agent] = []
                if external:
                    every = [h["host"] for x in ids for h in c.get(f"/api/vcenter/host?clusters={x}").json()]
                    share = -(-len(every) // agents)
                    for n in range(agents):
                        chosen = ",".join(every[n * share : (n + 1) * share])
                        procs.append(start_agent([srv], work / f"agent-{n}", "--hosts", chosen))
                try:
                    rows.append((external, *stage_all(c, ids, srv, procs)))
                finally:
                    for p in procs:
                        p.stop()
    print(f"part 2: stage {hosts} hosts ({clusters} clusters of {CLUSTER_SIZE}, 6 payloads of 64 KiB each), PostgreSQL")
    base_wall = rows[0][2]
    for external, staged, wall, lat, rss, cpu in rows:
        name = f"{agents} agent processes" if external else "hosts in the server (baseline)"
        print(
            f"  {name:32} {staged:6d} hosts staged in {wall:6.1f} s ({wall / staged * 1000:5.2f} ms/host, "
            f"{wall / base_wall:.2f}x baseline); task GET p99 {lat:5.1f} ms; server RSS {rss:4.0f} MiB, "
            f"CPU {cpu:.0f} s"
        )


def stage_all(
    c: httpx.Client, ids: list[str], srv: Server, agents: list[Agent]
) -> tuple[int, float, float, float, float]:
    infos, wall, latencies = stage_every_cluster(c, ids)
    failed = [i for i in infos if i["status"] != "SUCCEEDED"]
    if failed:
        raise SystemExit(f"{len(failed)} stage task(s) failed: {failed[0].get('error')}")
    staged = sum(len(i["result"]["successful_hosts"]) for i in infos)
    cpu = cpu_seconds(srv.process.pid) + sum(cpu_seconds(a.process.pid) for a in agents)
    return staged, wall, p99(latencies) * 1000, rss_peak_mib(srv.process.pid), cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", default="1,2")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=4)
    args = parser.parse_args()
    parts = {int(p) for p in args.part.split(",")}
    if 1 in parts and not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    with postgres_server() as pg:
        if 1 in parts:
            api_part(pg, args.seconds, args.connections)
        if 2 in parts:
            stage_part(pg, args.hosts, args.agents)


if __name__ == "__main__":
    main()
