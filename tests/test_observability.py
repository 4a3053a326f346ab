"""What the server tells about itself: /metrics (read with Prometheus' own
parser), a JSON log line per request and per task transition, and --trace."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from helpers import stage, wait_task
from vlcmsim.testing import start_server

STAGE_OP = "com.vmware.esx.settings.clusters.software.stage$task"


def samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out.setdefault(s.name, []).append((s.labels, s.value))
    return out


def test_metrics_count_requests_tasks_bytes_and_hosts(fresh_admin: httpx.Client) -> None:
    info = wait_task(fresh_admin, stage(fresh_admin).json())
    assert info["status"] == "SUCCEEDED"
    fresh_admin.get("/api/esx/settings/clusters/domain-c404/software")  # a 404
    r = httpx.get(str(fresh_admin.base_url) + "/metrics", verify=False, trust_env=False)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain; version=0.0.4")
    m = samples(r.text)

    requests = {(s[0]["operation"], s[0]["status"]): s[1] for s in m["vlcmsim_requests_total"]}
    assert requests[(STAGE_OP, "202")] == 1
    assert requests[("com.vmware.esx.settings.clusters.software.get", "404")] == 1
    count = m["vlcmsim_request_duration_seconds_count"][0][1]
    buckets = {s[0]["le"]: s[1] for s in m["vlcmsim_request_duration_seconds_bucket"]}
    assert buckets["+Inf"] == count >= sum(requests.values())
    assert list(buckets.values()) == sorted(buckets.values())  # cumulative

    staged = m["vlcmsim_staged_bytes_total"][0][1]
    total = info["progress"]["total"]
    assert staged == total > 0  # every byte the stage moved
    tasks = {(s[0]["operation"], s[0]["status"]): s[1] for s in m["vlcmsim_tasks"]}
    assert tasks[("stage", "SUCCEEDED")] == 1
    stage_status = {s[0]["stage_status"]: s[1] for s in m["vlcmsim_hosts_by_stage_status"]}
    assert stage_status["STAGED"] == 4  # Cluster-A's hosts, as the scan after the stage found them
    assert {s[0]["connection_state"]: s[1] for s in m["vlcmsim_hosts"]}["CONNECTED"] == 11


def test_json_log_has_a_line_per_request_and_per_task_transition(tmp_path: Path) -> None:
    srv = start_server(tmp_path / "data", "--log-format", "json")
    try:
        with srv.client() as c:
            info = wait_task(c, stage(c).json())
            assert info["status"] == "SUCCEEDED"
            c.get("/api/vcenter/cluster")
    finally:
        srv.stop()
    lines = [json.loads(line) for line in srv.log_path.read_text().splitlines() if line.startswith("{")]
    requests = [entry for entry in lines if entry["logger"] == "vlcmsim.request"]
    listed = next(e for e in requests if e["path"] == "/api/vcenter/cluster")
    assert listed["status"] == 200 and listed["operation"] == "com.vmware.vcenter.cluster.list"
    assert listed["method"] == "GET" and listed["ms"] >= 0 and listed["level"] == "info"
    transitions = [e["status"] for e in lines if e["logger"] == "vlcmsim.task" and e["operation"] == "stage"]
    assert transitions == ["PENDING", "RUNNING", "SUCCEEDED"]


def test_trace_prints_each_request_and_response_without_credentials(tmp_path: Path) -> None:
    srv = start_server(tmp_path / "data", "--trace")
    try:
        with srv.client() as c:
            sid = c.headers["vmware-api-session-id"]
            c.get("/api/vcenter/cluster", params={"names": "Cluster-B"})
            c.post("/api", json={"jsonrpc": "2.0", "method": "invoke", "id": "1", "params": {}})
    finally:
        srv.stop()
    log = srv.log_path.read_text()
    assert "> GET /api/vcenter/cluster?names=Cluster-B" in log
    assert '"name":"Cluster-B"' in log and "< 200" in log
    assert "> POST /api\n" in log and '"jsonrpc":"2.0"' in log  # the JSON-RPC wire too
    assert sid not in log and "vmware-api-session-id: <hidden>" in log
