"""Hardware support packages from a simulated Dell manager, through a draft
into the desired state, compliance and remediation."""

from __future__ import annotations

import pytest
from async_helpers import run_task

from vlcmsim.testing import InProcessServer

pytestmark = pytest.mark.anyio

A = "/api/esx/settings/clusters/domain-c1"
DELL = "com.dell.omivv"


async def test_a_hardware_support_package_goes_from_a_draft_to_the_hosts(app: InProcessServer) -> None:
    client = await app.client()
    managers = (await client.get("/api/esx/settings/hardware-support/managers")).json()
    assert [m["manager"] for m in managers] == [DELL] and managers[0]["vendor"] == "Dell Inc."
    packages = (await client.get(f"/api/esx/settings/hardware-support/managers/{DELL}/packages")).json()
    assert [p["version"] for p in packages] == ["A01", "A02"]
    base = (await client.get(f"{A}/software/base-image")).json()["version"]
    supported = await client.get(
        f"/api/esx/settings/hardware-support/managers/{DELL}/packages", params={"base_image_version": base}
    )
    assert [p["version"] for p in supported.json()] == ["A02"]
    assert (await client.get(f"{A}/software/hardware-support")).status_code == 404  # none configured

    drafts = f"{A}/software/drafts"
    draft = (await client.post(drafts)).json()
    hs = f"{drafts}/{draft}/software/hardware-support"
    bad = await client.put(hs, json={"packages": {DELL: {"pkg": "Dell-PowerEdge-Gen16", "version": "Z99"}}})
    assert bad.status_code == 400 and "offers no package" in bad.text
    good = {"packages": {DELL: {"pkg": "Dell-PowerEdge-Gen16", "version": "A02"}}}
    assert (await client.put(hs, json=good)).status_code == 204
    assert (await client.get(hs)).json() == good
    info = await run_task(client, f"{drafts}/{draft}?action=commit&vmw-task=true", {})
    assert info["status"] == "SUCCEEDED", info
    assert (await client.get(f"{A}/software/hardware-support")).json() == good
    assert (await client.get(f"{A}/software")).json()["hardware_support"] == good

    host = (await client.get(f"{A}/software/compliance")).json()["hosts"]["host-1"]
    assert host["hardware_support"][DELL]["status"] == "NON_COMPLIANT"
    assert host["hardware_support"][DELL]["target"] == {"pkg": "Dell-PowerEdge-Gen16", "version": "A02"}
    applied = await run_task(client, f"{A}/software?action=apply&vmw-task=true", {"accept_eula": True})
    assert applied["status"] == "SUCCEEDED", applied
    after = (await client.get(f"{A}/software/compliance")).json()
    assert after["status"] == "COMPLIANT"
    assert after["hosts"]["host-1"]["hardware_support"][DELL]["status"] == "COMPLIANT"


async def test_a_package_that_does_not_support_the_base_image_fails_validation(app: InProcessServer) -> None:
    client = await app.client()
    drafts = f"{A}/software/drafts"
    draft = (await client.post(drafts)).json()
    old = {"packages": {DELL: {"pkg": "Dell-PowerEdge-Gen16", "version": "A01"}}}  # 8.0 U2 only
    await client.put(f"{drafts}/{draft}/software/hardware-support", json=old)
    info = await run_task(client, f"{drafts}/{draft}?action=validate&vmw-task=true", {})
    texts = [n["message"]["default_message"] for n in info["result"]["notifications"]["errors"]]
    assert any("does not support base image" in t for t in texts)
    assert (await client.delete(f"{drafts}/{draft}/software/hardware-support")).status_code == 204
    assert (await client.get(f"{drafts}/{draft}/software/hardware-support")).status_code == 404
