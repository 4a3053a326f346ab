"""schemathesis against vCenter's own OpenAPI description of these paths
(tests/contract/openapi-vlcm-subset.json, copied from the shared contract):
on every GET operation vlcmsim implements, valid requests get conforming
answers, and no request at all, valid or not, gets a 5xx."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from vlcmsim.app import OPERATION_SETS
from vlcmsim.testing import ADMIN, Server
from vlcmsim.vapi.operations import OperationTable

CONTRACT = Path(__file__).parent / "contract" / "openapi-vlcm-subset.json"

IMPLEMENTED = {(op.spec.method, op.spec.path) for op in OperationTable(OPERATION_SETS)}


def _load(mode: schemathesis.GenerationMode, without: tuple[str, ...] = ()) -> Any:
    s = schemathesis.openapi.from_path(CONTRACT).include(
        func=lambda ctx: (
            (ctx.operation.method.upper(), ctx.operation.path) in IMPLEMENTED
            and ctx.operation.method.upper() == "GET"
            and ctx.operation.path not in without
        )
    )
    s.config.generation.update(modes=[mode])
    return s


positive = _load(schemathesis.GenerationMode.POSITIVE)
# GET /api/session takes no input at all: there is nothing invalid to send
negative = _load(schemathesis.GenerationMode.NEGATIVE, without=("/api/session",))


@pytest.fixture(scope="module")
def http(server: Server) -> requests.Session:
    s = requests.Session()
    s.trust_env = False
    s.verify = str(server.cert)
    r = s.post(f"{server.url}/api/session", auth=ADMIN)
    s.headers["vmware-api-session-id"] = r.json()
    return s


def test_the_contract_covers_the_implemented_gets() -> None:
    paths = {op.ok().path for op in positive.get_all_operations()}
    assert {"/api/vcenter/cluster", "/api/cis/tasks/{task}", "/api/session"} <= paths


@positive.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_valid_requests_get_conforming_answers(case: schemathesis.Case, server: Server, http: requests.Session) -> None:
    case.call_and_validate(
        base_url=server.url,
        session=http,
        verify=str(server.cert),
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
    )


@negative.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_invalid_requests_never_get_a_server_error(
    case: schemathesis.Case, server: Server, http: requests.Session
) -> None:
    case.call_and_validate(base_url=server.url, session=http, verify=str(server.cert), checks=[not_a_server_error])
