"""The `vlcmsim` client commands, run as a user runs them: in a pipe (plain
lines, --json) and under a pseudo-terminal (the live progress table, Ctrl-C
offering to cancel)."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpers import sim
from vlcmsim.testing import Server

BNXTNET = "227.0.130.0-1OEM.800.1.0.20613240"


@pytest.fixture
def env(fresh_server: Server, tmp_path: Path) -> dict[str, str]:
    """A logged-in profile of the fresh server."""
    environ = {**os.environ, "VLCMSIM_CONFIG_DIR": str(tmp_path / "cfg"), "VLCMSIM_PASSWORD": "VMware1!"}
    done = vlcmsim(environ, "login", fresh_server.url, "--ca-file", str(fresh_server.cert))
    assert done.returncode == 0, done.stderr
    assert "logged in to" in done.stdout
    assert (tmp_path / "cfg" / "profiles.json").stat().st_mode & 0o077 == 0  # a session id: the owner's only
    return environ


def vlcmsim(environ: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vlcmsim.cli", *args], env=environ, capture_output=True, text=True, timeout=120
    )


def test_inventory_and_compliance_in_a_pipe_and_as_json(env: dict[str, str], fresh_admin: httpx.Client) -> None:
    listed = vlcmsim(env, "clusters", "--json")
    assert json.loads(listed.stdout) == fresh_admin.get("/api/vcenter/cluster").json()
    table = vlcmsim(env, "hosts", "--cluster", "domain-c1").stdout
    assert "esx-a1.vlcmsim.local" in table and "CONNECTED" in table and "esx-b1" not in table
    compliance = vlcmsim(env, "compliance", "domain-c1").stdout
    assert "domain-c1: NON_COMPLIANT (commit 1)" in compliance and "NOT_STAGED" in compliance


def test_a_draft_edited_and_committed_then_staged_with_watch(env: dict[str, str], fresh_admin: httpx.Client) -> None:
    draft = vlcmsim(env, "draft", "create", "domain-c1").stdout.strip()
    assert vlcmsim(env, "draft", "component", "domain-c1", draft, "bnxtnet", BNXTNET).returncode == 0
    committed = vlcmsim(env, "draft", "commit", "domain-c1", draft, "--message", "from the cli")
    assert committed.returncode == 0 and "task SUCCEEDED" in committed.stdout
    assert fresh_admin.get("/api/esx/settings/clusters/domain-c1/software/commits/2").json()["description"] == (
        "from the cli"
    )

    staged = vlcmsim(env, "stage", "domain-c1", "--hosts", "host-1,host-2", "--watch")
    assert staged.returncode == 0, staged.stderr
    lines = staged.stdout.splitlines()
    assert any(line.startswith("host-1 esx-a1.vlcmsim.local OK") for line in lines)  # a line per change
    assert "task SUCCEEDED" in lines
    assert "host-3" not in staged.stdout

    applied = vlcmsim(env, "apply", "domain-c1", "--hosts", "host-1", "--watch")
    assert applied.returncode == 0, applied.stderr
    assert "host-1 esx-a1.vlcmsim.local OK 100%" in applied.stdout.splitlines()  # a remediation in percent

    as_json = vlcmsim(env, "tasks", "--json")
    tasks = json.loads(as_json.stdout)
    assert sum(t["operation"] == "stage" and t["status"] == "SUCCEEDED" for t in tasks.values()) == 1


def test_a_failed_stage_exits_non_zero_saying_why(env: dict[str, str], fresh_admin: httpx.Client) -> None:
    sim(fresh_admin, "host-2", connection_state="DISCONNECTED")
    failed = vlcmsim(env, "stage", "domain-c1", "--watch")
    assert failed.returncode == 1
    assert "failed:" in failed.stderr
    assert "host-2 (esx-a2.vlcmsim.local): " in failed.stderr and "disconnected" in failed.stderr
    assert "task FAILED" in failed.stdout
    assert vlcmsim(env, "stage", "domain-c404").returncode == 2  # refused by the server, which says why
    assert "domain-c404" in vlcmsim(env, "stage", "domain-c404").stderr


def test_a_session_that_ended_asks_for_a_new_login(env: dict[str, str], fresh_server: Server) -> None:
    profile = json.loads((Path(env["VLCMSIM_CONFIG_DIR"]) / "profiles.json").read_text())["default"]
    with fresh_server.client(None) as c:
        c.headers["vmware-api-session-id"] = profile["session"]
        assert c.delete("/api/session").status_code == 204
    ended = vlcmsim(env, "clusters")
    assert ended.returncode == 2 and "login" in ended.stderr


class Terminal:
    """A command under a pseudo-terminal: what it shows, and keys typed into it."""

    def __init__(self, environ: dict[str, str], *args: str) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "vlcmsim.cli", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={**environ, "TERM": "xterm-256color", "COLUMNS": "160", "LINES": "40"},
            start_new_session=True,
        )
        os.close(slave)
        self.screen = b""

    def read_until(self, wanted: bytes, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while wanted not in self.screen:
            if time.monotonic() > deadline:
                raise AssertionError(f"{wanted!r} never shown: {self.screen[-2000:]!r}")
            self._read(0.1)

    def _read(self, wait: float) -> None:
        ready, _, _ = select.select([self.master], [], [], wait)
        if ready:
            try:
                self.screen += os.read(self.master, 65536)
            except OSError:  # the command ended
                time.sleep(wait)

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def wait(self, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        self._read(0.1)
        return self.process.wait(timeout=5)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        os.close(self.master)


def test_watch_under_a_terminal_draws_live_progress_bars(env: dict[str, str], fresh_admin: httpx.Client) -> None:
    for host in ("host-1", "host-2", "host-3", "host-4"):
        sim(fresh_admin, host, bandwidth_bytes_per_s=2 * 1024 * 1024)  # about a second each
    term = Terminal(env, "stage", "domain-c1", "--watch")
    try:
        term.read_until(b"RUNNING")
        assert term.wait() == 0
    finally:
        term.close()
    shown = term.screen.decode("utf-8", "replace")
    assert "\x1b[" in shown  # drawn, not printed: escape sequences move the cursor and color
    assert "━" in shown  # the progress bars
    assert "esx-a4.vlcmsim.local" in shown and "2.2 MiB / 2.2 MiB" in shown
    assert "task SUCCEEDED" in shown


def test_ctrl_c_offers_to_cancel_the_task(env: dict[str, str], fresh_admin: httpx.Client) -> None:
    sim(fresh_admin, "host-1", bandwidth_bytes_per_s=64 * 1024)  # half a minute
    term = Terminal(env, "stage", "domain-c1", "--watch")
    try:
        term.read_until(b"RUNNING")
        os.killpg(term.process.pid, signal.SIGINT)  # what Ctrl-C does to the terminal's foreground job
        term.read_until(b"Cancel task")
        term.type(b"y\n")
        assert term.wait() == 130
    finally:
        term.close()
    assert b"canceled" in term.screen
    task: dict[str, Any] = next(
        t for t in fresh_admin.get("/api/cis/tasks").json().values() if t["operation"] == "stage"
    )
    deadline = time.monotonic() + 30
    while task["status"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.1)
        task = next(t for t in fresh_admin.get("/api/cis/tasks").json().values() if t["operation"] == "stage")
    assert task["status"] == "FAILED" and task["error"]["error_type"] == "CANCELED"


def test_results_that_report_errors_exit_3_and_show_each_check_and_notification(
    env: dict[str, str], fresh_admin: httpx.Client
) -> None:
    """A task that succeeds with a result whose status is ERROR is a failure to the user."""
    sim(fresh_admin, "host-3", connection_state="DISCONNECTED")
    checked = vlcmsim(env, "check", "Cluster-A")  # a name, and followed without --watch
    assert checked.returncode == 3, checked.stderr
    assert "Host esx-a3.vlcmsim.local is disconnected." in checked.stdout and "checks: ERROR" in checked.stdout
    draft = vlcmsim(env, "draft", "create", "Cluster-A").stdout.strip()
    assert (
        "component Nope set to 1.0-1" in vlcmsim(env, "draft", "component", "Cluster-A", draft, "Nope", "1.0-1").stdout
    )
    validated = vlcmsim(env, "draft", "validate", "Cluster-A", draft)
    assert validated.returncode == 3 and "error: component Nope is not in any depot" in validated.stdout
    removed = vlcmsim(env, "draft", "component", "Cluster-A", draft, "Nope", "--remove")
    assert "component Nope removed" in removed.stdout
    committed = vlcmsim(env, "draft", "commit", "domain-c1", draft)
    assert committed.returncode == 0 and "commit 2" in committed.stdout  # the new commit's id


def test_a_downgrade_says_which_component_from_which_version_to_which(
    env: dict[str, str], fresh_admin: httpx.Client
) -> None:
    """Cluster-A's hosts run i40en 1.11.3.0; a draft that pins 1.10 is INCOMPATIBLE, and says why."""
    older = "1.11.3.0-1OEM.800.1.0.20143090"
    hosts = fresh_admin.get("/api/esx/settings/clusters/domain-c1/software/compliance").json()
    assert hosts["hosts"]["host-1"]["components"]["Intel-i40en"]["current"]["version"] == older
    draft = vlcmsim(env, "draft", "create", "domain-c1").stdout.strip()
    # the draft goes back to 8.0 U1's base image: older than the 8.0 U2 the hosts run
    assert vlcmsim(env, "draft", "base-image", "domain-c1", draft, "8.0.1-0.0.21495797").returncode == 0
    validated = vlcmsim(env, "draft", "validate", "domain-c1", draft)
    assert "warning: The base image would go from 8.0.2-0.0.22380479 down to 8.0.1-0.0.21495797" in validated.stdout
    assert vlcmsim(env, "draft", "commit", "domain-c1", draft).returncode == 0
    task = fresh_admin.post("/api/esx/settings/clusters/domain-c1/software?action=scan&vmw-task=true").json()
    from helpers import wait_task

    assert wait_task(fresh_admin, task)["status"] == "SUCCEEDED"
    compliance = fresh_admin.get("/api/esx/settings/clusters/domain-c1/software/compliance").json()
    assert compliance["status"] == "INCOMPATIBLE"
    why = compliance["notifications"]["errors"][0]["message"]["default_message"]
    assert "down to 8.0.1-0.0.21495797" in why and "downgrades are not supported" in why
    base = compliance["hosts"]["host-1"]["base_image"]
    assert "8.0.2-0.0.22380479" in base["notifications"]["errors"][0]["message"]["default_message"]
    shown = vlcmsim(env, "compliance", "Cluster-A").stdout
    assert "base image (ESXi): 8.0 U2 (8.0.2-0.0.22380479) -> 8.0 U1 (8.0.1-0.0.21495797) [INCOMPATIBLE" in shown


def test_the_commands_a_newcomer_reaches_for(env: dict[str, str], fresh_server: Server) -> None:
    content = vlcmsim(env, "depots", "content")
    assert content.returncode == 0 and "8.0.3-0.0.24022510" in content.stdout and "DEL-ESXi" in content.stdout
    assert "Intel-i40en" in content.stdout and "depot-1" in vlcmsim(env, "depots").stdout  # alone: the list
    assert vlcmsim(env, "--version").stdout.startswith("vlcmsim ")
    assert "no cluster named 'Nope'" in vlcmsim(env, "compliance", "Nope").stderr
    for _ in range(3):
        vlcmsim(env, "check", "domain-c1")
    listed = vlcmsim(env, "tasks", "--operation", "check", "--limit", "2", "--json")
    assert len(json.loads(listed.stdout)) == 2
    assert json.loads(vlcmsim(env, "tasks", "--status", "FAILED", "--json").stdout) == {}
    untrusted = {**env, "VLCMSIM_CONFIG_DIR": env["VLCMSIM_CONFIG_DIR"] + "-2"}
    refused = vlcmsim(untrusted, "login", fresh_server.url)
    assert refused.returncode == 2 and "--ca-file" in refused.stderr and "--insecure" in refused.stderr


def test_a_cluster_under_a_configuration_profile_from_the_cli(
    env: dict[str, str], fresh_admin: httpx.Client, tmp_path: Path
) -> None:
    enabled = vlcmsim(env, "config", "enable", "Cluster-A", "--from-host", "esx-a1.vlcmsim.local")
    assert enabled.returncode == 0, enabled.stderr
    document = json.loads(vlcmsim(env, "config", "export", "Cluster-A").stdout)
    assert vlcmsim(env, "config", "compliance", "Cluster-A").returncode == 0
    sim_path = "/sim/hosts/host-2/configuration"
    assert fresh_admin.patch(sim_path, json={"path": "esx/system/syslog/rotate", "value": 20}).status_code == 200
    drifted = vlcmsim(env, "config", "compliance", "Cluster-A")
    assert drifted.returncode == 3 and "esx/system/syslog/rotate: 20 -> 8" in drifted.stdout
    document["profile"]["esx"]["advanced_options"]["Net.TcpipHeapSize"] = 4
    path = tmp_path / "config.json"
    path.write_text(json.dumps(document))
    assert vlcmsim(env, "config", "import", "Cluster-A", str(path)).returncode == 0
    prechecked = vlcmsim(env, "config", "precheck", "Cluster-A")
    assert prechecked.returncode == 0 and prechecked.stdout.count("REBOOT_REQUIRED") == 4
    applied = vlcmsim(env, "config", "apply", "Cluster-A")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "rebooted" in applied.stdout
    assert vlcmsim(env, "config", "compliance", "Cluster-A").returncode == 0
    document["profile"]["esx"]["system"]["syslog"]["rotate"] = 0
    path.write_text(json.dumps(document))
    refused = vlcmsim(env, "config", "import", "Cluster-A", str(path))
    assert refused.returncode == 3 and "error: $.profile.esx.system.syslog.rotate: 0 is below the minimum 1" in (
        refused.stdout
    )
