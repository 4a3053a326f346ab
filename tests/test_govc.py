"""The real govc (0.38, `GOVC` or PATH; `.ci/run` unpacks it from ../shared/anchors/) against
/sdk: what an admin runs before, during and after a remediation — and again once the server
has forgotten the session govc saved."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import wait_task
from vlcmsim.testing import Server

HOST = "/Datacenter/host/Cluster-A/esx-a1.vlcmsim.local"


def _govc_binary() -> str:
    found = os.environ.get("GOVC") or shutil.which("govc")
    if not found:
        pytest.skip("needs the real govc: set GOVC or put it on PATH (.ci/run unpacks ../shared/anchors/)")
    return found


@pytest.fixture
def govc(fresh_server: Server, tmp_path: Path):  # type: ignore[no-untyped-def]
    binary = _govc_binary()
    env = {
        **os.environ,
        "GOVC_URL": fresh_server.url.replace("https://", "https://administrator%40vsphere.local:VMware1%21@") + "/sdk",
        "GOVC_INSECURE": "1",
        "HOME": str(tmp_path),  # govc keeps its session under ~/.govmomi
    }

    def run(*args: str) -> str:
        done = subprocess.run([binary, *args], capture_output=True, text=True, timeout=60, env=env)
        assert done.returncode == 0, (args, done.stderr)
        return done.stdout

    return run


def test_the_commands_an_admin_runs_first(govc) -> None:  # type: ignore[no-untyped-def]
    assert "API type:     VirtualCenter" in govc("about")
    hosts = govc("find", "/", "-type", "h").split()
    assert HOST in hosts and len(hosts) == 11
    info = govc("host.info", HOST)
    for line in ("Name:              esx-a1.vlcmsim.local", "Manufacturer:    Dell Inc.", "State:           connected"):
        assert " ".join(line.split()) in " ".join(info.split())
    as_json = json.loads(govc("host.info", "-json", HOST))
    summary = as_json["hostSystems"][0]["summary"]
    assert summary["hardware"]["numCpuCores"] == 64 and summary["config"]["product"]["version"] == "8.0.2"
    assert "Clusters:          3" in govc("datacenter.info") or "Clusters:" in govc("datacenter.info")
    assert "CPU capacity" in govc("cluster.usage", "Cluster-A")
    vms = govc("find", "/", "-type", "m").split()
    assert "/Datacenter/vm/esx-a1-vm1" in vms
    assert "Power state:  poweredOn" in govc("vm.info", "esx-a1-vm1")
    assert "Type:      VMFS" in govc("datastore.info", "Cluster-A-shared")
    assert "VSPHERE.LOCAL\\Administrator" in govc("session.ls")
    product, state, maintenance = govc(
        "object.collect",
        "-s",
        HOST,
        "summary.config.product.fullName",
        "runtime.connectionState",
        "runtime.inMaintenanceMode",
    ).split("\n")[:3]
    assert product == "VMware ESXi 8.0.2 build-22380479" and state == "connected" and maintenance == "false"


def test_maintenance_mode_moves_the_vms_and_is_logged(govc) -> None:  # type: ignore[no-untyped-def]
    govc("host.maintenance.enter", HOST)
    assert govc("object.collect", "-s", HOST, "runtime.inMaintenanceMode").strip() == "true"
    assert govc("object.collect", "-s", HOST, "vm").strip() == ""  # DRS moved its VMs
    assert "Host:" in govc("vm.info", "esx-a1-vm1") and "esx-a1.vlcmsim.local" not in govc("vm.info", "esx-a1-vm1")
    events = govc("events", HOST)
    assert "[info] Host esx-a1.vlcmsim.local has entered maintenance mode" in events
    assert "[info] Task: Enter maintenance mode" in events
    govc("host.maintenance.exit", HOST)
    assert govc("object.collect", "-s", HOST, "runtime.inMaintenanceMode").strip() == "false"
    assert "has exited maintenance mode" in govc("events", HOST)
    assert "logged in" in govc("events", "-n", "200")  # the root folder's events: logins too
    tasks = [line.split() for line in govc("tasks").splitlines()[1:]]
    assert [t[0] for t in tasks] == ["EnterMaintenanceMode", "ExitMaintenanceMode"]
    assert all(t[1] == "esx-a1.vlcmsim.local" and "success" in t for t in tasks)


def test_a_remediation_in_tasks_and_what_the_host_runs_after_it(govc, fresh_server: Server) -> None:  # type: ignore[no-untyped-def]
    before = govc("host.esxcli", "-host", HOST, "system", "version", "get")
    assert "Version:  8.0.2" in before and "Product:  VMware ESXi" in before
    rest = fresh_server.client()
    task = rest.post(
        "/api/esx/settings/clusters/domain-c1/software?action=apply&vmw-task=true", json={"accept_eula": True}
    ).json()
    assert wait_task(rest, task)["status"] == "SUCCEEDED"
    assert any(
        line.startswith("apply") or "Remediate" in line or "apply" in line for line in govc("tasks").splitlines()
    )
    assert "Remediation of Cluster-A succeeded" in govc("events", "/Datacenter/host/Cluster-A")
    after = govc("host.esxcli", "-host", HOST, "system", "version", "get")
    assert "Version:  8.0.3" in after
    vibs = govc("host.esxcli", "-host", HOST, "software", "vib", "list").splitlines()
    assert vibs[0].split()[:2] == ["Name", "Version"] and any(line.startswith("esxi ") for line in vibs)
    components = govc("host.esxcli", "-host", HOST, "software", "component", "list")
    assert "ESXi" in components and "8.0 U3" in components
    assert "cpu.usagemhz.average" in govc("metric.ls", HOST).split()


def test_a_saved_session_the_server_forgot_logs_in_again(govc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert "VirtualCenter" in govc("about")
    saved = list((tmp_path / ".govmomi" / "sessions").glob("*"))
    assert saved, "govc keeps its session"
    for path in saved:  # a session id the server never made: as after idle expiry or a new data dir
        saved_session = json.loads(path.read_text())
        for cookie in saved_session["SoapClient"]["cookies"]:
            cookie["Value"] = "0" * 32
        path.write_text(json.dumps(saved_session))
    assert "/Datacenter/host/Cluster-A" in govc("find", "/", "-type", "c")
    # every command works on the new session govc made
    assert "esx-a1.vlcmsim.local" in govc("host.info", HOST)
    assert "Task" in govc("tasks") and "logged in" in govc("events", "-n", "50")
    assert "sys.uptime.latest" in govc("metric.ls", HOST)
    assert "esxi" in govc("host.esxcli", "-host", HOST, "software", "vib", "list")
