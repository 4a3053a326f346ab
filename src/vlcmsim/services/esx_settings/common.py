"""Lookups that answer with vLCM's errors, shared by the esx.settings services.

A desired document belongs to an image owner: a cluster (the
`esx.settings.clusters.*` services) or a standalone host managed with an image
of its own (`esx.settings.hosts.*`). One handler serves both: `for_owners`
registers it under each service, handing it the owner's id."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vlcmsim.backend import Call
from vlcmsim.inventory.model import Host, is_host
from vlcmsim.lifecycle import errors
from vlcmsim.lifecycle.desired import Commit, Draft, commit_number
from vlcmsim.services.common import CLUSTER_TYPE, HOST_TYPE
from vlcmsim.vapi.operations import Handler, OperationSet, Privilege

CLUSTERS = "com.vmware.esx.settings.clusters"
HOSTS = "com.vmware.esx.settings.hosts"


@dataclass(frozen=True)
class Owner:
    """A cluster, or a standalone host, as the owner of a desired document."""

    id: str
    name: str
    image_managed: bool

    @property
    def is_host(self) -> bool:
        return is_host(self.id)

    @property
    def target(self) -> tuple[str, str]:
        """What its tasks name as their target."""
        return (HOST_TYPE if self.is_host else CLUSTER_TYPE, self.id)

    @property
    def kind(self) -> str:
        return "host" if self.is_host else "cluster"


def for_owners(
    ops: OperationSet, service: str, operation: str, privilege: Privilege = Privilege.READ, stored: bool = False
) -> Callable[[Handler], Handler]:
    """Register `fn(call, owner, **inputs)` as `clusters.<service>` (its `cluster`
    input is the owner) and `hosts.<service>` (its `host` input is)."""

    def register(fn: Handler) -> Handler:
        async def on_cluster(call: Call, cluster: str, **inputs: Any) -> Any:
            return await fn(call, cluster, **inputs)

        async def on_host(call: Call, host: str, **inputs: Any) -> Any:
            return await fn(call, host, **inputs)

        ops.operation(f"{CLUSTERS}.{service}", operation, privilege, stored)(on_cluster)
        ops.operation(f"{HOSTS}.{service}", operation, privilege, stored)(on_host)
        return fn

    return register


def require_owner(call: Call, owner: str, image_managed: bool = False) -> Owner:
    """The cluster or standalone host `owner` names. NotFound when there is
    none; a host that is a cluster's member answers Unsupported (its cluster
    owns its image). With `image_managed`: a cluster not managed with a single
    image is InvalidArgument, such a host Unsupported."""
    inventory = call.backend.inventory
    if is_host(owner):
        h = require_host(call, owner)
        if not h.standalone or (image_managed and not h.image_managed):
            raise errors.not_standalone_image_host(owner, h.cluster)
        return Owner(h.id, h.name, h.image_managed)
    c = inventory.cluster(owner)
    if c is None:
        raise errors.cluster_not_found(owner)
    if image_managed and not c.image_managed:
        raise errors.not_single_image(owner, c.name)
    return Owner(c.id, c.name, c.image_managed)


def require_cluster(call: Call, cluster: str) -> Owner:
    return require_owner(call, cluster)


def require_image_managed(call: Call, owner: str) -> Owner:
    return require_owner(call, owner, image_managed=True)


def require_desired(call: Call, owner: str) -> Commit:
    """The latest commit of an image-managed cluster or standalone host."""
    require_image_managed(call, owner)
    commit = call.backend.desired.latest_commit(owner)
    if commit is None:
        raise errors.no_desired_state(owner)
    return commit


def require_commit(call: Call, owner: str, commit_id: str) -> Commit:
    number = commit_number(commit_id)
    commit = call.backend.desired.commit(owner, number) if number is not None else None
    if commit is None:
        raise errors.commit_not_found(owner, commit_id)
    return commit


def require_drafts_owner(call: Call, owner: str) -> Owner:
    """An owner that may have drafts. A baseline cluster may: that is how it gets
    the desired document it needs to become image-managed; a standalone host
    must be image-managed (it gets its first document when it is enabled)."""
    return require_owner(call, owner, image_managed=is_host(owner))


def require_draft(call: Call, owner: str, draft_id: str) -> Draft:
    require_drafts_owner(call, owner)
    draft = call.backend.desired.draft(owner, draft_id)
    if draft is None:
        raise errors.draft_not_found(owner, draft_id)
    return draft


def require_host(call: Call, host: str) -> Host:
    h = call.backend.inventory.host(host)
    if h is None:
        raise errors.host_not_found(host)
    return h


def require_idle(call: Call, owner: str) -> None:
    """NotAllowedInCurrentState while a lifecycle operation runs on the cluster or host."""
    kind = HOST_TYPE if is_host(owner) else CLUSTER_TYPE
    busy = call.backend.tasks.running_on((kind, owner))
    if busy is not None:
        raise errors.operation_in_progress(busy.operation, busy.id, "host" if is_host(owner) else "cluster")
