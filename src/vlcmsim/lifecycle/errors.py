"""The errors of vLCM (the esx.settings services and the lifecycle runs),
built from domain arguments: message ids and texts are written here once,
the way moto keeps an exceptions module per service."""

from __future__ import annotations

from typing import Any

from vlcmsim.ids import LIFECYCLE
from vlcmsim.inventory.model import owner_text
from vlcmsim.lifecycle.notifications import notification
from vlcmsim.redact import redact
from vlcmsim.vapi.errors import (
    Message,
    VapiError,
    already_exists,
    error,
    invalid_argument,
    not_allowed,
    not_found,
    resource_in_use,
    unsupported,
)

# -- inventory ---------------------------------------------------------------


def cluster_not_found(cluster: str) -> VapiError:
    return not_found(f"{LIFECYCLE}.ClusterNotFound", f"Cluster {cluster} not found.", cluster)


def host_not_found(host: str) -> VapiError:
    return not_found(f"{LIFECYCLE}.HostNotFound", f"Host {host} not found.", host)


def not_single_image(cluster: str, name: str) -> VapiError:
    return invalid_argument(
        f"{LIFECYCLE}.ClusterNotManagedBySingleImage",
        f"Cluster {name} ({cluster}) is not managed with a single software specification.",
        cluster,
    )


def invalid_host(host: str, cluster: str, why: str) -> VapiError:
    return invalid_argument(
        f"{LIFECYCLE}.InvalidHost", f"Host {host} is not part of cluster {cluster}: {why}.", host, cluster
    )


def not_standalone_image_host(host: str, cluster: str | None) -> VapiError:
    """What the host-level operations answer for a host that is not a vLCM
    managed standalone host (a cluster's member, or a host with no image)."""
    where = f"a member of cluster {cluster}: use the cluster's operations" if cluster else "not managed with an image"
    return unsupported(f"{LIFECYCLE}.NotStandaloneImageHost", f"Host {host} is {where}.", host)


def other_datacenter(host: str, cluster: str) -> VapiError:
    return invalid_argument(
        f"{LIFECYCLE}.OtherDatacenter", f"Host {host} and cluster {cluster} are in different datacenters.", host
    )


def operation_in_progress(operation: str, task: str, kind: str = "cluster") -> VapiError:
    return not_allowed(
        f"{LIFECYCLE}.OperationInProgress",
        f"Another operation is in progress on the {kind} ({operation}, task {task}).",
        task,
    )


# -- desired state -------------------------------------------------------------


def no_desired_state(owner: str) -> VapiError:
    text = f"{owner_text(owner, True)} has no desired software document."
    return not_found(f"{LIFECYCLE}.DesiredStateNotFound", text, owner)


def commit_not_found(cluster: str, commit: str) -> VapiError:
    return not_found(f"{LIFECYCLE}.CommitNotFound", f"Commit {commit} of {owner_text(cluster)} not found.", commit)


def invalid_commit(cluster: str, commit: str) -> VapiError:
    return invalid_argument(
        f"{LIFECYCLE}.InvalidCommit", f"Commit {commit} is not a commit of {owner_text(cluster)}.", commit
    )


def draft_not_found(cluster: str, draft: str) -> VapiError:
    return not_found(f"{LIFECYCLE}.DraftNotFound", f"Draft {draft} of {owner_text(cluster)} not found.", draft)


def draft_exists(owner: str, cluster: str, draft: str) -> VapiError:
    return already_exists(
        f"{LIFECYCLE}.DraftAlreadyExists",
        f"User {owner} already has draft {draft} on {owner_text(cluster)}; delete or commit it first.",
        draft,
    )


def add_on_not_set(where: str) -> VapiError:
    """The document (`where`: "the desired state of cluster X", "draft N") has no add-on."""
    return not_found(f"{LIFECYCLE}.AddOnNotFound", f"{where[0].upper()}{where[1:]} has no add-on.", where)


def component_not_named(where: str, component: str) -> VapiError:
    """The image (`where`: "draft N", "alternative image 2 of draft N") does not name the component."""
    text = f"{where[0].upper()}{where[1:]} has no component {component}."
    return not_found(f"{LIFECYCLE}.ComponentNotFound", text, component)


def component_not_carried(where: str, component: str) -> VapiError:
    return not_found(
        f"{LIFECYCLE}.ComponentNotFound",
        f"Neither the base image nor the add-on of {where} carries component {component}.",
        component,
    )


def component_not_removed(where: str, component: str) -> VapiError:
    """The document (`where`: "draft N", "the desired state of cluster X") does not remove the component."""
    text = f"{where[0].upper()}{where[1:]} does not remove component {component}."
    return not_found(f"{LIFECYCLE}.ComponentNotFound", text, component)


