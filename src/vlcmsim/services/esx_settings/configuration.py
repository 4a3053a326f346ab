"""Configuration Profiles: a cluster managed with a single image can also be
managed by a configuration profile — its hosts' desired configuration as one
document. The transition (enablement.configuration.transition) takes a cluster
there from a reference host or a file; clusters.configuration then reads,
exports, imports, validates, prechecks and checks compliance of the document
against every host's actual configuration; hosts.configuration.extract reads
one host's."""

from __future__ import annotations

import json
from typing import Any

from vlcmsim.backend import Call
from vlcmsim.ids import LIFECYCLE
from vlcmsim.inventory.model import Host
from vlcmsim.lifecycle import config_results as results
from vlcmsim.lifecycle import host_config
from vlcmsim.lifecycle.configurations import Transition
from vlcmsim.lifecycle.host_config_schema import schema, validate
from vlcmsim.services.common import CLUSTER_TYPE, start_task
from vlcmsim.services.esx_settings.common import require_cluster, require_host
from vlcmsim.tasks.manager import TaskContext
from vlcmsim.vapi.codec import now
from vlcmsim.vapi.errors import Message, VapiError, invalid_argument, not_allowed, not_found
from vlcmsim.vapi.operations import OperationSet, Privilege

ops = OperationSet()
W = Privilege.WRITE

SETTINGS = "com.vmware.esx.settings"
ENABLEMENT = f"{SETTINGS}.clusters.enablement.configuration"
TRANSITION = f"{ENABLEMENT}.transition"
CONFIGURATION = f"{SETTINGS}.clusters.configuration"
SCHEMA = f"{CONFIGURATION}.schema"
HOST_CONFIGURATION = f"{SETTINGS}.hosts.configuration"
CONFIG = f"{LIFECYCLE}.configuration"
MAX_DOCUMENT = 1024 * 1024


# -- what the cluster is -----------------------------------------------------------------


def esx_version(call: Call, cluster: str) -> tuple[str, str]:
    """(the ESXi version of the cluster's desired image, its software commit): the schema follows it."""
    commit = call.backend.desired.latest_commit(cluster)
    if commit is None or not commit.spec.base_image:
        raise not_allowed(
            f"{CONFIG}.SoftwareSpecNotSet",
            f"Cluster {cluster} has no desired software image: its configuration cannot be managed yet.",
            cluster,
        )
    return commit.spec.base_image.split("-")[0], str(commit.id)


def image_cluster(call: Call, cluster: str) -> tuple[str, str]:
    """A cluster managed with a single image (else InvalidArgument, as vCenter refuses it)."""
    owner = require_cluster(call, cluster)
    if not owner.image_managed:
        raise invalid_argument(
            f"{CONFIG}.NotManagedBySingleImage",
            f"Cluster {owner.name} ({cluster}) is not managed with a single image: "
            "configuration profiles need it first.",
            cluster,
        )
    return esx_version(call, cluster)


def managed_cluster(call: Call, cluster: str) -> tuple[str, str]:
    version = image_cluster(call, cluster)
    if not call.backend.configurations.managed(cluster):
        raise not_allowed(
            f"{CONFIG}.NotManaged",
            f"Cluster {cluster} is not managed by a configuration profile: enable it first "
            "(esx/settings/clusters/{cluster}/enablement/configuration/transition).",
            cluster,
        )
    return version


def parse_document(text: str) -> Any:
    if len(text) > MAX_DOCUMENT:
        raise invalid_argument(f"{CONFIG}.TooLarge", f"The document is larger than {MAX_DOCUMENT} bytes.")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise invalid_argument(f"{CONFIG}.NotJson", f"The document is not JSON: {exc}.") from None


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True)


def _hosts(call: Call, cluster: str) -> list[Host]:
    return call.backend.inventory.hosts(cluster)


def _diffs(call: Call, host: Host, document: dict[str, Any], version: str) -> list[host_config.Difference] | None:
    if host.connection_state != "CONNECTED":
        return None
    actual = call.backend.configurations.actual(host)
    return host_config.differences(actual, host_config.desired_for(document, host.id), version)


def compliance_of(call: Call, cluster: str, document: dict[str, Any], commit: str | None) -> dict[str, Any]:
    version, software_commit = esx_version(call, cluster)
    hosts = _hosts(call, cluster)
    started = now()
    per_host = {h.id: results.host_compliance(h, _diffs(call, h, document, version), started) for h in hosts}
    return results.cluster_compliance(hosts, per_host, commit, software_commit)


