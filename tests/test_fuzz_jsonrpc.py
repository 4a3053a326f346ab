"""Random JSON-RPC requests: whatever the input, an answer in HTTP 200 that is
the operation's output or a std error, never an internal error. Operations
that fetch URLs are left out (no traffic but to this machine)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vlcmsim.app import OPERATION_SETS
from vlcmsim.testing import Server, start_server
from vlcmsim.vapi.operations import OperationTable

SKIP = {
    ("com.vmware.esx.settings.depots.offline", "create$task"),
    ("com.vmware.esx.settings.clusters.software.drafts", "import_software_spec"),
    ("com.vmware.cis.session", "delete"),
}
OPS = sorted(
    (op.spec.service, op.spec.operation, [n for n, _, _ in op.spec.inputs])
    for op in OperationTable(OPERATION_SETS)
    if (op.spec.service, op.spec.operation) not in SKIP
)

leaves = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20)
)
json_values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["OPTIONAL", "STRUCTURE", "SECRET", "map-entry", "x", "key", "value"]), inner, max_size=3
        )
    ),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def rpc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    srv: Server = start_server(tmp_path_factory.mktemp("rpcfuzz") / "data")
    with srv.client(None) as c:
        login = {
            "schemeId": "com.vmware.vapi.std.security.user_pass",
            "userName": "administrator@vsphere.local",
            "password": "VMware1!",
        }
        out = c.post(
            "/api", json=_envelope("com.vmware.cis.session", "create", {"STRUCTURE": {"operation-input": {}}}, login)
        ).json()
        sid = out["result"]["output"]["SECRET"]
        yield c, {"schemeId": "com.vmware.vapi.std.security.session_id", "sessionId": sid}
    srv.stop()


def _envelope(service: str, operation: str, input_value: Any, security: dict[str, str]) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "method": "invoke",
        "params": {
            "serviceId": service,
            "operationId": operation,
            "input": input_value,
            "ctx": {"securityCtx": security},
        },
        "id": "1",
    }


@st.composite
def requests_(draw: st.DrawFn) -> tuple[str, str, Any]:
    service, operation, names = draw(st.sampled_from(OPS))
    shaped = st.fixed_dictionaries({}, optional={n: json_values for n in names})
    fields = draw(shaped | st.dictionaries(st.text(max_size=8), json_values, max_size=3))
    value = draw(st.sampled_from(["shaped", "raw"]))
    return service, operation, {"STRUCTURE": {"operation-input": fields}} if value == "shaped" else draw(json_values)


@given(requests_())
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_input_gets_an_answer_never_an_internal_error(
    rpc: tuple[httpx.Client, dict[str, str]], request: tuple[str, str, Any]
) -> None:
    client, security = rpc
    service, operation, input_value = request
    r = client.post("/api", json=_envelope(service, operation, input_value, security))
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == "1"
    result = body["result"]
    assert set(result) in ({"output"}, {"error"})
    if "error" in result:
        (name,) = result["error"]["ERROR"]
        assert name.startswith("com.vmware.vapi.std.errors.")
        messages = result["error"]["ERROR"][name]["messages"]
        text = messages[0]["STRUCTURE"]["com.vmware.vapi.std.localizable_message"]["default_message"]
        assert "Internal" not in text, (service, operation, input_value, text)


def test_the_fuzz_covers_stage() -> None:
    assert ("com.vmware.esx.settings.clusters.software", "stage$task", ["cluster", "spec"]) in OPS
