"""API throughput: requests per second and p99 latency of
GET /api/cis/tasks/{task} and GET /api/vcenter/cluster with a session, over
https, from wrk in another process; against a baseline measured in the same
run: a trivial app answering the same bytes on the same HTTP server and
interface (RSGI on granian, ASGI on uvicorn).

    python bench/api_throughput.py [--seconds 5] [--connections 64] [--server granian|uvicorn]
                                   [--against https://vcsim:8989 --against-user U --against-password P]
                                   [--vcsim /path/to/vcsim]

With --against, the same reads are measured on that server too (govmomi's
vcsim, a real vCenter...), logged in with its own user, and the ratio
vlcmsim/it is printed per endpoint.

Needs wrk (Debian package `wrk`). Talks to 127.0.0.1 only; every run is
bounded by --seconds.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx

from vlcmsim.testing import ADMIN, free_port, start_server, store_task


def wait_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("server exited early")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("server did not start")


def seed_finished_task(data_dir: Path) -> str:
    """One SUCCEEDED commit task in a fresh store, as a draft commit leaves it."""
    from vlcmsim.vapi.codec import now
    from vlcmsim.vapi.errors import Message

    t = now()
    return store_task(
        data_dir,
        service="com.vmware.esx.settings.clusters.software.drafts",
        operation="commit",
        result_td={"kind": "id"},
        status="SUCCEEDED",
        progress=(100, 100, Message("com.vmware.vcIntegrity.lifecycle.Progress", "Done")),
        result="2",
        start_time=t,
        end_time=t,
    )


def wrk(url: str, seconds: int, connections: int, headers: dict[str, str]) -> tuple[float, float]:
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"wrk saw errors:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    assert p99
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return rps, float(p99.group(1)) * scale


BASELINE_APP = textwrap.dedent(
    """
    BODIES = {bodies!r}  # each endpoint's own bytes, by path
    class App:
        async def __rsgi__(self, scope, protocol):
            protocol.response_bytes(200, [("content-type", "application/json")], BODIES[scope.path])
        async def __call__(self, scope, receive, send):
            await asgi(scope, receive, send)
    app = App()
    async def asgi(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                m = await receive()
                await send({{"type": m["type"] + ".complete"}})
                if m["type"] == "lifespan.shutdown":
                    return
        await receive()
        await send({{"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]}})
        await send({{"type": "http.response.body", "body": BODIES[scope["path"]]}})
    """
)


def baseline_server(
    server: str, port: int, cert: Path, key: Path, bodies: dict[str, bytes], workdir: Path
) -> subprocess.Popen[bytes]:
    (workdir / "baseline_app.py").write_text(BASELINE_APP.format(bodies=bodies))
    if server == "granian":
        args = [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "rsgi",
            "--port",
            str(port),
            "--no-ws",
            "--log-level",
            "error",
            "--ssl-certificate",
            str(cert),
            "--ssl-keyfile",
            str(key),
            "baseline_app:app",
        ]
    else:
        args = [
            sys.executable,
            "-m",
            "uvicorn",
            "baseline_app:app",
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--log-level",
            "error",
            "--no-access-log",
            "--ssl-certfile",
            str(cert),
            "--ssl-keyfile",
            str(key),
        ]
    return subprocess.Popen(args, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--server", default="granian", choices=("granian", "uvicorn"))
    parser.add_argument("--against", help="another server's https URL to measure the same reads on")
    parser.add_argument("--against-user", default=ADMIN[0])
    parser.add_argument("--against-password", default=ADMIN[1])
    parser.add_argument(
        "--vcsim", help="govmomi's vcsim binary: started on a free port and measured in the same run (user/pass)"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="vlcmsim-bench-"))
    data = work / "data"
    task_id = seed_finished_task(data)
    srv = start_server(data, "--server", args.server)
    results: list[tuple[str, float, float, str]] = []  # (endpoint, req/s, p99, the path asked)
    bodies: dict[str, bytes] = {}
    try:
        base = srv.url
        verify = ssl.create_default_context(cafile=str(srv.cert))
        sid = httpx.post(f"{base}/api/session", auth=ADMIN, verify=verify, trust_env=False).json()
        headers = {"vmware-api-session-id": sid}
        for path in (f"/api/cis/tasks/{task_id}", *READS):
            asked = path.format(cluster="domain-c1")
            bodies[asked] = httpx.get(base + asked, headers=headers, verify=verify, trust_env=False).content
            rps, p99 = wrk(base + asked, args.seconds, args.connections, headers)
            results.append((path, rps, p99, asked))
    finally:
        srv.stop()
    vcsim = None
    if args.vcsim:
        vport = free_port()
        vcsim = subprocess.Popen([args.vcsim, "-l", f"127.0.0.1:{vport}"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, env={**os.environ, "TMPDIR": str(work)})  # fmt: skip
        wait_port(vport, vcsim)
        args.against, args.against_user, args.against_password = f"https://127.0.0.1:{vport}", "user", "pass"
    try:
        others = against(args) if args.against else {}
    finally:
        if vcsim is not None:
            vcsim.send_signal(signal.SIGTERM)
            vcsim.wait(timeout=20)
    bport = free_port()
    bproc = baseline_server(args.server, bport, data / "server.crt", data / "server.key", bodies, work)
    try:
        wait_port(bport, bproc)
        baseline = {
            asked: wrk(f"https://127.0.0.1:{bport}{asked}", args.seconds, args.connections, {}) for asked in bodies
        }
    finally:
        bproc.send_signal(signal.SIGTERM)
        bproc.wait(timeout=20)
    shutil.rmtree(work, ignore_errors=True)
    print(f"server={args.server} https connections={args.connections} seconds={args.seconds} (wrk -t1, 127.0.0.1)")
    print("baseline: a trivial app on the same server answering each endpoint's bytes")
    print(f"{'endpoint':<60} {'req/s':>10} {'p99 ms':>8} {'baseline':>10} {'vs baseline':>12}")
    for path, rps, p99, asked in results:
        label = "GET /api/cis/tasks/{task}" if "tasks" in path else "GET " + path
        b_rps = baseline[asked][0]
        line = f"{label:<60} {rps:>10.0f} {p99:>8.2f} {b_rps:>10.0f} {rps / b_rps:>11.2f}x"
        if others.get(path):
            o_rps, o_p99 = others[path]
            line += f"   {args.against}: {o_rps:.0f} req/s, p99 {o_p99:.2f} ms -> {rps / o_rps:.2f}x"
        print(line)


READS = (
    "/api/vcenter/cluster",
    "/api/esx/settings/clusters/{cluster}/software/drafts",
    "/api/esx/settings/depot-content/base-images",
    "/api/esx/settings/clusters/{cluster}/enablement/software",
    "/api/esx/settings/depots/offline",
)


def against(args: argparse.Namespace) -> dict[str, tuple[float, float]]:
    """The same reads on another server (its first cluster for the per-cluster ones)."""
    base = args.against.rstrip("/")
    auth = (args.against_user, args.against_password)
    session = httpx.post(f"{base}/api/session", auth=auth, verify=False, trust_env=False)
    if session.status_code == 404:  # vcsim 0.38 logs in only at the legacy path
        session = httpx.post(f"{base}/rest/com/vmware/cis/session", auth=auth, verify=False, trust_env=False)
        session.raise_for_status()
        sid = session.json()["value"]
    else:
        session.raise_for_status()
        sid = session.json()
    headers = {"vmware-api-session-id": sid}
    listed = httpx.get(f"{base}/api/vcenter/cluster", headers=headers, verify=False, trust_env=False)
    if listed.status_code == 200:
        clusters = listed.json()
    else:  # the legacy form: {"value": [...]}
        legacy = httpx.get(f"{base}/rest/vcenter/cluster", headers=headers, verify=False, trust_env=False)
        clusters = legacy.json().get("value", []) if legacy.status_code == 200 else []
    out = {}
    for path in READS:
        url = base + path.format(cluster=clusters[0]["cluster"] if clusters else "domain-c1")
        if httpx.get(url, headers=headers, verify=False, trust_env=False).status_code != 200:
            continue  # the other server does not serve this read: nothing to compare
        out[path] = wrk(url, args.seconds, args.connections, headers)
    return out


if __name__ == "__main__":
    main()