def precheck_of(call: Call, cluster: str, document: dict[str, Any], commit: str | None) -> dict[str, Any]:
    version, software_commit = esx_version(call, cluster)
    errors = validate(document, version)
    hosts = _hosts(call, cluster)
    started = now()
    per_host = {h.id: results.host_precheck(h, _diffs(call, h, document, version), started) for h in hosts}
    value = results.cluster_precheck(hosts, per_host, commit, software_commit)
    if errors:
        value["status"] = "ERROR"
        value["validation_errors"] = results.validation_errors(errors)
    return value


def document_errors(document: Any, version: str) -> list[tuple[str, str]]:
    return validate(document, version)


# -- enablement --------------------------------------------------------------------------


@ops.operation(ENABLEMENT, "get")
async def get_enablement(call: Call, cluster: str) -> dict[str, Any]:
    require_cluster(call, cluster)
    return {"enabled": call.backend.configurations.managed(cluster)}


# -- the transition: a reference host or a file, validated, prechecked, enabled -------------


def _transition_value(call: Call, cluster: str, t: Transition) -> dict[str, Any]:
    state: dict[str, Any] = {
        "author": t.author,
        "start_time": t.start_time,
        "modified_time": t.start_time,
        "source": t.source or "HOST",
    }
    if t.source == "FILE":
        state["filename"] = t.source_host or "config.json"
    else:
        host = call.backend.inventory.host(t.source_host or "")
        state["source"] = "HOST"
        state["host"] = {
            "host": t.source_host or "",
            "host_info": {"name": host.name if host else (t.source_host or "")},
        }
    return state


@ops.operation(TRANSITION, "get")
async def get_transition(call: Call, cluster: str) -> dict[str, Any]:
    owner = require_cluster(call, cluster)
    configurations = call.backend.configurations
    if configurations.managed(cluster):
        return {"status": "ENABLED"}
    if not owner.image_managed or call.backend.desired.latest_commit(cluster) is None:
        return {"status": "SOFTWARE_SPECIFICATION_NOT_SET"}
    t = configurations.transition(cluster)
    if t is None or t.document is None:
        return {"status": "NOT_STARTED", "fast_track": False, "hints": {"requires_reference_host": True}}
    if t.status == "ENABLE_IN_PROGRESS":
        return {"status": "ENABLE_IN_PROGRESS"}
    return {"status": "STARTED", "state": _transition_value(call, cluster, t)}


def _started(call: Call, cluster: str) -> Transition:
    image_cluster(call, cluster)
    t = call.backend.configurations.transition(cluster)
    if call.backend.configurations.managed(cluster):
        raise not_allowed(
            f"{CONFIG}.AlreadyEnabled", f"Cluster {cluster} is already managed by a configuration profile."
        )
    if t is None or t.document is None:
        raise not_allowed(
            f"{CONFIG}.TransitionNotStarted",
            f"Cluster {cluster} has no candidate configuration: import one from a reference host or a file first.",
            cluster,
        )
    return t


@ops.operation(TRANSITION, "check_eligibility$task", W)
async def check_eligibility(call: Call, cluster: str) -> str:
    owner = require_cluster(call, cluster)
    backend = call.backend

    async def work(_: TaskContext) -> dict[str, Any]:
        problems = []
        if not owner.image_managed:
            problems.append(("NotImage", f"Cluster {owner.name} is not managed with a single image."))
        elif backend.desired.latest_commit(cluster) is None:
            problems.append(("NoImage", f"Cluster {owner.name} has no desired software image."))
        if backend.configurations.managed(cluster):
            problems.append(("AlreadyEnabled", f"Cluster {owner.name} is already managed by a configuration profile."))
        for h in backend.inventory.hosts(cluster):
            if h.connection_state != "CONNECTED":
                problems.append(("HostNotConnected", f"Host {h.name} is {h.connection_state.lower()}."))
        if not problems:
            return {"status": "ELIGIBLE"}
        errors = [results.error_note(key, text) for key, text in problems]
        return {"status": "NOT_ELIGIBLE", "notifications": {"errors": errors}}

    return start_task(
        call, work, (CLUSTER_TYPE, cluster), "Check the cluster can be managed by a configuration profile"
    )


