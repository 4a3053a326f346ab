"""Small helpers for tests that drive tasks over REST."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from vlcmsim.testing import free_port

U3C = "8.0.3-0.35.24280767"  # the base image of the online depot tests serve


def wait_task(client: httpx.Client, task: str, timeout: float = 60) -> dict[str, Any]:
    """Poll GET /api/cis/tasks/{task} until it ends; return its info."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info: dict[str, Any] = client.get(f"/api/cis/tasks/{task}").json()
        if info["status"] in ("SUCCEEDED", "FAILED"):
            return info
        time.sleep(0.05)
    raise AssertionError(f"task {task} did not end within {timeout}s")


def wait_running(client: httpx.Client, task: str, timeout: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info: dict[str, Any] = client.get(f"/api/cis/tasks/{task}").json()
        if info["status"] != "PENDING":
            return info
        time.sleep(0.02)
    raise AssertionError(f"task {task} did not start")


def stage(client: httpx.Client, cluster: str = "domain-c1", **spec: Any) -> httpx.Response:
    return client.post(f"/api/esx/settings/clusters/{cluster}/software?action=stage&vmw-task=true", json=spec)


def staged_files(data_dir: Path, host: str) -> dict[str, tuple[int, int]]:
    """sha-256 name -> (inode, mtime_ns) of every complete file in the host's
    staging area, after checking that each file's bytes match its name."""
    folder = data_dir / "hosts" / host / "staging"
    out = {}
    for p in sorted(folder.iterdir()) if folder.is_dir() else []:
        assert not p.name.endswith(".part"), f"partial file left: {p}"
        assert hashlib.sha256(p.read_bytes()).hexdigest() == p.name, f"{p} does not match its sha-256"
        st = p.stat()
        out[p.name] = (st.st_ino, st.st_mtime_ns)
    return out


def host_compliance(client: httpx.Client, host: str, cluster: str = "domain-c1") -> dict[str, Any]:
    """A member's compliance, as the cluster's last scan has it (hosts of a cluster
    have no host-level compliance: that is for standalone hosts)."""
    result: dict[str, Any] = client.get(f"/api/esx/settings/clusters/{cluster}/software/compliance").json()["hosts"][
        host
    ]
    return result


def sim(client: httpx.Client, host: str, **changes: Any) -> dict[str, Any]:
    r = client.patch(f"/sim/hosts/{host}", json=changes) if changes else client.get(f"/sim/hosts/{host}")
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def commit_draft(client: httpx.Client, cluster: str, components: dict[str, str], message: str = "test") -> str:
    """Create a draft from the latest commit, set components, commit; return the commit id."""
    draft = client.post(f"/api/esx/settings/clusters/{cluster}/software/drafts").json()
    r = client.patch(
        f"/api/esx/settings/clusters/{cluster}/software/drafts/{draft}/software/components",
        json={"components_to_set": components},
    )
    assert r.status_code == 204, r.text
    task = client.post(
        f"/api/esx/settings/clusters/{cluster}/software/drafts/{draft}?action=commit&vmw-task=true",
        json={"message": message},
    ).json()
    info = wait_task(client, task)
    assert info["status"] == "SUCCEEDED", info
    commit: str = info["result"]
    return commit


def wait_mid_download(data_dir: Path, host: str, timeout: float = 20) -> None:
    """Until the host's staging area holds some complete payloads and one on its
    way (three entries): the moment to stop a server in the middle of a stage."""
    folder = data_dir / "hosts" / host / "staging"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if folder.is_dir() and len(list(folder.iterdir())) >= 3:
            return
        time.sleep(0.05)
    raise AssertionError(f"{host} did not get mid-download within {timeout}s")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vlcmsim.cli", *args], capture_output=True, text=True, timeout=120)


def serve(folder: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """`vlcmsim depot serve` of a folder: the URL of its index.xml, and the process."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "vlcmsim.cli", "depot", "serve", str(folder), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/index.xml"
    for _ in range(200):
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return url, process
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError("depot serve did not start")


def process_running(pid: int | str) -> bool:
    """(An ended process nobody reaped yet is a zombie, "Z": ended.)"""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_ended(pid: int | str, timeout: float = 10) -> bool:
    """Whether the process ended within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while process_running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not process_running(pid)
