"""schemathesis on the operations that change state (drafts, commits, stage,
depot deletion, tasks, hosts): whatever it sends, valid or not, the server
answers without a 5xx. The operations that make the server fetch a URL
(depot create, software spec import) are left out: fuzzed locations must not
send traffic anywhere but this machine; their inputs are tested by hand."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from vlcmsim.app import OPERATION_SETS
from vlcmsim.testing import ADMIN, Server, start_server
from vlcmsim.vapi.operations import OperationTable

CONTRACT = Path(__file__).parent / "contract" / "openapi-vlcm-subset.json"
FETCHERS = {
    "/api/esx/settings/depots/offline?vmw-task=true",
    "/api/esx/settings/clusters/{cluster}/software/drafts?action=import-software-spec",
    "/api/esx/settings/hosts/{host}/software/drafts?action=import-software-spec",
}


def _key(op: Any) -> str:
    parts = [k if v is None else f"{k}={v}" for k, v in op.spec.dispatch.items()]
    if op.spec.is_task:
        parts.append("vmw-task=true")
    return op.spec.path + ("?" + "&".join(parts) if parts else "")


WRITES = (
    {(op.spec.method, _key(op)) for op in OperationTable(OPERATION_SETS) if op.spec.method != "GET"}
    - {("DELETE", "/api/session")}
    - {("POST", p) for p in FETCHERS}
)


def _load(mode: schemathesis.GenerationMode, without: frozenset[tuple[str, str]] = frozenset()) -> Any:
    s = schemathesis.openapi.from_path(CONTRACT).include(
        func=lambda ctx: (key := (ctx.operation.method.upper(), ctx.operation.path)) in WRITES and key not in without
    )
    s.config.generation.update(modes=[mode])
    return s


positive = _load(schemathesis.GenerationMode.POSITIVE)
# POST /api/session takes no input at all: there is nothing invalid to send
negative = _load(schemathesis.GenerationMode.NEGATIVE, frozenset({("POST", "/api/session")}))


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, requests.Session]]:
    srv = start_server(tmp_path_factory.mktemp("fuzz") / "data")
    s = requests.Session()
    s.trust_env = False
    s.verify = str(srv.cert)
    s.headers["vmware-api-session-id"] = s.post(f"{srv.url}/api/session", auth=ADMIN).json()
    yield srv, s
    srv.stop()


def test_the_contract_covers_the_write_operations() -> None:
    labels = {(op.ok().method.upper(), op.ok().path) for op in positive.get_all_operations()}
    assert ("POST", "/api/esx/settings/clusters/{cluster}/software?action=stage&vmw-task=true") in labels
    assert (
        "POST",
        "/api/esx/settings/clusters/{cluster}/software/drafts/{draft}?action=commit&vmw-task=true",
    ) in labels


@positive.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_valid_writes_never_get_a_server_error(
    case: schemathesis.Case, target: tuple[Server, requests.Session]
) -> None:
    srv, session = target
    case.call_and_validate(base_url=srv.url, session=session, verify=str(srv.cert), checks=[not_a_server_error])


@negative.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_invalid_writes_never_get_a_server_error(
    case: schemathesis.Case, target: tuple[Server, requests.Session]
) -> None:
    srv, session = target
    case.call_and_validate(base_url=srv.url, session=session, verify=str(srv.cert), checks=[not_a_server_error])
