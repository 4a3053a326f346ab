"""An operation answers the errors its bindings declare: one they do not list
becomes the std Error with the same messages, so the SDK can raise it."""

from __future__ import annotations

import pytest

from vlcmsim.testing import InProcessServer
from vlcmsim.vapi.model import model

pytestmark = pytest.mark.anyio


async def test_an_undeclared_error_is_answered_as_the_std_error(app: InProcessServer) -> None:
    spec = model().operations[("com.vmware.esx.settings.clusters.software", "get")]
    assert "com.vmware.vapi.std.errors.invalid_argument" not in spec.errors
    client = await app.client()
    r = await client.get("/api/esx/settings/clusters/domain-c3/software")  # a baseline-managed cluster
    assert r.status_code == 500 and r.json()["error_type"] == "ERROR"
    assert r.json()["messages"][0]["id"] == "com.vmware.vcIntegrity.lifecycle.ClusterNotManagedBySingleImage"


async def test_a_declared_error_is_answered_as_it_is(app: InProcessServer) -> None:
    spec = model().operations[("com.vmware.esx.settings.clusters.software", "stage$task")]
    assert "com.vmware.vapi.std.errors.invalid_argument" in spec.errors
    client = await app.client()
    r = await client.post("/api/esx/settings/clusters/domain-c3/software?action=stage&vmw-task=true", json={})
    assert r.status_code == 400 and r.json()["error_type"] == "INVALID_ARGUMENT"


async def test_bad_input_to_an_operation_without_invalid_argument_is_unsupported_not_a_server_error(
    app: InProcessServer,
) -> None:
    spec = model().operations[("com.vmware.esx.settings.hosts.software.drafts", "import_software_spec")]
    assert "com.vmware.vapi.std.errors.invalid_argument" not in spec.errors
    assert "com.vmware.vapi.std.errors.unsupported" in spec.errors
    client = await app.client()
    r = await client.post(
        "/api/esx/settings/hosts/host-10/software/drafts?action=import-software-spec",
        json={"source_type": "JSON_STRING", "software_spec": "{not json"},
    )
    assert r.status_code == 400 and r.json()["error_type"] == "UNSUPPORTED"
    assert r.json()["messages"][0]["id"] == "com.vmware.vcIntegrity.lifecycle.InvalidSoftwareSpec"