@ops.operation(TRANSITION, "import_from_host$task", W)
async def transition_from_host(call: Call, cluster: str, host: str) -> str:
    version, _software = image_cluster(call, cluster)
    reference = require_host(call, host)
    if reference.cluster != cluster:
        raise invalid_argument(f"{CONFIG}.HostNotInCluster", f"Host {host} is not in cluster {cluster}.", host)
    backend = call.backend
    user = call.user_name or ""

    async def work(_: TaskContext) -> dict[str, Any]:
        if reference.connection_state != "CONNECTED":
            text = f"Host {reference.name} is {reference.connection_state.lower()}: its configuration cannot be read."
            return {"status": "ERROR", "error": results.message("HostUnavailable", text)}
        actual = backend.configurations.actual(reference)
        document = host_config.document_from_host(reference.id, actual, version)
        backend.configurations.set_transition(cluster, user, status="STARTED", source="HOST", source_host=host,
                                              document=document)  # fmt: skip
        return {"status": "OK", "draft": cluster}

    return start_task(call, work, (CLUSTER_TYPE, cluster), f"Import the configuration of host {reference.name}")


@ops.operation(TRANSITION, "import_from_file", W)
async def transition_from_file(call: Call, cluster: str, spec: dict[str, Any]) -> dict[str, Any]:
    version, _software = image_cluster(call, cluster)
    document = parse_document(spec["config"])
    errors = document_errors(document, version)
    if errors:
        first = "; ".join(f"{p}: {m}" for p, m in errors[:3])
        return {"status": "ERROR", "error": results.message("Invalid", f"The document is not valid: {first}.")}
    call.backend.configurations.set_transition(cluster, call.user_name or "", status="STARTED", source="FILE",
                                               source_host=spec["filename"], document=document)  # fmt: skip
    return {"status": "OK", "draft": cluster}


@ops.operation(TRANSITION, "export_config", W)
async def transition_export(call: Call, cluster: str) -> dict[str, Any]:
    t = _started(call, cluster)
    assert t.document is not None
    return {"config": _dump(t.document)}


@ops.operation(TRANSITION, "export_schema", W)
async def transition_schema(call: Call, cluster: str) -> dict[str, Any]:
    version, _software = image_cluster(call, cluster)
    return {"source": "IMAGE_PROFILE", "schema": json.dumps(schema(version))}


@ops.operation(TRANSITION, "validate_config$task", W)
async def transition_validate(call: Call, cluster: str) -> str:
    t = _started(call, cluster)
    version, _software = esx_version(call, cluster)
    configurations = call.backend.configurations
    user = call.user_name or ""

    async def work(_: TaskContext) -> dict[str, Any]:
        assert t.document is not None
        errors = document_errors(t.document, version)
        if errors:
            return {"status": "INVALID", "errors": results.validation_errors(errors)}
        configurations.set_transition(cluster, user, validated=True)
        return {"status": "VALID", "compliance": compliance_of(call, cluster, t.document, None)}

    return start_task(call, work, (CLUSTER_TYPE, cluster), "Validate the candidate configuration")


@ops.operation(TRANSITION, "precheck$task", W)
async def transition_precheck(call: Call, cluster: str) -> str:
    t = _started(call, cluster)
    configurations = call.backend.configurations
    user = call.user_name or ""

    async def work(_: TaskContext) -> dict[str, Any]:
        assert t.document is not None
        value = precheck_of(call, cluster, t.document, None)
        if value["status"] != "ERROR":
            configurations.set_transition(cluster, user, prechecked=True)
        return value

    return start_task(call, work, (CLUSTER_TYPE, cluster), "Precheck the candidate configuration")


@ops.operation(TRANSITION, "enable$task", W)
async def transition_enable(call: Call, cluster: str, spec: dict[str, Any] | None = None) -> str:
    """The candidate becomes the cluster's first configuration commit. Hosts that differ from it are
    not changed here: remediating them is clusters.configuration.apply's."""
    t = _started(call, cluster)
    version, _software = esx_version(call, cluster)
    errors = document_errors(t.document, version)
    if errors:
        raise invalid_argument(
            f"{CONFIG}.Invalid",
            "The candidate configuration is not valid: " + "; ".join(f"{p}: {m}" for p, m in errors[:5]) + ".",
        )
    configurations = call.backend.configurations
    user = call.user_name or ""

    async def work(_: TaskContext) -> dict[str, Any]:
        assert t.document is not None
        configurations.set_transition(cluster, user, status="ENABLE_IN_PROGRESS")
        origin = "a file" if t.source == "FILE" else "a reference host"
        configurations.add_commit(cluster, user, f"Enabled from {origin}", t.document)
        configurations.audit(cluster, user, "enable", _changes({"profile": {}}, t.document))
        configurations.end_transition(cluster)
        return {"status": "SUCCESS"}

    return start_task(
        call, work, (CLUSTER_TYPE, cluster), "Manage the cluster with a configuration profile", exclusive=True
    )


