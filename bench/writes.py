"""Writes under read load: how long a draft created, edited and committed, and a
stage started, take to answer while wrk's clients read the cluster list over
the same server (https, 127.0.0.1); against the same writes on an idle server,
measured in the same run.

    python bench/writes.py [--rounds 200] [--readers 32]

Each round: create a draft of domain-c2, add or remove a driver component, commit it (the
answer is the task id; the commit itself runs as a task), wait for the commit
task, then start a stage of domain-c2 (answer: its task id) and cancel it, and
read the cluster list once more (answered from the read cache: what any answer
costs over this client, socket and machine, the floor of the writes' figures).
The p50/p99 of each answer's time is printed, idle and under load. Needs wrk.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from vlcmsim.depot import defaults as d
from vlcmsim.testing import ADMIN, start_server

CLUSTER = "/api/esx/settings/clusters/domain-c2/software"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def wait(client: httpx.Client, task: str) -> None:
    while client.get(f"/api/cis/tasks/{task}").json()["status"] in ("PENDING", "RUNNING"):
        time.sleep(0.002)


def rounds(client: httpx.Client, n: int) -> dict[str, list[float]]:
    """The timed rounds, with this process's collector off: its pauses (10+ ms here) are not the server's."""
    gc.collect()
    gc.disable()
    try:
        return _rounds(client, n)
    finally:
        gc.enable()


def _rounds(client: httpx.Client, n: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {
        "create draft": [],
        "edit draft": [],
        "commit draft": [],
        "start stage": [],
        "(cached read)": [],
    }

    def timed(what: str, method: str, path: str, **kw: object) -> httpx.Response:
        t = time.perf_counter()
        r = client.request(method, path, **kw)  # type: ignore[arg-type]
        times[what].append((time.perf_counter() - t) * 1000)
        assert r.status_code < 300, (what, r.status_code, r.text)
        return r

    for i in range(n):
        draft = timed("create draft", "POST", f"{CLUSTER}/drafts").json()
        edit = {"components_to_set": {"bnxtnet": d.BNXTNET}} if i % 2 == 0 else {"components_to_delete": ["bnxtnet"]}
        timed("edit draft", "PATCH", f"{CLUSTER}/drafts/{draft}/software/components", json=edit)
        task = timed("commit draft", "POST", f"{CLUSTER}/drafts/{draft}?action=commit&vmw-task=true", json={}).json()
        wait(client, task)
        stage = timed("start stage", "POST", f"{CLUSTER}?action=stage&vmw-task=true", json={}).json()
        client.post(f"/api/cis/tasks/{stage}?action=cancel")
        wait(client, stage)
        timed("(cached read)", "GET", "/api/vcenter/cluster")
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--readers", type=int, default=32)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="vlcmsim-writes-"))
    srv = start_server(work / "data")
    try:
        verify = ssl.create_default_context(cafile=str(srv.cert))
        with httpx.Client(base_url=srv.url, verify=verify, trust_env=False, timeout=30) as client:
            client.headers["vmware-api-session-id"] = client.post("/api/session", auth=ADMIN).json()
            rounds(client, 5)  # warm
            idle = rounds(client, args.rounds)
            seconds = max(10, args.rounds // 10)
            reader = subprocess.Popen(
                ["wrk", "-t1", f"-c{args.readers}", f"-d{seconds}s", f"{srv.url}/api/vcenter/cluster",
                 "-H", f"vmware-api-session-id: {client.headers['vmware-api-session-id']}"],
                stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            time.sleep(0.5)
            started = time.monotonic()
            loaded = rounds(client, args.rounds)
            took = time.monotonic() - started
            out, _ = reader.communicate(timeout=seconds + 30)
    finally:
        srv.stop()
        shutil.rmtree(work, ignore_errors=True)
    rps = next((line.split()[-1] for line in out.splitlines() if line.startswith("Requests/sec")), "?")
    print(f"{args.rounds} rounds; under load: {args.readers} wrk clients reading the cluster list ({rps} req/s)")
    if took > seconds:
        print(f"(the loaded rounds took {took:.1f} s, longer than the {seconds} s of reads)")
    print(f"{'answer':<16} {'idle p50':>9} {'idle p99':>9} {'load p50':>9} {'load p99':>9}  (ms; goal: p99 <= 5 ms)")
    for what in idle:
        print(
            f"{what:<16} {pct(idle[what], 0.5):>9.2f} {pct(idle[what], 0.99):>9.2f}"
            f" {pct(loaded[what], 0.5):>9.2f} {pct(loaded[what], 0.99):>9.2f}"
        )


if __name__ == "__main__":
    main()
