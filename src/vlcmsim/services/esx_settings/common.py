"""Lookups that answer with vLCM's errors, shared by the esx.settings services."""

from __future__ import annotations

from vlcmsim.backend import Call
from vlcmsim.inventory.model import Cluster, Host
from vlcmsim.lifecycle import errors
from vlcmsim.lifecycle.desired import Commit, Draft, commit_number
from vlcmsim.services.common import CLUSTER_TYPE


def require_cluster(call: Call, cluster: str) -> Cluster:
    c = call.backend.inventory.cluster(cluster)
    if c is None:
        raise errors.cluster_not_found(cluster)
    return c


def require_image_managed(call: Call, cluster: str) -> Cluster:
    c = require_cluster(call, cluster)
    if not c.image_managed:
        raise errors.not_single_image(cluster, c.name)
    return c


def require_desired(call: Call, cluster: str) -> Commit:
    """The latest commit of an image-managed cluster."""
    require_image_managed(call, cluster)
    commit = call.backend.desired.latest_commit(cluster)
    if commit is None:
        raise errors.no_desired_state(cluster)
    return commit


def require_commit(call: Call, cluster: str, commit_id: str) -> Commit:
    number = commit_number(commit_id)
    commit = call.backend.desired.commit(cluster, number) if number is not None else None
    if commit is None:
        raise errors.commit_not_found(cluster, commit_id)
    return commit


def require_draft(call: Call, cluster: str, draft_id: str) -> Draft:
    # drafts are allowed on a baseline cluster too: that is how it gets the
    # desired document it needs to become image-managed
    require_cluster(call, cluster)
    draft = call.backend.desired.draft(cluster, draft_id)
    if draft is None:
        raise errors.draft_not_found(cluster, draft_id)
    return draft


def require_host(call: Call, host: str) -> Host:
    h = call.backend.inventory.host(host)
    if h is None:
        raise errors.host_not_found(host)
    return h


def require_idle(call: Call, cluster: str) -> None:
    """NotAllowedInCurrentState while a lifecycle operation runs on the cluster."""
    busy = call.backend.tasks.running_on((CLUSTER_TYPE, cluster))
    if busy is not None:
        raise errors.operation_in_progress(busy.operation, busy.id)