@ops.operation(TRANSITION, "cancel", W)
async def transition_cancel(call: Call, cluster: str) -> None:
    require_cluster(call, cluster)
    t = call.backend.configurations.transition(cluster)
    if t is None:
        raise not_allowed(f"{CONFIG}.TransitionNotStarted", f"Cluster {cluster} has no transition to cancel.", cluster)
    if t.status == "ENABLE_IN_PROGRESS":
        raise not_allowed(f"{CONFIG}.EnableInProgress", f"Cluster {cluster} is being enabled: it cannot be canceled.")
    call.backend.configurations.end_transition(cluster)


def _changes(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"section": section, "path": path, "old": before, "new": after}
        for section, path, before, after in host_config.changes_between(old, new)
    ]


# -- the cluster's configuration --------------------------------------------------------------


def _commit_document(call: Call, cluster: str, commit: str | None = None) -> tuple[int, dict[str, Any]]:
    configurations = call.backend.configurations
    found = configurations.commit(cluster, int(commit)) if commit and commit.isdigit() else None
    if commit is not None and found is None:
        raise not_found(f"{CONFIG}.CommitNotFound", f"Cluster {cluster} has no configuration commit {commit}.", commit)
    found = found or configurations.latest(cluster)
    assert found is not None
    return found.id, found.document


@ops.operation(CONFIGURATION, "get")
async def get_configuration(
    call: Call, cluster: str, commit: str | None = None, doc_structure: str | None = None
) -> dict[str, Any]:
    managed_cluster(call, cluster)
    commit_id, document = _commit_document(call, cluster, commit)
    found = call.backend.configurations.commit(cluster, commit_id)
    assert found is not None
    shown = document if doc_structure != "HOST_ORIENTED" else _host_oriented(call, cluster, document)
    return {
        "metadata": {"id": str(commit_id), "author": found.author, "creation_time": found.commit_time},
        "host_info": {h.id: {"name": h.name} for h in _hosts(call, cluster)},
        "config": _dump(shown),
    }


def _host_oriented(call: Call, cluster: str, document: dict[str, Any]) -> dict[str, Any]:
    """Each host's desired configuration whole, by host (doc_structure HOST_ORIENTED)."""
    return {"host-specific": {h.id: host_config.desired_for(document, h.id) for h in _hosts(call, cluster)}}


@ops.operation(CONFIGURATION, "export_config")
async def export_configuration(call: Call, cluster: str) -> dict[str, Any]:
    managed_cluster(call, cluster)
    _, document = _commit_document(call, cluster)
    return {"config": _dump(document)}


@ops.operation(CONFIGURATION, "import_config$task", W)
async def import_configuration(call: Call, cluster: str, spec: dict[str, Any]) -> str:
    version, _software = managed_cluster(call, cluster)
    document = parse_document(spec["config"])
    configurations = call.backend.configurations
    user = call.user_name or ""
    description = spec.get("description") or "Imported"

    async def work(_: TaskContext) -> dict[str, Any]:
        errors = document_errors(document, version)
        if errors:
            return {"status": "ERROR", "errors": results.validation_errors(errors)}
        before = _commit_document(call, cluster)[1]
        commit_id = configurations.add_commit(cluster, user, description, document)
        configurations.audit(cluster, user, "import_config", _changes(before, document))
        return {"status": "OK", "commit": str(commit_id)}

    return start_task(call, work, (CLUSTER_TYPE, cluster), "Import the cluster's configuration", exclusive=True)


@ops.operation(CONFIGURATION, "validate$task", W)
async def validate_configuration(call: Call, cluster: str) -> str:
    version, _software = managed_cluster(call, cluster)

    async def work(_: TaskContext) -> dict[str, Any]:
        document = _commit_document(call, cluster)[1]
        errors = document_errors(document, version)
        return {"valid": not errors, **({"errors": results.validation_errors(errors)} if errors else {})}

    return start_task(call, work, (CLUSTER_TYPE, cluster), "Validate the cluster's configuration")


def _reported(call: Call, cluster: str, kind: str, build: Any, description: str, recent: str) -> str:
    """A task that builds a report of the latest commit (`build`), keeps it as the cluster's last
    `kind` and is the cluster's newest `recent` task."""
    managed_cluster(call, cluster)
    reports = call.backend.reports

    async def work(_: TaskContext) -> dict[str, Any]:
        commit_id, document = _commit_document(call, cluster)
        value: dict[str, Any] = build(call, cluster, document, str(commit_id))
        reports.put(cluster, kind, value)
        return value

    return note_task(call, cluster, recent, start_task(call, work, (CLUSTER_TYPE, cluster), description))