def no_hardware_support(where: str) -> VapiError:
    return not_found(
        f"{LIFECYCLE}.HardwareSupportNotFound",
        f"{where[0].upper()}{where[1:]} names no hardware support package.",
        where,
    )


def manager_not_found(manager: str) -> VapiError:
    return not_found(f"{LIFECYCLE}.HardwareSupportManagerNotFound", f"No hardware support manager {manager}.", manager)


def no_such_package(manager: str, pkg: str, version: str) -> VapiError:
    return invalid_argument(
        f"{LIFECYCLE}.HardwareSupportPackageNotFound",
        f"Hardware support manager {manager} offers no package {pkg} version {version}.",
        manager,
        pkg,
        version,
    )


def solution_not_in(where: str, solution: str) -> VapiError:
    text = f"{where[0].upper()}{where[1:]} has no solution {solution}."
    return not_found(f"{LIFECYCLE}.SolutionNotFound", text, solution)


def solution_not_set(cluster: str, solution: str) -> VapiError:
    return not_found(
        f"{LIFECYCLE}.SolutionNotFound",
        f"The desired state of {owner_text(cluster)} has no solution {solution}.",
        solution,
    )


def desired_state_invalid(problems: list[str]) -> VapiError:
    return invalid_argument(
        f"{LIFECYCLE}.DesiredStateInvalid",
        "The desired state is not valid: " + "; ".join(problems) + ".",
        *problems,
    )


def invalid_notification(problem: str) -> dict[str, Any]:
    """One problem of a validation, as the Notification that reports it."""
    return notification("ERROR", f"{LIFECYCLE}.DesiredStateInvalid", problem, retriable=False)


def no_document_to_enable(cluster: str, name: str) -> VapiError:
    return invalid_argument(
        f"{LIFECYCLE}.NoDesiredState",
        f"Cluster {name} ({cluster}) has no desired software document to manage it with.",
        cluster,
    )


def cannot_enable_host(host: str, reasons: str) -> VapiError:
    return not_allowed(
        f"{LIFECYCLE}.CannotEnableHost", f"Host {host} cannot be managed with a single image: {reasons}", host
    )


def invalid_software_spec(why: str) -> VapiError:
    return invalid_argument(f"{LIFECYCLE}.InvalidSoftwareSpec", f"The software specification is not valid: {why}.")


def import_failed(location: str, why: str) -> VapiError:
    return invalid_argument(f"{LIFECYCLE}.ImportFailed", f"Cannot read {location}: {why}.", location)


def import_source_unsupported(source: str) -> VapiError:
    return invalid_argument(
        f"{LIFECYCLE}.ImportSourceUnsupported", f"Source type {source} is not supported by vlcmsim.", source
    )


def nothing_to_export() -> VapiError:
    return invalid_argument(f"{LIFECYCLE}.NothingToExport", "No export type was asked for.")


def no_report(cluster: str, kind: str) -> VapiError:
    """No check or apply (`kind`) has run on the cluster yet."""
    return not_found(
        f"{LIFECYCLE}.ReportNotFound",
        f"No {kind} has run on {owner_text(cluster)} since its desired state exists.",
        cluster,
    )


# -- remediation ---------------------------------------------------------------


def eula_not_accepted() -> VapiError:
    return error(f"{LIFECYCLE}.EulaNotAccepted", "The EULA has not been accepted: set accept_eula to true.")


def already_in_desired_state(cluster: str, commit: int) -> VapiError:
    return VapiError(
        "already_in_desired_state",
        [
            Message(
                f"{LIFECYCLE}.AlreadyInDesiredState",
                f"{owner_text(cluster, True)} already runs commit {commit}.",
                (cluster, str(commit)),
            )
        ],
    )


def run_failed(verb: str, hosts: list[tuple[str, str]]) -> VapiError:
    """`verb` (Stage, Apply) failed on `hosts` (id, name)."""
    names = ", ".join(f"{name} ({host})" for host, name in hosts)
    text = f"{verb} failed on {len(hosts)} host(s): {names}."
    return error(f"{LIFECYCLE}.{verb}Failed", text, *(h for h, _ in hosts))


def entities_failed(what: str, owners: list[str]) -> VapiError:
    """An operation over the inventory (`what`) failed on some of its clusters and hosts."""
    text = f"{what} failed on {len(owners)} cluster(s) or host(s): {', '.join(owners)}."
    return error(f"{LIFECYCLE}.EntitiesFailed", text, *owners)


