"""Hostile input on /sdk, each found by an adversarial run against the first
SOAP endpoint: traversal specs that reference each other many times or go in
circles, bodies nested thousands deep, a paging token used by another
session, a retrieval of every host that must not hold other clients up, and
the session cookie of a plain-http server."""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path

import httpx
import pytest

from vlcmsim.config import default_inventory
from vlcmsim.testing import READONLY, InProcessServer, in_process

pytestmark = pytest.mark.anyio

ENVELOPE = (
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="urn:vim25"><soapenv:Body>{}</soapenv:Body>'
    "</soapenv:Envelope>"
)
COLLECTOR = '<_this type="PropertyCollector">propertyCollector</_this>'


@pytest.fixture
async def server(tmp_path: Path) -> InProcessServer:  # type: ignore[misc]
    async with in_process(tmp_path / "data") as s:
        yield s


async def soap_login(
    server: InProcessServer, user: tuple[str, str] = ("administrator@vsphere.local", "VMware1!")
) -> httpx.AsyncClient:
    client = await server.client(None)
    r = await client.post(
        "/sdk",
        content=ENVELOPE.format(
            f'<Login><_this type="SessionManager">SessionManager</_this><userName>{user[0]}</userName>'
            f"<password>{user[1]}</password></Login>"
        ),
    )
    assert r.status_code == 200, r.text
    client.cookies.set("vmware_soap_session", r.cookies["vmware_soap_session"])
    return client


def retrieve(specs: str, select: str, paths: str = "<pathSet>name</pathSet>", max_objects: int = 0) -> str:
    options = f"<options><maxObjects>{max_objects}</maxObjects></options>" if max_objects else "<options/>"
    return ENVELOPE.format(
        f"<RetrievePropertiesEx>{COLLECTOR}<specSet>{specs}"
        f'<objectSet><obj type="Folder">group-d1</obj><skip>false</skip>{select}</objectSet>'
        f"</specSet>{options}</RetrievePropertiesEx>"
    )


PROPS = "".join(
    f"<propSet><type>{t}</type><pathSet>name</pathSet></propSet>"
    for t in ("Folder", "Datacenter", "ClusterComputeResource", "ComputeResource", "HostSystem")
)


def traversal(name: str, kind: str, path: str, refs: list[str]) -> str:
    selects = "".join(f"<selectSet><name>{r}</name></selectSet>" for r in refs)
    return (
        f'<selectSet xsi:type="TraversalSpec"><name>{name}</name><type>{kind}</type><path>{path}</path>'
        f"<skip>false</skip>{selects}</selectSet>"
    )


def names(body: str) -> set[str]:
    return set(re.findall(r"<val xsi:type=\"xsd:string\">([^<]+)</val>", body))


async def test_traversal_specs_that_reference_each_other_visit_each_object_once(server: InProcessServer) -> None:
    """(a) `selectSet: [ref F, ref D, ref C] x 80`: the cost once grew with the cube of the repeats
    and froze the server for 18 s; each (object, spec) is visited once, so the answer is the plain one."""
    client = await soap_login(server, READONLY)
    refs = ["F", "D", "C"] * 80
    select = (
        traversal("F", "Folder", "childEntity", refs)
        + traversal("D", "Datacenter", "hostFolder", refs)
        + traversal("C", "ComputeResource", "host", refs)
    )
    r = await client.post("/sdk", content=retrieve(PROPS, select))
    assert r.status_code == 200, r.text[:500]
    found = names(r.text)
    assert {"Datacenter", "Cluster-A", "esx-a1.vlcmsim.local", "esx-edge1.vlcmsim.local"} <= found
    assert len(re.findall(r"<objects>", r.text)) == len(set(re.findall(r"<obj type=\"\w+\">([^<]+)</obj>", r.text)))


async def test_a_cyclic_traversal_ends(server: InProcessServer) -> None:
    """(b) down by childEntity / hostFolder / host, and back up by parent, forever: each object once."""
    client = await soap_login(server)
    select = (
        traversal("down", "Folder", "childEntity", ["down", "dc", "up"])
        + traversal("dc", "Datacenter", "hostFolder", ["down", "up"])
        + traversal("up", "ManagedEntity", "parent", ["down", "dc", "up"])
    )
    r = await client.post("/sdk", content=retrieve(PROPS, select))
    assert r.status_code == 200, r.text[:500]
    assert {"Datacenter", "Cluster-A", "host"} <= names(r.text)


