"""govmomi — the Go library govc is made of — against /sdk: the client in
tests/govmomi/ (built here with Debian's Go and golang-github-vmware-govmomi-dev)
does what `govc about`, `govc ls`, `govc find . -type h` and `govc host.info` do."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from vlcmsim.testing import Server

SOURCE = Path(__file__).parent / "govmomi"
GOPATH_SYSTEM = "/usr/share/gocode"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    go = shutil.which("go")
    if go is None or not Path(GOPATH_SYSTEM, "src/github.com/vmware/govmomi").is_dir():
        raise RuntimeError("needs Debian's golang-go and golang-github-vmware-govmomi-dev (apt-get install ...)")
    work = tmp_path_factory.mktemp("go")
    (work / "src").mkdir()
    (work / "src" / "govmomi-client").symlink_to(SOURCE)
    binary = work / "govmomi-client"
    env = {**os.environ, "GOPATH": f"{work}:{GOPATH_SYSTEM}", "GO111MODULE": "off", "GOCACHE": str(work / "cache")}
    subprocess.run([go, "build", "-o", str(binary), "govmomi-client"], cwd=work, env=env, check=True, timeout=900)
    return binary


def govc(client: Path, server: Server, *args: str) -> str:
    url = server.url.replace("https://", "https://administrator%40vsphere.local:VMware1%21@") + "/sdk"
    done = subprocess.run([str(client), url, *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_about_ls_find_and_host_info(client: Path, fresh_server: Server) -> None:
    server = fresh_server
    about = govc(client, server, "about")
    assert "FullName: VMware vCenter Server 8.0.3" in about and "API type: VirtualCenter" in about
    assert govc(client, server, "ls", "/").split() == ["/Datacenter"]
    assert sorted(govc(client, server, "ls", "/Datacenter").split()) == [
        "/Datacenter/datastore",
        "/Datacenter/host",
        "/Datacenter/network",
        "/Datacenter/vm",
    ]
    in_folder = govc(client, server, "ls", "/Datacenter/host").split()
    assert in_folder[:3] == ["/Datacenter/host/Cluster-A", "/Datacenter/host/Cluster-B", "/Datacenter/host/Legacy"]
    assert "/Datacenter/host/esx-edge1.vlcmsim.local" in in_folder  # a standalone host's compute resource
    hosts = [line.split() for line in govc(client, server, "find-hosts").splitlines()]
    assert [h[0] for h in hosts] == [f"host-{n}" for n in range(1, 12)]
    assert {h[1]: h[2] for h in hosts}["esx-legacy1.vlcmsim.local"] == "8.0.1"
    info = govc(client, server, "host-info", "/Datacenter/host/Cluster-A/esx-a1.vlcmsim.local")
    assert "Name: esx-a1.vlcmsim.local" in info and "Version: 8.0.2" in info and "State: connected" in info