def host_failed(host_name: str, verb: str, exc: Exception) -> dict[str, Any]:
    """The notification of a host's unexpected failure; an OS error says what, not where."""
    why = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
    return notification(
        "ERROR",
        f"{LIFECYCLE}.HostFailed",
        f"Host {host_name} could not {verb}: {why}.",
        resolution="Check the host's staging area, then try again.",
        retriable=True,
    )


def host_interrupted(host_name: str, verb: str, reason: str) -> dict[str, Any]:
    return notification(
        "ERROR",
        f"{LIFECYCLE}.HostInterrupted",
        f"Host {host_name} did not {verb}: {reason}.",
        resolution="Run the operation again.",
        retriable=True,
    )


# -- depots --------------------------------------------------------------------


def depot_not_found(depot: str) -> VapiError:
    return not_found(f"{LIFECYCLE}.DepotNotFound", f"Depot {depot} not found.", depot)


def depot_exists(depot: str, location: str) -> VapiError:
    return already_exists(
        f"{LIFECYCLE}.DepotAlreadyExists",
        f"The bundle at {location} is already imported, as depot {depot}.",
        depot,
    )


def upload_not_found(file_id: str) -> VapiError:
    return invalid_argument(
        f"{LIFECYCLE}.UploadNotFound", f"No uploaded file {file_id[:64]}: upload the bundle first.", "file_id"
    )


def depot_location_invalid(location: str, why: str = "use http(s):// or file://") -> VapiError:
    shown = redact(location)
    return invalid_argument(f"{LIFECYCLE}.DepotLocationInvalid", f"Invalid depot location {shown}: {why}.", shown)


def depot_download_failed(location: str, why: str) -> VapiError:
    shown = redact(location)
    return invalid_argument(f"{LIFECYCLE}.DepotDownloadFailed", f"Cannot download {shown}: {redact(why)}.", shown)


def depot_invalid(location: str, why: str) -> VapiError:
    return invalid_argument(f"{LIFECYCLE}.DepotInvalid", f"The bundle at {location} is refused: {why}.", location)


def bad_schedule(why: str) -> VapiError:
    return invalid_argument(f"{LIFECYCLE}.InvalidSyncSchedule", f"The sync schedule is not valid: {why}.")


def host_login_failed(host: str) -> VapiError:
    text = f"Cannot log in to host {host}: user name and password are required."
    return invalid_argument(f"{LIFECYCLE}.HostLoginFailed", text, host)


def host_unreachable(host: str, state: str) -> VapiError:
    text = f"Host {host} is {state.lower().replace('_', ' ')}: its image cannot be read."
    return error(f"{LIFECYCLE}.HostUnreachable", text, host)


def umds_not_set() -> VapiError:
    return not_found(f"{LIFECYCLE}.UmdsNotFound", "No UMDS depot is set.")


def sync_failed(depots: list[tuple[str, str]]) -> VapiError:
    """The sync could not read or fetch from these depots (id, why); the others synced."""
    return VapiError(
        "error",
        [Message(f"{LIFECYCLE}.SyncFailed", f"Depot {d} could not be synced: {why}", (d,)) for d, why in depots],
    )


def depot_in_use(depot: str, users: list[str]) -> VapiError:
    return resource_in_use(
        f"{LIFECYCLE}.DepotInUse",
        f"Depot {depot} holds content that {', '.join(users)} needs.",
        *users,
    )


def base_image_not_in_depot(version: str) -> VapiError:
    return not_found(f"{LIFECYCLE}.BaseImageNotFound", f"Base image version {version} is not in any depot.", version)


def add_on_not_in_depot(name: str, version: str) -> VapiError:
    return not_found(f"{LIFECYCLE}.AddOnNotFound", f"Add-on {name} version {version} is not in any depot.", name)


def component_not_in_depot(name: str, version: str) -> VapiError:
    return not_found(f"{LIFECYCLE}.ComponentNotFound", f"Component {name} version {version} is not in any depot.", name)


def alternative_image_not_found(where: str, image: str) -> VapiError:
    text = f"{where[0].upper()}{where[1:]} has no alternative image {image}."
    return not_found(f"{LIFECYCLE}.AlternativeImageNotFound", text, image)


def alternative_image_name_taken(where: str, name: str) -> VapiError:
    return already_exists(
        f"{LIFECYCLE}.AlternativeImageAlreadyExists",
        f"{where[0].upper()}{where[1:]} already has an alternative image named {name!r}.",
        name,
    )


def bad_selection(text: str) -> VapiError:
    return invalid_argument(f"{LIFECYCLE}.InvalidImageSelection", text, "selection_criteria")


def bad_display_name() -> VapiError:
    return invalid_argument(
        f"{LIFECYCLE}.InvalidDisplayName",
        "A display name must have 1 to 256 characters, not only spaces.",
        "display_name",
    )
