"""The errors of the vcenter and cis services, built from domain arguments."""

from __future__ import annotations

from vlcmsim.ids import VLCMSIM
from vlcmsim.vapi.errors import (
    VapiError,
    already_exists,
    invalid_argument,
    invalid_element_type,
    not_allowed,
    not_found,
    resource_in_use,
    unable_to_allocate,
    unsupported,
)

HOST = "com.vmware.vcenter.host"


def datacenter_not_found(datacenter: str) -> VapiError:
    return not_found("com.vmware.vcenter.datacenter.NotFound", f"Datacenter {datacenter} not found.", datacenter)


def cluster_not_found(cluster: str) -> VapiError:
    return not_found("com.vmware.vcenter.cluster.NotFound", f"Cluster {cluster} not found.", cluster)


def host_not_found(host: str) -> VapiError:
    return not_found("com.vmware.vcenter.host.NotFound", f"Host {host} not found.", host)


def task_not_found(task: str) -> VapiError:
    return not_found("com.vmware.vapi.std.errors.not_found", f"Task {task} not found.", task)


def task_not_running(task: str) -> VapiError:
    return not_allowed(f"{VLCMSIM}.tasks.NotRunning", f"Task {task} is not running.", task)


def task_not_cancelable(task: str) -> VapiError:
    return unsupported(f"{VLCMSIM}.tasks.NotCancelable", f"Task {task} cannot be canceled.", task)


def folder_required() -> VapiError:
    return invalid_argument(f"{HOST}.FolderRequired", "The folder to add the host to is required.")


def folder_not_found(folder: str) -> VapiError:
    return not_found("com.vmware.vcenter.folder.NotFound", f"Folder {folder} not found.", folder)


def not_a_host_folder(folder: str, kind: str) -> VapiError:
    return invalid_element_type(
        f"{HOST}.NotAHostFolder", f"Folder {folder} is a {kind} folder: hosts go in a datacenter's host folder.", folder
    )


def bad_hostname(hostname: str) -> VapiError:
    return invalid_argument(f"{HOST}.InvalidHostname", f"'{hostname}' is not a host name or address.", hostname)


def host_exists(hostname: str) -> VapiError:
    return already_exists(f"{HOST}.AlreadyExists", f"Host {hostname} is already in the inventory.", hostname)


def host_login_failed(hostname: str, user: str) -> VapiError:
    return invalid_argument(
        f"{HOST}.LoginFailed",
        f"Cannot log in to host {hostname} as '{user}': user name and password are required.",
        hostname,
    )


def bad_thumbprint(hostname: str) -> VapiError:
    return invalid_argument(
        f"{HOST}.InvalidThumbprint",
        f"The thumbprint given for host {hostname} is not a SHA-1 or SHA-256 thumbprint (colon-separated hex bytes).",
        hostname,
    )


def host_busy(host: str, task: str) -> VapiError:
    return resource_in_use(f"{HOST}.InUse", f"Task {task} is running on host {host}.", host, task)


def host_in_service(host: str, cluster: str) -> VapiError:
    return resource_in_use(
        f"{HOST}.InService",
        f"Host {host} serves cluster {cluster}: put it in maintenance mode or disconnect it before removing it.",
        host,
    )


def too_many_matches(found: int, bound: int, what: str) -> VapiError:
    text = f"{found} {what} match the filter, more than the {bound} one list may hold: narrow the filter."
    return unable_to_allocate("com.vmware.vcenter.TooManyMatches", text, str(found), str(bound))
