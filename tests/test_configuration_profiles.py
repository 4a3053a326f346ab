"""Configuration Profiles through the official SDK, as an admin walks them:
Cluster-A comes under a configuration profile from a reference host; a draft
changes an NTP server for every host and an advanced option needing a reboot
for one; precheck names the host that reboots; the draft is applied
(maintenance mode and a reboot on that host only); compliance is COMPLIANT;
then a setting changed on a host behind vLCM's back is found as drift and
fixed by an apply. A document that breaks the schema is refused with the JSON
path of each error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from com.vmware.esx.settings.clusters.configuration_client import Drafts
from com.vmware.esx.settings.clusters.enablement.configuration_client import Transition
from com.vmware.esx.settings.clusters.enablement_client import Configuration as Enablement
from com.vmware.esx.settings.clusters_client import Configuration

from helpers import sim
from sdk import vsphere_client, wait
from vlcmsim.testing import Server, start_server

CLUSTER = "domain-c1"


@pytest.fixture
def slow_server(tmp_path: Path) -> Iterator[Server]:
    srv = start_server(tmp_path / "data", time_scale=0.01)  # a reboot takes 0.6 s: it can be seen
    yield srv
    srv.stop()


def test_an_admin_brings_a_cluster_under_a_configuration_profile_and_keeps_it(slow_server: Server) -> None:
    client = vsphere_client(slow_server)
    stub = client._stub_config
    transition, enablement = Transition(stub), Enablement(stub)
    configuration, drafts = Configuration(stub), Drafts(stub)
    rest = slow_server.client()

    # not managed yet: the transition starts from a reference host
    assert enablement.get(CLUSTER).enabled is False
    assert transition.get(CLUSTER).status == Transition.Info.Status.NOT_STARTED
    assert wait(transition.check_eligibility_task(CLUSTER)).status == "SUCCEEDED"
    task = transition.import_from_host_task(CLUSTER, "host-1")
    assert wait(task).status == "SUCCEEDED" and task.get_result().status == "OK"
    assert transition.get(CLUSTER).state.host.host == "host-1"
    validated = transition.validate_config_task(CLUSTER)
    assert wait(validated).status == "SUCCEEDED" and validated.get_result().status == "VALID"
    assert validated.get_result().compliance.cluster_status == "COMPLIANT"  # every host came out alike
    task = transition.enable_task(CLUSTER)
    assert wait(task).status == "SUCCEEDED" and task.get_result().status == "SUCCESS"
    assert enablement.get(CLUSTER).enabled is True
    assert transition.get(CLUSTER).status == Transition.Info.Status.ENABLED

    exported = json.loads(configuration.export_config(CLUSTER).config)
    assert exported["profile"]["esx"]["system"]["system_time"]["ntp_servers"] == ["pool.ntp.org"]
    assert exported["host-specific"]["host-1"]["esx"]["network"]["dns"]["host_name"] == "esx-a1"

    # a draft: a new NTP server everywhere, and a reboot-needing advanced option on host-1 only
    draft = drafts.create(CLUSTER)
    document = json.loads(drafts.export_config(CLUSTER, draft).config)
    document["profile"]["esx"]["system"]["system_time"]["ntp_servers"] = ["ntp1.example.com"]
    document.setdefault("host-override", {})["host-1"] = {"esx": {"advanced_options": {"Net.TcpipHeapSize": 16}}}
    drafts.update(CLUSTER, draft, Drafts.UpdateSpec(config=json.dumps(document)))
    changes = drafts.show_changes(CLUSTER, draft)
    changed = {c.path for c in (changes.sets or []) + (changes.adds or [])}
    assert changed == {
        "esx/system/system_time/ntp_servers",
        "host-override/host-1/esx/advanced_options/Net.TcpipHeapSize",
    }
    prechecked = drafts.precheck_task(CLUSTER, draft)
    assert wait(prechecked).status == "SUCCEEDED"
    precheck = prechecked.get_result()
    impacts = {h: p.impact.impact for h, p in precheck.host_precheck.items()}
    assert impacts == {"host-1": "REBOOT_REQUIRED", "host-2": "NO_IMPACT", "host-3": "NO_IMPACT", "host-4": "NO_IMPACT"}
    assert any("esx-a1.vlcmsim.local" in m.default_message for m in precheck.remediation_summary)

    applied = drafts.apply(CLUSTER, draft, Drafts.ApplySpec(message="NTP and a bigger TCP/IP heap"))
    assert applied.commit == "2"
    outcome = rest.get(f"/api/cis/tasks/{applied.apply_task}").json()
    while outcome["status"] not in ("SUCCEEDED", "FAILED"):
        outcome = rest.get(f"/api/cis/tasks/{applied.apply_task}").json()
    assert outcome["status"] == "SUCCEEDED", outcome
    host_status = outcome["result"]["host_status"]
    assert "rebooted" in host_status["host-1"]["notifications"]["info"][0]["message"]["default_message"]
    assert "rebooted" not in host_status["host-2"]["notifications"]["info"][0]["message"]["default_message"]
    checked = configuration.check_compliance_task(CLUSTER)
    assert wait(checked).status == "SUCCEEDED" and checked.get_result().cluster_status == "COMPLIANT"

    # drift: SSH turned on on host-3 by hand
    sim_path = "/sim/hosts/host-3/configuration"
    r = rest.patch(sim_path, json={"path": "esx/services/ssh/enabled", "value": True})
    assert r.status_code == 200, r.text
    checked = configuration.check_compliance_task(CLUSTER)
    assert wait(checked).status == "SUCCEEDED"
    compliance = checked.get_result()
    assert compliance.cluster_status == "NOT_COMPLIANT" and compliance.non_compliant_hosts == {"host-3"}
    drift = compliance.hosts["host-3"].host_compliance.compliance_info.sets
    assert [(d.path, d.current, d.target) for d in drift] == [("esx/services/ssh/enabled", "true", "false")]
    last = rest.get(f"/api/esx/settings/clusters/{CLUSTER}/configuration/reports/last-compliance-result").json()
    assert last["non_compliant_hosts"] == ["host-3"]  # over REST too
    fixed = configuration.apply_task(CLUSTER, Configuration.ApplySpec())
    assert wait(fixed).status == "SUCCEEDED"
    assert fixed.get_result().successful_hosts == {"host-3"}  # the others were already right: skipped
    checked = configuration.check_compliance_task(CLUSTER)
    assert wait(checked).status == "SUCCEEDED" and checked.get_result().cluster_status == "COMPLIANT"

    # who changed what
    records = rest.get(f"/api/esx/settings/clusters/{CLUSTER}/configuration/audit-records").json()
    assert [r["operation"] for r in records][:3] == ["enable", "commit", "apply"]
    assert sim(rest, "host-3")["connection_state"] == "CONNECTED"


def test_a_document_that_breaks_the_schema_is_refused_with_the_path_of_each_error(fresh_server: Server) -> None:
    client = vsphere_client(fresh_server)
    transition = Transition(client._stub_config)
    bad = {"profile": {"esx": {"system": {"syslog": {"rotate": 0}}, "services": {"ssh": {"enabled": "yes"}}}}}
    result = transition.import_from_file(CLUSTER, Transition.FileSpec(filename="bad.json", config=json.dumps(bad)))
    assert result.status == "ERROR"
    text = result.error.default_message
    assert "$.profile.esx.system.syslog.rotate: 0 is below the minimum 1" in text
    assert "$.profile.esx.services.ssh.enabled: expected boolean, got a string" in text
    with fresh_server.client() as rest:
        refused = rest.post(
            "/api/esx/settings/clusters/domain-c3/enablement/configuration/transition?action=importFromFile",
            json={"filename": "x.json", "config": "{}"},
        )
        # the bindings declare only Error for it: the refusal is an Error saying why, as vCenter's
        assert refused.status_code == 500 and refused.json()["error_type"] == "ERROR"
        assert "not managed with a single image" in refused.text
        schema = json.loads(rest.get(f"/api/esx/settings/clusters/{CLUSTER}/configuration/schema").json()["schema"])
        assert "ptp_interface" in json.dumps(schema)  # Cluster-A's image is 8.0 U3: it knows PTP's interface
        extracted = rest.post("/api/esx/settings/hosts/host-5/configuration?action=extract").json()
        assert json.loads(extracted["config"])["esx"]["network"]["dns"]["host_name"] == "esx-b1"


def test_every_configuration_operation_answers_over_rest(fresh_server: Server) -> None:
    """The 39 operations of the services, each called over REST with plausible inputs: none is
    missing (404 / OperationNotFound), none fails inside."""
    from vlcmsim.vapi.model import model

    rest = fresh_server.client()
    base = f"/api/esx/settings/clusters/{CLUSTER}/enablement/configuration/transition"
    started = rest.post(base, params={"action": "importFromHost", "vmw-task": "true"}, json="host-1")
    assert started.status_code in (200, 202), started.text
    doc = json.dumps({"profile": {"esx": {"services": {"ssh": {"enabled": False}}}}})
    bodies = {
        "import_from_file": {"filename": "c.json", "config": doc},
        "import_config$task": {"config": doc},
        "apply$task": {},
        "update": {"config": doc},
        "get_available_values$task": {"path_specs": {"esx/services/ssh/startup_policy": None}},
        "create": {},
        "enable$task": {},
    }
    called = 0
    for (service, operation), spec in sorted(model().operations.items()):
        if "configuration" not in service:
            continue
        path = spec.path.replace("{cluster}", CLUSTER).replace("{host}", "host-2").replace("{draft}", "1")
        params = {k: v for k, v in spec.dispatch.items() if v is not None}
        if spec.is_task:
            params["vmw-task"] = "true"
        if (
            operation in ("import_from_host$task",)
            and "drafts" in service
            or "transition" in service
            and "import_from_host" in operation
        ):
            params["host"] = "host-1"
        body = bodies.get(operation)
        r = rest.request(spec.method, path, params=params, json=body if spec.method != "GET" else None)
        assert r.status_code != 404 or "NotFound" in r.text and "OperationNotFound" not in r.text, (
            service,
            operation,
            r.text,
        )
        assert "InternalError" not in r.text and "Internal server error" not in r.text, (service, operation, r.text)
        called += 1
    assert called == 39


def test_every_configuration_operation_answers_over_json_rpc(fresh_server: Server) -> None:
    """The same operations over vAPI JSON-RPC (what the SDK speaks): each is known to the server —
    it answers, or refuses the inputs it lacks; none is OperationNotFound."""
    from vlcmsim.vapi.model import model

    with fresh_server.client(None) as anonymous:
        login = {
            "schemeId": "com.vmware.vapi.std.security.user_pass",
            "userName": "administrator@vsphere.local",
            "password": "VMware1!",
        }

        def invoke(service: str, operation: str, inputs: dict[str, object], security: dict[str, object]) -> dict:  # type: ignore[type-arg]
            body = {
                "jsonrpc": "2.0",
                "method": "invoke",
                "id": "1",
                "params": {
                    "serviceId": service,
                    "operationId": operation,
                    "input": {"STRUCTURE": {"operation-input": inputs}},
                    "ctx": {"appCtx": {"opId": "t"}, "securityCtx": security},
                },
            }
            r = anonymous.post("/api", json=body)
            assert r.status_code == 200
            return r.json()  # type: ignore[no-any-return]

        sid = invoke("com.vmware.cis.session", "create", {}, login)["result"]["output"]["SECRET"]
        session = {"schemeId": "com.vmware.vapi.std.security.session_id", "sessionId": sid}
        called = 0
        for (service, operation), spec in sorted(model().operations.items()):
            if "configuration" not in service:
                continue
            ids = {"cluster": CLUSTER, "host": "host-1", "draft": "1"}
            inputs = {name: ids[name] for name, _, _ in spec.inputs if name in ids}
            answer = invoke(service, operation, inputs, session)
            error = ((answer.get("result") or {}).get("error") or {}).get("ERROR") or {}
            text = json.dumps(error)
            assert "OperationNotFound" not in text and "operation_not_found" not in text, (service, operation, text)
            assert "InternalError" not in text, (service, operation, text)
            called += 1
        assert called == 39
