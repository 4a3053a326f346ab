"""schemathesis on the vLCM family beyond vCenter's own REST description (the
image repository, alternative images, depot overrides, system VM solutions,
hardware compatibility overrides), driven by the description vlcmsim serves:
whatever it sends, valid or not, no answer is an internal error. What would
make the server fetch a URL the fuzzer made up (a PULL import, a solution apply
reading a remote OVF) is left out; those inputs are tested by hand."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings

from vlcmsim.app import OPERATION_SETS
from vlcmsim.testing import ADMIN, Server, start_server
from vlcmsim.vapi.openapi import describe
from vlcmsim.vapi.operations import OperationTable

FAMILY = ("/repository/", "/alternative-images", "/depot-overrides", "/vms/", "-overrides/", "assign-entities")
FETCHERS = (
    "/api/esx/settings/repository/software/drafts?action=import-software-spec",
    "/api/esx/settings/clusters/{cluster}/vms/solutions?action=apply&vmw-task=true",
)
DOCUMENT = describe(OperationTable(OPERATION_SETS), "9.0.0")


def _wanted(path: str) -> bool:
    return any(part in path for part in FAMILY) and path not in FETCHERS


def _load(mode: schemathesis.GenerationMode) -> Any:
    s = schemathesis.openapi.from_dict(DOCUMENT).include(func=lambda ctx: _wanted(ctx.operation.path))
    s.config.generation.update(modes=[mode])
    return s


positive = _load(schemathesis.GenerationMode.POSITIVE)
negative = _load(schemathesis.GenerationMode.NEGATIVE)


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, requests.Session]]:
    srv = start_server(tmp_path_factory.mktemp("fuzz-family") / "data")
    s = requests.Session()
    s.trust_env = False
    s.verify = str(srv.cert)
    s.headers["vmware-api-session-id"] = s.post(f"{srv.url}/api/session", auth=ADMIN).json()
    yield srv, s
    srv.stop()


def no_internal_error(ctx: Any, response: Any, case: Any) -> bool:
    """An answer that is no internal error: a 5xx may only be a std error the
    operation's bindings force (what it cannot declare), saying what is wrong."""
    if response.status_code >= 500:
        body = response.json()
        assert body.get("error_type") in ("ERROR", "RESOURCE_INACCESSIBLE", "TIMED_OUT"), body
        assert "InternalError" not in body["messages"][0]["id"], body
    return True


def test_the_fuzzed_family_is_large() -> None:
    assert len(list(positive.get_all_operations())) > 100


@positive.parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
def test_valid_requests_never_get_an_internal_error(
    case: schemathesis.Case, target: tuple[Server, requests.Session]
) -> None:
    srv, session = target
    case.call_and_validate(base_url=srv.url, session=session, verify=str(srv.cert), checks=[no_internal_error])


@negative.parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
def test_invalid_requests_never_get_an_internal_error(
    case: schemathesis.Case, target: tuple[Server, requests.Session]
) -> None:
    srv, session = target
    case.call_and_validate(base_url=srv.url, session=session, verify=str(srv.cert), checks=[no_internal_error])
