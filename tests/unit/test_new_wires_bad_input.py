"""Bad input on the wires this project added — the host agents' /agent/ and
SOAP's /sdk — gets an answer that says what is wrong, never an internal error."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from vlcmsim.testing import InProcessServer, in_process

pytestmark = pytest.mark.anyio

ENVELOPE = (
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:vim25">'
    "<soapenv:Body>{}</soapenv:Body></soapenv:Envelope>"
)


@pytest.fixture
async def external(tmp_path: Path) -> InProcessServer:  # type: ignore[misc]
    async with in_process(tmp_path / "data", hosts_mode="external") as server:
        yield server


async def test_agent_calls_with_bad_bodies_are_refused_saying_why(external: InProcessServer) -> None:
    client = await external.client(None)
    token = (external.app.settings.data_dir / "agent-token").read_text().strip()
    client.headers["authorization"] = f"Bearer {token}"
    bad: list[tuple[str, object]] = [
        ("/agent/register", b"not json"),
        ("/agent/register", {"agent": ""}),
        ("/agent/register", {"agent": "a", "hosts": "host-1"}),
        ("/agent/register", {"agent": "a", "staged": {"host-1": {"payloads": [], "used_bytes": "many"}}}),
        ("/agent/work", {"agent": "a", "wait": "soon"}),
        ("/agent/report", {"agent": "a", "work": [{"id": "x", "completed": "lots"}]}),
        ("/agent/report", {"agent": "a", "work": [{"id": "x", "status": "SLEEPING"}]}),
        ("/agent/report", {"agent": "a", "work": "all of it"}),
    ]
    for path, body in bad:
        r = await (client.post(path, content=body) if isinstance(body, bytes) else client.post(path, json=body))
        assert r.status_code == 400, (path, body, r.text)
        assert r.json()["error_type"] == "INVALID_ARGUMENT" and r.json()["messages"][0]["default_message"]
    r = await client.post("/agent/register", json={"agent": "a", "hosts": ["host-404"]})
    assert r.status_code == 404 and "host-404" in r.text
    r = await client.post("/agent/nothing", json={"agent": "a"})
    assert r.status_code == 404


async def test_soap_requests_of_the_wrong_shape_get_faults(external: InProcessServer) -> None:
    client: httpx.AsyncClient = await external.client(None)
    for body in (
        b"<not-soap/>",
        b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e 'boom'>]><x>&e;</x>",  # entities are refused
        ENVELOPE.format('<RetrieveServiceContent><_this type="ServiceInstance">nope</_this></RetrieveServiceContent>'),
    ):
        r = await client.post("/sdk", content=body)
        assert r.status_code == 500 and b"<faultstring>" in r.content, r.text  # SOAP faults are HTTP 500
        assert b"Internal" not in r.content
    login = ENVELOPE.format(
        '<Login><_this type="SessionManager">SessionManager</_this>'
        "<userName>administrator@vsphere.local</userName><password>VMware1!</password></Login>"
    )
    r = await client.post("/sdk", content=login)
    assert r.status_code == 200
    client.cookies.set("vmware_soap_session", r.cookies["vmware_soap_session"])
    paged = ENVELOPE.format(
        '<RetrievePropertiesEx><_this type="PropertyCollector">propertyCollector</_this>'
        "<specSet><propSet><type>Folder</type><pathSet>name</pathSet></propSet>"
        '<objectSet><obj type="Folder">group-d1</obj></objectSet></specSet>'
        "<options><maxObjects>many</maxObjects></options></RetrievePropertiesEx>"
    )
    r = await client.post("/sdk", content=paged)
    assert r.status_code == 500 and b"InvalidRequest" in r.content
    unknown = ENVELOPE.format('<PowerOnVM_Task><_this type="Folder">group-d1</_this></PowerOnVM_Task>')
    r = await client.post("/sdk", content=unknown)
    assert b"MethodNotFound" in r.content