async def test_a_body_nested_thousands_deep_is_a_fault_with_a_short_log(
    server: InProcessServer, caplog: pytest.LogCaptureFixture
) -> None:
    """(c) once a RecursionError, HTTP 500 in JSON and 116 KB of log per request."""
    client = await soap_login(server)
    deep = "<a>" * 2500 + "</a>" * 2500
    body = ENVELOPE.format(f"<RetrievePropertiesEx>{COLLECTOR}<specSet>{deep}</specSet></RetrievePropertiesEx>")
    with caplog.at_level(logging.INFO):
        r = await client.post("/sdk", content=body)
    assert r.status_code == 500 and r.headers["content-type"].startswith("text/xml")
    assert "InvalidRequest" in r.text and "deep" in r.text
    assert sum(len(rec.getMessage()) + len(rec.exc_text or "") for rec in caplog.records) < 2000


async def test_a_paging_token_belongs_to_its_session(server: InProcessServer) -> None:
    """(d) session B could once continue session A's retrieval."""
    a = await soap_login(server)
    b = await soap_login(server, READONLY)
    select = (
        traversal("F", "Folder", "childEntity", ["F", "D", "C"])
        + traversal("D", "Datacenter", "hostFolder", ["F"])
        + traversal("C", "ComputeResource", "host", [])
    )
    r = await a.post("/sdk", content=retrieve(PROPS, select, max_objects=2))
    token = re.search(r"<token>([^<]+)</token>", r.text)
    assert token, r.text[:500]
    cont = ENVELOPE.format(
        f"<ContinueRetrievePropertiesEx>{COLLECTOR}<token>{token.group(1)}</token></ContinueRetrievePropertiesEx>"
    )
    r = await b.post("/sdk", content=cont)
    assert r.status_code == 500 and "InvalidArgument" in r.text
    r = await a.post("/sdk", content=cont)
    assert r.status_code == 200 and "<objects>" in r.text


async def test_every_host_of_ten_thousand_does_not_hold_other_clients_up(tmp_path: Path) -> None:
    """(e) a container view of 10,000 hosts' names took 4.8 s, and every other client waited:
    the retrieval runs beside the loop, so a CurrentTime asked meanwhile answers first."""
    async with in_process(tmp_path / "data", inventory=default_inventory(100, 100)) as big:
        client = await soap_login(big)
        r = await client.post(
            "/sdk",
            content=ENVELOPE.format(
                '<CreateContainerView><_this type="ViewManager">ViewManager</_this>'
                '<container type="Folder">group-d1</container><type>HostSystem</type><recursive>true</recursive>'
                "</CreateContainerView>"
            ),
        )
        view = re.search(r"type=\"ContainerView\">([^<]+)</returnval>", r.text)
        assert view, r.text
        every_host = ENVELOPE.format(
            f"<RetrievePropertiesEx>{COLLECTOR}<specSet>"
            "<propSet><type>HostSystem</type><pathSet>name</pathSet><pathSet>runtime</pathSet></propSet>"
            f'<objectSet><obj type="ContainerView">{view.group(1)}</obj><skip>true</skip>'
            + traversal("v", "ContainerView", "view", [])
            + "</objectSet></specSet><options/></RetrievePropertiesEx>"
        )
        clock = ENVELOPE.format('<CurrentTime><_this type="ServiceInstance">ServiceInstance</_this></CurrentTime>')
        order: list[str] = []

        async def call(name: str, body: str) -> httpx.Response:
            response = await client.post("/sdk", content=body, timeout=120)
            order.append(name)
            return response

        big_one = asyncio.create_task(call("every host", every_host))
        await asyncio.sleep(0.05)  # it has started
        quick = await call("clock", clock)
        assert quick.status_code == 200
        done = await big_one
        assert (
            done.status_code == 200 and done.text.count("<objects>") == 10_004
        )  # with Legacy's two and the two standalone
        assert order == ["clock", "every host"]


async def test_the_soap_cookie_of_a_plain_http_server_is_not_secure(server: InProcessServer) -> None:
    """(f) a `Secure` cookie is never sent back over http: cookie-honouring clients lost their session."""
    client = await server.client(None)
    r = await client.post(
        "/sdk",
        content=ENVELOPE.format(
            '<Login><_this type="SessionManager">SessionManager</_this>'
            "<userName>administrator@vsphere.local</userName><password>VMware1!</password></Login>"
        ),
    )
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("vmware_soap_session=") and "HttpOnly" in cookie and "Secure" not in cookie
