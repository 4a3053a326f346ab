"""Depot overrides: a remote site's cluster takes its payloads from its own
depots, not vCenter's. With an override that offers what its image needs, a
stage succeeds; with one that does not (or one that cannot be read), each host
fails saying so; without overrides, vCenter's depots serve again."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from test_online_depots import SYNC, add_online
from walk import Walk

from helpers import U3C, wait_task
from vlcmsim.testing import Server

S = "/api/esx/settings"


def _stage(client: httpx.Client, cluster: str) -> dict:  # type: ignore[type-arg]
    task = client.post(f"{S}/clusters/{cluster}/software?action=stage&vmw-task=true", json={})
    assert task.status_code == 202, task.text
    return wait_task(client, task.json())


def test_a_cluster_stages_from_its_depot_overrides_only(served: tuple[str, Path], fresh_server: Server) -> None:
    url, _ = served
    overrides = f"{S}/clusters/domain-c2/depot-overrides"
    with fresh_server.client() as client:
        add_online(client, url)
        assert wait_task(client, client.post(SYNC).json())["status"] == "SUCCEEDED"
        draft = client.post(f"{S}/clusters/domain-c2/software/drafts").json()
        client.put(f"{S}/clusters/domain-c2/software/drafts/{draft}/software/base-image", json={"version": U3C})
        commit = client.post(f"{S}/clusters/domain-c2/software/drafts/{draft}?action=commit&vmw-task=true", json={})
        assert wait_task(client, commit.json())["status"] == "SUCCEEDED"

        # Cluster-B's override offers all of ESXi 8.0 U3c: its stage succeeds
        assert client.post(f"{overrides}?action=add", json={"location": url}).status_code == 204
        assert client.get(overrides).json() == {"depots": [{"location": url}]}
        again = client.post(f"{overrides}?action=add", json={"location": url})
        assert again.status_code == 400 and again.json()["error_type"] == "ALREADY_EXISTS"
        assert _stage(client, "domain-c2")["status"] == "SUCCEEDED"

        # Cluster-A's image (8.0 U3 with Dell's add-on) is not in that depot: every host fails, saying why
        a_overrides = f"{S}/clusters/domain-c1/depot-overrides"
        client.post(f"{a_overrides}?action=add", json={"location": url})
        failed = _stage(client, "domain-c1")
        assert failed["status"] == "FAILED"
        statuses = failed["result"]["host_status"]
        assert all(s["status"] == "ERROR" for s in statuses.values())
        text = statuses["host-1"]["notifications"]["errors"][0]["message"]["default_message"]
        assert "that no depot override offers" in text

        # an override that cannot be read fails the hosts too, naming it without its password
        unreachable = "http://site:S3cret@127.0.0.1:9/index.xml"
        client.post(f"{a_overrides}?action=remove", json={"location": url})
        client.post(f"{a_overrides}?action=add", json={"location": unreachable})
        failed = _stage(client, "domain-c1")
        text = failed["result"]["host_status"]["host-1"]["notifications"]["errors"][0]["message"]["default_message"]
        assert "cannot be read" in text and "S3cret" not in text and "site:****@" in text

        # without overrides, vCenter's depots serve Cluster-A again
        client.post(f"{a_overrides}?action=remove", json={"location": unreachable})
        assert client.get(a_overrides).json() == {"depots": []}
        assert _stage(client, "domain-c1")["status"] == "SUCCEEDED"


@pytest.mark.parametrize("wire", ["rest", "jsonrpc"])
def test_every_depot_override_operation_over_both_wires(fresh_admin: httpx.Client, wire: str) -> None:
    call = Walk(fresh_admin, wire, "com.vmware.esx.settings.")
    site = {"location": "https://depot.site-1.example/index.xml"}
    for kind, owner in (("clusters", "domain-c1"), ("hosts", "host-10")):
        path = f"{S}/{kind}/{owner}/depot-overrides"
        call((f"{kind}.depot_overrides", "add"), "POST", f"{path}?action=add", site, 204)
        assert call((f"{kind}.depot_overrides", "get"), "GET", path) == {"depots": [site]}
        call((f"{kind}.depot_overrides", "add"), "POST", f"{path}?action=add", {"location": "ftp://x/"}, 400)
        call((f"{kind}.depot_overrides", "remove"), "POST", f"{path}?action=remove", site, 204)
        call((f"{kind}.depot_overrides", "remove"), "POST", f"{path}?action=remove", site, 404)
    call(("clusters.depot_overrides", "get"), "GET", f"{S}/clusters/domain-c99/depot-overrides", status=404)
    assert len(call.done) == 6
