"""A solution adds its components to a cluster's image: a new commit, then the
hosts get them by stage and apply like any other."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from async_helpers import run_task, wait_task

from vlcmsim.testing import InProcessServer

pytestmark = pytest.mark.anyio

B = "/api/esx/settings/clusters/domain-c2/software"
FS = "com.vmware.vsan.fileservices"


async def test_a_solution_is_committed_staged_applied_and_removed(app: InProcessServer) -> None:
    client = await app.client()
    assert (await client.get(f"{B}/solutions")).json() == {}
    assert (await client.get(f"{B}/solutions/{FS}")).status_code == 404
    bad = await client.put(f"{B}/solutions/{FS}?vmw-task=true", json={"version": "7.0", "components": []})
    assert bad.status_code == 400 and "has no version 7.0" in bad.text
    spec = {"version": "8.0.3", "components": [{"component": "vsan-fs-agent"}]}
    info = await run_task_put(client, f"{B}/solutions/{FS}?vmw-task=true", spec)
    assert info["status"] == "SUCCEEDED" and info["result"] == "2"  # a new commit
    solution = (await client.get(f"{B}/solutions/{FS}")).json()
    assert solution["version"] == "8.0.3" and solution["details"]["display_name"] == "vSAN File Services"
    effective = (await client.get(f"{B}/effective-components")).json()
    assert effective["vsan-fs-agent"]["details"]["source"] == "SOLUTION"
    host = (await client.get(f"{B}/compliance")).json()["hosts"]["host-5"]
    assert host["status"] == "NON_COMPLIANT" and host["solutions"][FS]["status"] == "NON_COMPLIANT"
    staged = await run_task(client, f"{B}?action=stage&vmw-task=true", {})
    assert staged["status"] == "SUCCEEDED" and staged["result"]["host_status"]["host-5"]["progress"]["completed"] > 0
    applied = await run_task(client, f"{B}?action=apply&vmw-task=true", {"accept_eula": True})
    assert applied["status"] == "SUCCEEDED", applied
    assert (await client.get(f"{B}/compliance")).json()["status"] == "COMPLIANT"
    r = await client.delete(f"{B}/solutions/{FS}?vmw-task=true")
    assert r.status_code == 202
    assert (await wait_task(client, r.json()))["result"] == "3"
    assert (await client.get(f"{B}/solutions")).json() == {}


async def run_task_put(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = await client.put(path, json=body)
    assert r.status_code == 202, r.text
    return await wait_task(client, r.json())
