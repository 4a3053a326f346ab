"""GET /api/openapi.json: the REST API description generated from the
operation table — every implemented operation, nothing else — which
schemathesis can drive: vlcmsim's answers conform to its own description."""

from __future__ import annotations

import ssl
from importlib.metadata import version
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from vlcmsim.app import OPERATION_SETS
from vlcmsim.testing import ADMIN, Server
from vlcmsim.vapi.openapi import describe
from vlcmsim.vapi.operations import OperationTable

TABLE = OperationTable(OPERATION_SETS)


@pytest.fixture(scope="module")
def described(server: Server) -> dict[str, Any]:
    verify = ssl.create_default_context(cafile=str(server.cert))
    r = httpx.get(f"{server.url}/api/openapi.json", verify=verify, trust_env=False)  # no login needed
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    doc: dict[str, Any] = r.json()
    return doc


def test_it_describes_every_implemented_operation_and_nothing_else(described: dict[str, Any]) -> None:
    assert described["swagger"] == "2.0"
    served = {
        (o["x-vmw-vapi-service"], o["x-vmw-vapi-operation"])
        for item in described["paths"].values()
        for o in item.values()
        if not o.get("x-vlcmsim")  # vlcmsim's own endpoints: /sim, uploads, /metrics
    }
    implemented = {(op.spec.service, op.spec.operation) for op in TABLE}
    assert served == implemented
    count = sum(len([o for o in item.values() if not o.get("x-vlcmsim")]) for item in described["paths"].values())
    assert count == len(list(TABLE)) + len(TABLE.aliases)  # every REST form, each once
    stage = described["paths"]["/api/esx/settings/clusters/{cluster}/software?action=stage&vmw-task=true"]["post"]
    assert stage["responses"]["202"]["schema"]["type"] == "string"  # a task id
    assert {"400", "401", "404"} <= set(stage["responses"])
    body = next(p for p in stage["parameters"] if p["in"] == "body")
    assert body["schema"] == {"$ref": "#/definitions/com.vmware.esx.settings.clusters.software.stage_spec"}
    spec = described["definitions"]["com.vmware.esx.settings.clusters.software.stage_spec"]
    assert set(spec["properties"]) == {"commit", "hosts"}
    # every operation and definition says what it is
    assert stage["summary"].startswith("Stage") and stage["description"]
    assert all(o.get("summary") and o.get("description") for item in described["paths"].values() for o in item.values())
    assert all(d.get("description") for d in described["definitions"].values())
    assert described["paths"]["/sim/hosts/{host}"]["patch"]["summary"].startswith("Change a simulated host")
    assert "/metrics" in described["paths"] and "/vum/repository/uploads" in described["paths"]


# the document as the server generates it (the first test checks the served one is the same)
DOC = describe([*TABLE, *TABLE.aliases], version("vlcmsim"))
SERVED = schemathesis.openapi.from_dict(DOC).include(
    func=lambda ctx: ctx.operation.method.upper() == "GET" and "{" not in ctx.operation.path
)
SERVED.config.generation.update(modes=[schemathesis.GenerationMode.POSITIVE])


@pytest.fixture(scope="module")
def http(server: Server) -> requests.Session:
    s = requests.Session()
    s.trust_env = False
    s.verify = str(server.cert)
    s.headers["vmware-api-session-id"] = s.post(f"{server.url}/api/session", auth=ADMIN).json()
    return s


def test_the_served_document_is_the_generated_one(described: dict[str, Any]) -> None:
    assert described == DOC
    assert len(list(SERVED.get_all_operations())) >= 10


@SERVED.parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
def test_reads_conform_to_the_served_description(
    case: schemathesis.Case, server: Server, http: requests.Session
) -> None:
    case.call_and_validate(
        base_url=server.url,
        session=http,
        verify=str(server.cert),
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )
