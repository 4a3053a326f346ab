"""The compose file and the Kubernetes manifests in deploy/ parse, say what
they must, and run only commands and flags `vlcmsim` has (a renamed flag
breaks this test, not somebody's deployment)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from vlcmsim.cli import build_parser

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def parses(argv: list[str]) -> Any:
    """The arguments as vlcmsim's own parser reads them ($(VAR) as Kubernetes expands it)."""
    return build_parser().parse_args([re.sub(r"\$\(\w+\)", "x", a).split("#")[0].strip() for a in argv])


def test_the_compose_file_runs_two_api_containers_two_agents_a_balancer_and_postgresql() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "api-1", "api-2", "lb", "hosts-a", "hosts-b"}
    for name in ("api-1", "api-2"):
        args = parses(services[name]["command"])
        assert args.command == "serve" and args.hosts == "external" and args.workers == 2
        assert args.database_url.startswith("postgresql+psycopg://")
        assert services[name]["volumes"] == ["data:/data"]  # one data volume: certificate, token, payloads
    hosted: list[str] = []
    for name in ("hosts-a", "hosts-b"):
        args = parses(services[name]["command"])
        assert args.command == "hosts" and args.hosts_command == "run"
        assert args.token_file == "/data/agent-token"
        assert len(args.server.split(",")) == 2  # either API container
        hosted += args.hosts.split(",")
    assert sorted(hosted) == ["host-1", "host-2", "host-3", "host-4"]
    assert "api-1:8443" in (DEPLOY / "nginx.conf").read_text() and "api-2:8443" in (DEPLOY / "nginx.conf").read_text()
    assert "Dockerfile" in services["api-1"]["build"]["dockerfile"]
    assert (DEPLOY / "Dockerfile").is_file()


def manifests() -> list[dict[str, Any]]:
    docs = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


@pytest.mark.parametrize("doc", manifests(), ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_each_kubernetes_manifest_is_well_formed(doc: dict[str, Any]) -> None:
    assert doc["apiVersion"] in ("v1", "apps/v1")
    assert doc["kind"] in ("Service", "StatefulSet", "Deployment", "Secret", "PersistentVolumeClaim")
    assert re.fullmatch(r"[a-z0-9-]+", doc["metadata"]["name"])
    if doc["kind"] in ("StatefulSet", "Deployment"):
        spec = doc["spec"]
        assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
        for container in spec["template"]["spec"]["containers"]:
            if container["image"].startswith("vlcmsim"):
                parses(container["args"])


def test_the_kubernetes_api_pods_share_postgresql_and_advertise_their_own_address() -> None:
    docs = {(d["kind"], d["metadata"]["name"]): d for d in manifests()}
    api = docs[("Deployment", "vlcmsim-api")]["spec"]["template"]["spec"]["containers"][0]
    args = parses(api["args"])
    assert args.hosts == "external" and "@vlcmsim-postgres/" in args.database_url
    assert "--advertise-host=$(POD_IP)" in api["args"]
    assert ("Service", "vlcmsim-postgres") in docs and ("PersistentVolumeClaim", "vlcmsim-data") in docs
    agent = docs[("StatefulSet", "vlcmsim-hosts-cluster-a")]["spec"]["template"]["spec"]["containers"][0]
    assert parses(agent["args"]).server == "https://vlcmsim-api"


def test_the_image_and_pods_can_write_their_volumes_and_hosts_reach_the_depot_port() -> None:
    """A named volume or a PVC comes up root-owned: the image makes /data and /agent its user's,
    Kubernetes gives the pods an fsGroup; the depot port the image exposes is the one served."""
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "mkdir -p /data /agent && chown vlcmsim:vlcmsim /data /agent" in dockerfile
    assert dockerfile.index("chown") < dockerfile.index("USER vlcmsim") and "EXPOSE 8443 9084" in dockerfile
    for doc in manifests():
        if doc["kind"] in ("Deployment", "StatefulSet"):
            pod = doc["spec"]["template"]["spec"]
            if any(c["image"].startswith("vlcmsim") for c in pod["containers"]):
                assert pod["securityContext"]["fsGroup"] == 1000
                assert all(c.get("imagePullPolicy") for c in pod["containers"])
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    for name in ("api-1", "api-2"):
        assert parses(services[name]["command"]).depot_port == 9084