@ops.operation(CONFIGURATION, "precheck$task", W)
async def precheck_configuration(call: Call, cluster: str) -> str:
    return _reported(call, cluster, "config_precheck", precheck_of, "Precheck the cluster's configuration", "precheck")


@ops.operation(CONFIGURATION, "check_compliance$task", W)
async def check_configuration_compliance(call: Call, cluster: str) -> str:
    description = "Check the hosts' configuration compliance"
    return _reported(call, cluster, "config_compliance", compliance_of, description, "check_compliance")


# -- the cluster's schema, one host's configuration ---------------------------------------


@ops.operation(SCHEMA, "get")
async def get_schema(call: Call, cluster: str) -> dict[str, Any]:
    version, _software = image_cluster(call, cluster)
    return {"source": "IMAGE_PROFILE", "schema": json.dumps(schema(version))}


@ops.operation(HOST_CONFIGURATION, "extract", W)
async def extract_host_configuration(call: Call, host: str) -> dict[str, Any]:
    h = require_host(call, host)
    if h.connection_state != "CONNECTED":
        raise not_allowed(f"{CONFIG}.HostUnavailable", f"Host {h.name} is {h.connection_state.lower()}.", host)
    return {"config": _dump(call.backend.configurations.actual(h))}


__all__ = ["VapiError", "ops"]


# -- apply: each host to the document, maintenance mode and reboot only where a change needs them --


async def _remediate_host(call: Call, host: Host, desired: dict[str, Any], version: str) -> dict[str, Any]:
    """One host's HostStatus once the desired configuration is applied to it."""
    from vlcmsim.hosts.agent import StageFailure, StagePlan

    started = now()
    backend = call.backend
    fresh = backend.inventory.host(host.id) or host
    if fresh.connection_state != "CONNECTED":
        text = f"Host {fresh.name} is {fresh.connection_state.lower().replace('_', ' ')}: it cannot be remediated."
        note = results.error_note("HostUnavailable", text, retriable=True)
        return {"status": "ERROR", "start_time": started, "end_time": now(), "notifications": {"errors": [note]}}
    actual = backend.configurations.actual(fresh)
    diffs = host_config.differences(actual, desired, version)
    impact = host_config.impact_of(diffs)
    if not diffs:
        return {"status": "SKIPPED", "start_time": started, "end_time": now(), "notifications": {}}
    plan = StagePlan(fresh.id, fresh.name, [], [], "")
    policy = backend.policies.effective(fresh.cluster or "", 1)
    done: list[str] = []
    try:
        if impact != host_config.NONE:
            await backend.hosts.enter_maintenance_mode(plan, policy.power_off_vms)
            done.append("entered maintenance mode")
        backend.configurations.set_actual(fresh.id, host_config.applied(actual, desired, version))
        if impact == host_config.REBOOT:
            await backend.hosts.reboot(plan, policy.quick_boot)
            done.append("rebooted")
        if impact != host_config.NONE:
            await backend.hosts.exit_maintenance_mode(plan)
    except StageFailure as failure:
        note = results.error_note("ApplyFailed", failure.message, retriable=failure.retriable)
        return {"status": "ERROR", "start_time": started, "end_time": now(), "notifications": {"errors": [note]}}
    text = f"Host {fresh.name}: {len(diffs)} setting(s) applied" + (f"; {', '.join(done)}" if done else "") + "."
    info = {"type": "INFO", "id": f"{CONFIG}.Applied", "time": now(), "message": results.message("Applied", text)}
    return {"status": "OK", "start_time": started, "end_time": now(), "notifications": {"info": [info]}}


def _apply_work(call: Call, cluster: str, commit_id: int, document: dict[str, Any], only: set[str] | None) -> Any:
    backend = call.backend
    version, software_commit = esx_version(call, cluster)
    user = call.user_name or ""

    async def work(ctx: TaskContext) -> dict[str, Any]:
        hosts = [h for h in _hosts(call, cluster) if only is None or h.id in only]
        statuses: dict[str, dict[str, Any]] = {}
        for n, h in enumerate(hosts):  # one host at a time, as vCenter remediates by default
            ctx.progress(n, max(len(hosts), 1), f"Remediating {h.name}")
            statuses[h.id] = await _remediate_host(call, h, host_config.desired_for(document, h.id), version)
        value = {
            "commit": str(commit_id),
            "software_commit": software_commit,
            "host_info": {h.id: {"name": h.name} for h in hosts},
            "host_status": statuses,
            "successful_hosts": [h for h, s in statuses.items() if s["status"] == "OK"],
            "failed_hosts": [h for h, s in statuses.items() if s["status"] == "ERROR"],
            "skipped_hosts": [h for h, s in statuses.items() if s["status"] == "SKIPPED"],
        }
        backend.reports.put(cluster, "config_apply", value)
        backend.configurations.audit(cluster, user, "apply", [{"commit": str(commit_id), "hosts": sorted(statuses)}])
        ctx.progress(len(hosts), max(len(hosts), 1), "Done")
        return value

    return work


