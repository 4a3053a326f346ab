"""pyVmomi against /sdk: SmartConnect, a container view listing every host
with the version its installed image runs, the property collector with
traversal specs and pages, one session for SOAP and REST, and vim25 faults."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import httpx
import pytest
from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

from helpers import wait_task
from vlcmsim.testing import ADMIN, Server

HOSTS = [f"host-{n}" for n in range(1, 12)]


@pytest.fixture
def si(fresh_server: Server) -> Iterator[vim.ServiceInstance]:
    context = ssl.create_default_context(cafile=str(fresh_server.cert))
    port = int(fresh_server.url.rsplit(":", 1)[1])
    instance = SmartConnect(host="127.0.0.1", port=port, user=ADMIN[0], pwd=ADMIN[1], sslContext=context)
    yield instance
    try:
        Disconnect(instance)
    except vim.fault.NotAuthenticated:
        pass  # the test logged out itself


def test_a_container_view_lists_every_host_with_its_version(si: vim.ServiceInstance, fresh_admin: httpx.Client) -> None:
    content = si.RetrieveContent()
    assert content.about.apiType == "VirtualCenter" and content.about.apiVersion.startswith("8.0")
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.HostSystem], True)
    hosts = {h._moId: h for h in view.view}
    assert sorted(hosts, key=lambda h: int(h.split("-")[1])) == HOSTS
    a1 = hosts["host-1"]
    assert a1.name == "esx-a1.vlcmsim.local"
    assert a1.runtime.connectionState == "connected" and a1.runtime.powerState == "poweredOn"
    assert a1.summary.config.product.version == "8.0.2"  # Cluster-A's hosts run 8.0 U2
    assert hosts["host-8"].config.product.fullName == "VMware ESXi 8.0.1 build-21495797"  # Legacy: 8.0 U1
    assert a1.parent.name == "Cluster-A" and isinstance(a1.parent, vim.ClusterComputeResource)
    assert isinstance(hosts["host-10"].parent, vim.ComputeResource)  # a standalone host's own
    view.DestroyView()

    # remediated, a host says it runs the new image
    task = fresh_admin.post(
        "/api/esx/settings/clusters/domain-c1/software?action=apply&vmw-task=true", json={"accept_eula": True}
    ).json()
    assert wait_task(fresh_admin, task)["status"] == "SUCCEEDED"
    assert a1.summary.config.product.version == "8.0.3"
    fresh_admin.patch("/sim/hosts/host-2", json={"connection_state": "DISCONNECTED"})
    assert hosts["host-2"].runtime.connectionState == "disconnected"


def test_the_property_collector_walks_traversal_specs_in_pages(si: vim.ServiceInstance) -> None:
    content = si.RetrieveContent()
    to_host = vmodl.query.PropertyCollector.TraversalSpec(name="toHost", type=vim.ComputeResource, path="host")
    to_folder = vmodl.query.PropertyCollector.TraversalSpec(
        name="dcToHostFolder", type=vim.Datacenter, path="hostFolder"
    )
    children = vmodl.query.PropertyCollector.TraversalSpec(name="children", type=vim.Folder, path="childEntity")
    again = vmodl.query.PropertyCollector.SelectionSpec(name="children")
    children.selectSet = [again, to_folder, to_host]
    to_folder.selectSet = [again]
    spec = vmodl.query.PropertyCollector.FilterSpec(
        objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=content.rootFolder, skip=True, selectSet=[children])],
        propSet=[
            vmodl.query.PropertyCollector.PropertySpec(
                type=vim.HostSystem, pathSet=["name", "runtime.inMaintenanceMode"]
            )
        ],
    )
    collector = content.propertyCollector
    page = collector.RetrievePropertiesEx([spec], vmodl.query.PropertyCollector.RetrieveOptions(maxObjects=4))
    found = list(page.objects)
    while page.token:
        page = collector.ContinueRetrievePropertiesEx(page.token)
        found += page.objects
    names = {o.obj._moId: {p.name: p.val for p in o.propSet} for o in found}
    assert sorted(names, key=lambda h: int(h.split("-")[1])) == HOSTS  # every host, once, in pages of 4
    assert names["host-5"] == {"name": "esx-b1.vlcmsim.local", "runtime.inMaintenanceMode": False}
    # the service objects' own properties, through the collector as older clients ask for them
    current = collector.RetrieveContents(
        [
            vmodl.query.PropertyCollector.FilterSpec(
                objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=content.sessionManager)],
                propSet=[
                    vmodl.query.PropertyCollector.PropertySpec(type=vim.SessionManager, pathSet=["currentSession"])
                ],
            )
        ]
    )
    assert current[0].propSet[0].val.userName == "VSPHERE.LOCAL\\Administrator"
    with pytest.raises(vmodl.query.InvalidProperty):
        collector.RetrieveContents(
            [
                vmodl.query.PropertyCollector.FilterSpec(
                    objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=content.rootFolder)],
                    propSet=[vmodl.query.PropertyCollector.PropertySpec(type=vim.Folder, pathSet=["noSuchProperty"])],
                )
            ]
        )


def test_one_session_for_soap_and_rest(si: vim.ServiceInstance, fresh_server: Server) -> None:
    sid = si._stub.cookie.split('"')[1]  # vmware_soap_session="<id>"
    verify = ssl.create_default_context(cafile=str(fresh_server.cert))
    with httpx.Client(base_url=fresh_server.url, verify=verify, trust_env=False) as rest:
        rest.headers["vmware-api-session-id"] = sid
        assert rest.get("/api/session").json()["user"] == "VSPHERE.LOCAL\\Administrator"
        si.content.sessionManager.Logout()
        assert rest.get("/api/session").status_code == 401  # a SOAP logout ends the REST session too


def test_faults_say_what_is_wrong(fresh_server: Server) -> None:
    context = ssl.create_default_context(cafile=str(fresh_server.cert))
    port = int(fresh_server.url.rsplit(":", 1)[1])
    with pytest.raises(vim.fault.InvalidLogin):
        SmartConnect(host="127.0.0.1", port=port, user=ADMIN[0], pwd="wrong", sslContext=context)
    instance = SmartConnect(host="127.0.0.1", port=port, user=ADMIN[0], pwd=ADMIN[1], sslContext=context)
    content = instance.RetrieveContent()
    with pytest.raises(vmodl.fault.MethodNotFound):
        content.rootFolder.CreateFolder("not-here")  # vlcmsim implements inventory reads only
    Disconnect(instance)
    with pytest.raises(vim.fault.NotAuthenticated):
        content.rootFolder.childEntity  # noqa: B018  (the session is gone)
    r = httpx.get(f"{fresh_server.url}/sdk/vimServiceVersions.xml", verify=context, trust_env=False)
    assert r.status_code == 200 and "<name>urn:vim25</name>" in r.text
