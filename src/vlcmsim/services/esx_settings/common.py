"""Lookups with the errors vLCM answers, shared by the esx.settings services."""

from __future__ import annotations

from typing import Any

from vlcmsim.inventory.model import Cluster, Host
from vlcmsim.lifecycle.desired import Commit, Draft
from vlcmsim.lifecycle.spec import SoftwareSpec
from vlcmsim.vapi.errors import invalid_argument, not_allowed, not_found
from vlcmsim.vapi.operations import Call

LIFECYCLE = "com.vmware.vcIntegrity.lifecycle"
CLUSTER_TYPE = "ClusterComputeResource"


def require_cluster(call: Call, cluster: str) -> Cluster:
    c = call.app.inventory.cluster(cluster)
    if c is None:
        raise not_found(f"{LIFECYCLE}.ClusterNotFound", f"Cluster {cluster} not found.", cluster)
    return c


def require_image_managed(call: Call, cluster: str) -> Cluster:
    c = require_cluster(call, cluster)
    if not c.image_managed:
        raise invalid_argument(
            f"{LIFECYCLE}.ClusterNotManagedBySingleImage",
            f"Cluster {c.name} ({cluster}) is not managed with a single software specification.",
            cluster,
        )
    return c


def require_desired(call: Call, cluster: str) -> Commit:
    """The latest commit of an image-managed cluster."""
    require_image_managed(call, cluster)
    commit = call.app.desired.latest_commit(cluster)
    if commit is None:
        raise not_found(
            f"{LIFECYCLE}.DesiredStateNotFound", f"Cluster {cluster} has no desired software document.", cluster
        )
    return commit


def require_commit(call: Call, cluster: str, commit_id: str) -> Commit:
    commit = call.app.desired.commit(cluster, int(commit_id)) if commit_id.isdigit() else None
    if commit is None:
        raise not_found(f"{LIFECYCLE}.CommitNotFound", f"Commit {commit_id} of cluster {cluster} not found.", commit_id)
    return commit


def require_draft(call: Call, cluster: str, draft_id: str) -> Draft:
    # drafts are allowed on a baseline cluster too: that is how it gets the
    # desired document it needs to become image-managed
    require_cluster(call, cluster)
    draft = call.app.desired.draft(cluster, draft_id)
    if draft is None:
        raise not_found(f"{LIFECYCLE}.DraftNotFound", f"Draft {draft_id} of cluster {cluster} not found.", draft_id)
    return draft


def require_host(call: Call, host: str) -> Host:
    h = call.app.inventory.host(host)
    if h is None:
        raise not_found(f"{LIFECYCLE}.HostNotFound", f"Host {host} not found.", host)
    return h


def require_idle(call: Call, cluster: str) -> None:
    """NotAllowedInCurrentState while a lifecycle operation runs on the cluster."""
    busy = call.app.tasks.running_on((CLUSTER_TYPE, cluster))
    if busy is not None:
        raise not_allowed(
            f"{LIFECYCLE}.OperationInProgress",
            f"Another operation is in progress on the cluster ({busy.operation}, task {busy.id}).",
            busy.id,
        )


def software_info(spec: SoftwareSpec, call: Call) -> dict[str, Any]:
    """The SoftwareInfo value of a desired document."""
    from vlcmsim.lifecycle.compliance import add_on_info, base_image_info, component_info

    catalog = call.app.depots.catalog()
    info: dict[str, Any] = {
        "base_image": base_image_info(spec.base_image, catalog),
        "components": {n: component_info(n, v, catalog) for n, v in sorted(spec.components.items())},
        "solutions": {},
    }
    add_on = add_on_info(spec.add_on, catalog)
    if add_on:
        info["add_on"] = add_on
    if spec.removed_components:
        info["removed_components"] = {n: {} for n in spec.removed_components}
    return info


def user_name(call: Call) -> str:
    return call.user.name if call.user else "vlcmsim"