@ops.operation(CONFIGURATION, "apply$task", W)
async def apply_configuration(call: Call, cluster: str, spec: dict[str, Any]) -> str:
    managed_cluster(call, cluster)
    commit_id, document = _commit_document(call, cluster, spec.get("commit"))
    hosts = spec.get("hosts")
    known = {h.id for h in _hosts(call, cluster)}
    for host in hosts or ():
        if host not in known:
            raise invalid_argument(f"{CONFIG}.HostNotInCluster", f"Host {host} is not in cluster {cluster}.", host)
    work = _apply_work(call, cluster, commit_id, document, set(hosts) if hosts else None)
    task = start_task(call, work, (CLUSTER_TYPE, cluster), "Apply the cluster's configuration", exclusive=True)
    return note_task(call, cluster, "apply", task)


# -- drafts --------------------------------------------------------------------------------

DRAFTS = f"{CONFIGURATION}.drafts"


def _require_draft(call: Call, cluster: str, draft: str, write: bool = False) -> Any:
    managed_cluster(call, cluster)
    found = call.backend.configurations.draft(cluster, draft)
    if found is None:
        raise not_found(f"{CONFIG}.DraftNotFound", f"Cluster {cluster} has no configuration draft {draft}.", draft)
    user = call.user_name or ""
    if write and found.owner != user:
        raise not_allowed(
            f"{CONFIG}.DraftOfAnother", f"Draft {draft} belongs to {found.owner}: only its owner may change it.", draft
        )
    return found


@ops.operation(DRAFTS, "create", W)
async def create_draft(call: Call, cluster: str, spec: dict[str, Any] | None = None) -> str:
    version, _software = managed_cluster(call, cluster)
    configurations = call.backend.configurations
    user = call.user_name or ""
    if any(d.owner == user for d in configurations.drafts(cluster)):
        raise not_allowed(f"{CONFIG}.DraftExists", f"{user} already has a configuration draft of cluster {cluster}.")
    base = configurations.latest(cluster)
    document = dict(base.document) if base else {"profile": {}}
    if spec and spec.get("config"):
        document = parse_document(spec["config"])
    return configurations.create_draft(cluster, user, base, document)


@ops.operation(DRAFTS, "list")
async def list_drafts(call: Call, cluster: str) -> dict[str, Any]:
    managed_cluster(call, cluster)
    return {d.id: _draft_metadata(call, cluster, d) for d in call.backend.configurations.drafts(cluster)}


def _draft_metadata(call: Call, cluster: str, d: Any) -> dict[str, Any]:
    version, _software = esx_version(call, cluster)
    return {
        "id": d.id,
        "parent_id": str(d.base_commit or 0),
        "owner": d.owner,
        "state": "INVALID" if document_errors(d.document, version) else "VALID",
        "revision": int(d.modified_time.timestamp() * 1000),
        "creation_time": d.creation_time,
        "modified_time": d.modified_time,
    }


@ops.operation(DRAFTS, "get")
async def get_draft(call: Call, cluster: str, draft: str) -> dict[str, Any]:
    d = _require_draft(call, cluster, draft)
    hosts = _hosts(call, cluster)
    return {
        "metadata": _draft_metadata(call, cluster, d),
        "host_info": {h.id: {"name": h.name} for h in hosts},
        "host_id_to_UUID": {h.id: call.backend.secret.hex()[:8] + "-" + h.id for h in hosts},
        "config": _dump(d.document),
    }


@ops.operation(DRAFTS, "update", W)
async def update_draft(call: Call, cluster: str, draft: str, spec: dict[str, Any]) -> None:
    d = _require_draft(call, cluster, draft, write=True)
    expected = spec.get("expected_revision")
    if expected is not None and int(expected) != _draft_metadata(call, cluster, d)["revision"]:
        raise not_allowed(f"{CONFIG}.RevisionChanged", f"Draft {draft} changed since revision {expected}.", draft)
    call.backend.configurations.save_draft(draft, parse_document(spec["config"]))


@ops.operation(DRAFTS, "delete", W)
async def delete_draft(call: Call, cluster: str, draft: str) -> None:
    _require_draft(call, cluster, draft, write=True)
    call.backend.configurations.delete_draft(draft)


