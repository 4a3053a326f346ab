"""Estate twins: an estate made by hand on one vlcmsim (a second image, an
apply policy, an online depot, an HPE host, a host in maintenance mode, a
disconnected one, standalone hosts, VMs) is exported, served by a second
vlcmsim and exported again — the two files are equal, and the SDK and pyVmomi
read the same from both servers; an anonymized estate holds no original name;
govmomi's vcsim gives its inventory and no vLCM state."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from pyVim.connect import Disconnect
from pyVim.task import WaitForTask
from pyVmomi import vim
from test_soap_remediation import connect

from helpers import commit_draft, sim
from sdk import vsphere_client
from vlcmsim.depot import defaults as d
from vlcmsim.estate.model import comparable
from vlcmsim.testing import Server, free_port, start_server

SCHEMA = json.loads((Path(__file__).parents[1] / "docs" / "estate.schema.json").read_text())


def estate_cli(*args: str) -> dict[str, Any]:
    out = Path(args[args.index("--out") + 1])
    done = subprocess.run(
        [sys.executable, "-m", "vlcmsim.cli", "estate", *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    estate: dict[str, Any] = json.loads(out.read_text())
    return estate


def export(server: Server, out: Path, *extra: str) -> dict[str, Any]:
    return estate_cli("export", "--server", server.url, "--ca-file", str(server.cert), "--out", str(out), *extra)


def what_clients_read(server: Server) -> dict[str, Any]:
    si = connect(server)
    try:
        view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [vim.HostSystem], True)
        hosts = {
            h.name: (h.summary.hardware.vendor, h.runtime.connectionState, h.runtime.inMaintenanceMode, len(h.vm))
            for h in view.view
        }
    finally:
        Disconnect(si)
    client = vsphere_client(server)
    from com.vmware.vcenter_client import Cluster

    images = {}
    for c in Cluster(client._stub_config).list():
        with server.client() as rest:
            r = rest.get(f"/api/esx/settings/clusters/{c.cluster}/software")
            images[c.name] = r.json() if r.status_code == 200 else None
    return {"hosts": hosts, "images": images}


def test_an_estate_round_trip(fresh_server: Server, tmp_path: Path) -> None:
    a = fresh_server
    with a.client() as rest:
        sim(rest, "host-3", vendor="HPE", model="ProLiant DL380 Gen11")
        sim(rest, "host-6", connection_state="DISCONNECTED")
        commit_draft(rest, "domain-c2", {"Intel-i40en": d.I40EN_NEW}, "a second commit")
        policy = {"failure_action": {"action": "RETRY", "retry_delay": 60, "retry_count": 2}}
        assert rest.put("/api/esx/settings/clusters/domain-c1/policies/apply", json=policy).status_code == 204
        r = rest.post("/api/esx/settings/depots/online", json={"location": "https://depot.example.test/index.xml"})
        assert r.status_code == 201, r.text
    si = connect(a)
    try:
        view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [vim.HostSystem], True)
        host = next(h for h in view.view if h.name == "esx-a2.vlcmsim.local")
        WaitForTask(host.EnterMaintenanceMode_Task(timeout=0, evacuatePoweredOffVms=False))
    finally:
        Disconnect(si)
    first = export(a, tmp_path / "a.json")
    assert not first["problems"]
    jsonschema.validate(first, SCHEMA)  # the published schema describes what is written
    b = start_server(tmp_path / "b", "--estate", str(tmp_path / "a.json"))
    try:
        second = export(b, tmp_path / "b.json")
        assert comparable(second) == comparable(first)
        assert what_clients_read(b) == what_clients_read(a)
    finally:
        b.stop()

    # anonymized: the same shape, none of the original names
    hidden = export(a, tmp_path / "anon.json", "--anonymize")
    text = (tmp_path / "anon.json").read_text()
    for original in ("Datacenter", "Cluster-A", "Legacy", "esx-a1", "esx-edge", "vlcmsim.local", "esx-b1-vm1",
                     first["datacenters"][0]["clusters"][0]["hosts"][0]["uuid"], "127.0.0.1"):  # fmt: skip
        assert original not in text, original
    assert [len(c["hosts"]) for c in hidden["datacenters"][0]["clusters"]] == [4, 3, 2]


@pytest.mark.skipif(not os.environ.get("VCSIM"), reason="set VCSIM to govmomi's vcsim binary (../shared/anchors)")
def test_an_estate_from_vcsim_has_its_inventory_and_no_vlcm_state(tmp_path: Path) -> None:
    """Crawled live, and (with govc) from its `govc object.save` folder: the same inventory, which
    a vlcmsim then serves to pyVmomi with the same host names."""
    port = free_port()
    vcsim = subprocess.Popen(
        [os.environ["VCSIM"], "-l", f"127.0.0.1:{port}", "-cluster", "2", "-host", "3", "-standalone-host", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "TMPDIR": str(tmp_path)},  # its datastores' folders, left when it ends
    )
    try:
        for _ in range(100):
            try:
                httpx.get(f"https://127.0.0.1:{port}/about", verify=False)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        estate = estate_cli(
            "import", "--from", f"https://127.0.0.1:{port}", "--user", "user", "--password", "pass", "--insecure",
            "--out", str(tmp_path / "vcsim.json"),
        )  # fmt: skip
        saved = None
        if os.environ.get("GOVC"):
            env = {**os.environ, "GOVC_URL": f"https://user:pass@127.0.0.1:{port}/sdk", "GOVC_INSECURE": "1"}
            done = subprocess.run([os.environ["GOVC"], "object.save", "-d", str(tmp_path / "saved")], env=env,
                                  capture_output=True, text=True, timeout=120)  # fmt: skip
            assert done.returncode == 0, done.stderr
            saved = estate_cli("import", "--from", str(tmp_path / "saved"), "--out", str(tmp_path / "saved.json"))
    finally:
        vcsim.kill()
        vcsim.wait()
    jsonschema.validate(estate, SCHEMA)
    dc = estate["datacenters"][0]
    assert dc["name"] == "DC0" and len(dc["clusters"]) == 2 and len(dc["hosts"]) == 1
    assert all(len(c["hosts"]) == 3 and not c["image_managed"] for c in dc["clusters"])
    assert all(h["vendor"] and h["uuid"] for c in dc["clusters"] for h in c["hosts"])
    assert "desired" not in json.dumps(estate) and estate["problems"]  # what it could not read, said
    if saved is not None:
        assert saved["datacenters"] == estate["datacenters"]
    twin = start_server(tmp_path / "twin", "--estate", str(tmp_path / "vcsim.json"))
    try:
        served = export(twin, tmp_path / "twin.json")
    finally:
        twin.stop()
    names = {h["name"] for c in served["datacenters"][0]["clusters"] for h in c["hosts"]}
    assert names == {h["name"] for c in dc["clusters"] for h in c["hosts"]}


def test_a_file_that_is_no_estate_is_refused_saying_why(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    twice = {"name": "esx-1", "id": "host-1"}
    bad.write_text(json.dumps({"estate_version": 1, "datacenters": [{"name": "DC", "hosts": [twice, twice]}]}))
    for content, why in ((None, "host name esx-1 appears twice"), ("{not json", "cannot be read as JSON"),
                         ('{"estate_version": 7}', "not an estate of version 1")):  # fmt: skip
        if content is not None:
            bad.write_text(content)
        done = subprocess.run(
            [sys.executable, "-m", "vlcmsim.cli", "serve", "--estate", str(bad), "--data-dir", str(tmp_path / "d")],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode != 0 and why in done.stderr and "Traceback" not in done.stderr, done.stderr