@ops.operation(DRAFTS, "export_config")
async def export_draft(call: Call, cluster: str, draft: str) -> dict[str, Any]:
    return {"config": _dump(_require_draft(call, cluster, draft).document)}


@ops.operation(DRAFTS, "get_schema")
async def draft_schema(call: Call, cluster: str, draft: str) -> dict[str, Any]:
    _require_draft(call, cluster, draft)
    version, _software = esx_version(call, cluster)
    return {"source": "IMAGE_PROFILE", "schema": json.dumps(schema(version))}


@ops.operation(DRAFTS, "show_changes")
async def show_changes(call: Call, cluster: str, draft: str) -> dict[str, Any]:
    d = _require_draft(call, cluster, draft)
    base = call.backend.configurations.commit(cluster, d.base_commit) if d.base_commit else None
    before = base.document if base else {"profile": {}}
    sets: list[dict[str, Any]] = []
    adds: list[dict[str, Any]] = []
    deletes: list[dict[str, Any]] = []
    for section, path, old, new in host_config.changes_between(before, d.document):
        where = path if section == "profile" else f"{section}/{path}"
        kind = results.kind_of(new if new is not None else old)
        entry: dict[str, Any] = {"path": where, "display_path": where.split("/"), "type": kind}
        if old is not None:
            entry["current"] = json.dumps(old)
        if new is not None:
            entry["draft"] = json.dumps(new)
        (adds if old is None else deletes if new is None else sets).append(entry)
    value: dict[str, Any] = {}
    for name, items in (("sets", sets), ("adds", adds), ("deletes", deletes)):
        if items:
            value[name] = items
    return value


def _draft_import(call: Call, cluster: str, draft: str, document: dict[str, Any]) -> dict[str, Any]:
    version, _software = esx_version(call, cluster)
    errors = document_errors(document, version)
    if errors:
        first = "; ".join(f"{p}: {m}" for p, m in errors[:3])
        return {"status": "ERROR", "error": results.message("Invalid", f"The document is not valid: {first}.")}
    call.backend.configurations.save_draft(draft, document)
    return {"status": "OK", "draft": draft}


@ops.operation(DRAFTS, "import_config$task", W)
async def import_into_draft(call: Call, cluster: str, draft: str, spec: dict[str, Any]) -> str:
    _require_draft(call, cluster, draft, write=True)
    document = parse_document(spec["config"])

    async def work(_: TaskContext) -> dict[str, Any]:
        return _draft_import(call, cluster, draft, document)

    return start_task(call, work, (CLUSTER_TYPE, cluster), "Import a configuration into the draft")


@ops.operation(DRAFTS, "import_from_host$task", W)
async def draft_from_host(call: Call, cluster: str, draft: str, host: str) -> str:
    d = _require_draft(call, cluster, draft, write=True)
    reference = require_host(call, host)
    if reference.cluster != cluster:
        raise invalid_argument(f"{CONFIG}.HostNotInCluster", f"Host {host} is not in cluster {cluster}.", host)
    version, _software = esx_version(call, cluster)

    async def work(_: TaskContext) -> dict[str, Any]:
        actual = call.backend.configurations.actual(reference)
        document = host_config.document_from_host(reference.id, actual, version)
        merged = {**d.document, "profile": document["profile"]}
        merged.setdefault("host-specific", {}).update(document["host-specific"])
        return _draft_import(call, cluster, draft, merged)

    return start_task(call, work, (CLUSTER_TYPE, cluster), f"Import the configuration of host {reference.name}")


@ops.operation(DRAFTS, "precheck$task", W)
async def precheck_draft(call: Call, cluster: str, draft: str) -> str:
    d = _require_draft(call, cluster, draft)
    reports = call.backend.reports

    async def work(_: TaskContext) -> dict[str, Any]:
        value = precheck_of(call, cluster, d.document, None)
        reports.put(cluster, "config_precheck", value)
        return value

    task = start_task(call, work, (CLUSTER_TYPE, cluster), "Precheck the configuration draft")
    return note_task(call, cluster, "precheck", task, draft)


@ops.operation(DRAFTS, "check_compliance$task", W)
async def draft_compliance(call: Call, cluster: str, draft: str) -> str:
    d = _require_draft(call, cluster, draft)

    async def work(_: TaskContext) -> dict[str, Any]:
        return compliance_of(call, cluster, d.document, None)

    return start_task(call, work, (CLUSTER_TYPE, cluster), "Check compliance against the configuration draft")


@ops.operation(DRAFTS, "get_available_values$task", W)
async def available_values(call: Call, cluster: str, draft: str, spec: dict[str, Any]) -> str:
    _require_draft(call, cluster, draft)
    version, _software = esx_version(call, cluster)

    async def work(_: TaskContext) -> dict[str, Any]:
        return results.available_values(spec, version)

    return start_task(call, work, (CLUSTER_TYPE, cluster), "Values the draft's settings may take")


@ops.operation(DRAFTS, "apply", W)
async def apply_draft(call: Call, cluster: str, draft: str, spec: dict[str, Any] | None = None) -> dict[str, Any]:
    """Commit the draft, then apply the new commit to every host (one step, as vCenter's)."""
    d = _require_draft(call, cluster, draft, write=True)
    version, _software = esx_version(call, cluster)
    errors = document_errors(d.document, version)
    if errors:
        raise invalid_argument(
            f"{CONFIG}.Invalid", "The draft is not valid: " + "; ".join(f"{p}: {m}" for p, m in errors[:5]) + "."
        )
    configurations = call.backend.configurations
    user = call.user_name or ""
    before = _commit_document(call, cluster)[1]
    commit_id = configurations.add_commit(cluster, user, (spec or {}).get("message") or "Draft applied", d.document)
    configurations.audit(cluster, user, "commit", _changes(before, d.document))
    configurations.delete_draft(draft)
    # drafts.apply is no task itself: it starts clusters.configuration's apply, as vCenter does
    task = call.backend.tasks.start(
        service=CONFIGURATION,
        operation="apply",
        description=Message(f"{CONFIGURATION}.apply", "Apply the cluster's configuration"),
        work=_apply_work(call, cluster, commit_id, d.document, None),
        target=(CLUSTER_TYPE, cluster),
        user=call.task_user,
        result_td={"kind": "struct", "id": f"{CONFIGURATION}.apply_result"},
        locks=[(CLUSTER_TYPE, cluster)],
    )
    return {"commit": str(commit_id), "apply_task": note_task(call, cluster, "apply", task)}


# -- reports and the audit trail -------------------------------------------------------

REPORTS = f"{CONFIGURATION}.reports"


def _report(call: Call, cluster: str, kind: str, what: str) -> Any:
    managed_cluster(call, cluster)
    found = call.backend.reports.get(cluster, kind)
    if found is None:
        raise not_found(f"{CONFIG}.NoReport", f"Cluster {cluster} has no {what} yet.", cluster)
    return found


@ops.operation(f"{REPORTS}.last_apply_result", "get")
async def last_apply(call: Call, cluster: str) -> Any:
    return _report(call, cluster, "config_apply", "configuration apply")


@ops.operation(f"{REPORTS}.last_compliance_result", "get")
async def last_compliance(call: Call, cluster: str) -> Any:
    return _report(call, cluster, "config_compliance", "configuration compliance check")


@ops.operation(f"{REPORTS}.last_precheck_result", "get")
async def last_precheck(call: Call, cluster: str) -> Any:
    return _report(call, cluster, "config_precheck", "configuration precheck")


@ops.operation(f"{REPORTS}.recent_tasks", "get")
async def recent_tasks(call: Call, cluster: str) -> Any:
    """The newest compliance check, precheck and apply of the cluster's configuration, and each
    draft's newest precheck."""
    managed_cluster(call, cluster)
    return call.backend.reports.get(cluster, "config_recent") or {"draft_tasks": {}}


def note_task(call: Call, cluster: str, kind: str, task: str, draft: str | None = None) -> str:
    """Remember a task as the cluster's newest of its kind (recent_tasks); returns it."""
    reports = call.backend.reports
    current = reports.get(cluster, "config_recent")
    value: dict[str, Any] = {"draft_tasks": {}}
    if current is not None:
        value = json.loads(json.dumps(current, default=str))
    if draft is None:
        value[kind] = task
    else:
        value.setdefault("draft_tasks", {}).setdefault(draft, {})[kind] = task
    reports.put(cluster, "config_recent", value)
    return task


@ops.operation(f"{CONFIGURATION}.audit_records", "list")
async def audit_records(call: Call, cluster: str, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    managed_cluster(call, cluster)
    operations = set((filters or {}).get("operations") or [])
    users = set((filters or {}).get("usernames") or [])
    out = []
    for record in call.backend.configurations.audit_records(cluster):
        if (operations and record["operation"] not in operations) or (users and record["user"] not in users):
            continue
        out.append(
            {
                "cluster_id": cluster,
                "operation": record["operation"],
                "username": record["user"],
                "start_time": record["time"],
                "end_time": record["time"],
                "status": "SUCCEEDED",
            }
        )
    return out
