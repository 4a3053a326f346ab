"""The service objects: ServiceInstance (its content names every manager),
SessionManager (the caller's session, every session), views, the managers a
host's configManager names, and what each says of itself."""

from __future__ import annotations

import base64
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from vlcmsim.soap.properties import prop
from vlcmsim.soap.tree import refs
from vlcmsim.soap.vim import API_VERSION, managed_type, moid, vim, vmodl
from vlcmsim.soap.world import World
from vlcmsim.vapi.auth import Session
from vlcmsim.vapi.codec import now

VCENTER = ("8.0.3", "24022515")


@dataclass(frozen=True)
class Caller:
    session: Session | None
    address: str
    user_agent: str


caller: ContextVar[Caller | None] = ContextVar("soap_caller", default=None)

SERVICE = {
    "ServiceInstance": vim.ServiceInstance("ServiceInstance"),
    "SessionManager": vim.SessionManager("SessionManager"),
    "PropertyCollector": vmodl.query.PropertyCollector("propertyCollector"),
    "ViewManager": vim.view.ViewManager("ViewManager"),
    "SearchIndex": vim.SearchIndex("SearchIndex"),
    "TaskManager": vim.TaskManager("TaskManager"),
    "EventManager": vim.event.EventManager("EventManager"),
    "PerformanceManager": vim.PerformanceManager("PerfMgr"),
}


def about(instance_uuid: str) -> Any:
    version, build = VCENTER
    return vim.AboutInfo(
        name="VMware vCenter Server",
        fullName=f"VMware vCenter Server {version} build-{build} (vlcmsim)",
        vendor="VMware, Inc.",
        version=version,
        build=build,
        localeVersion="INTL",
        localeBuild="000",
        osType="linux-x64",
        productLineId="vpx",
        apiType="VirtualCenter",
        apiVersion=API_VERSION,
        instanceUuid=instance_uuid,
        licenseProductName="VMware VirtualCenter Server",
        licenseProductVersion="8.0",
    )


def service_content(w: World) -> Any:
    return vim.ServiceInstanceContent(
        rootFolder=refs.root(),
        propertyCollector=SERVICE["PropertyCollector"],
        viewManager=SERVICE["ViewManager"],
        about=about(w.instance_uuid),
        sessionManager=SERVICE["SessionManager"],
        searchIndex=SERVICE["SearchIndex"],
        taskManager=SERVICE["TaskManager"],
        eventManager=SERVICE["EventManager"],
        perfManager=SERVICE["PerformanceManager"],
    )


def user_session(session: Session, address: str, user_agent: str) -> Any:
    return vim.UserSession(
        key=session.id,
        userName=session.user.display_name,
        fullName=session.user.name,
        loginTime=session.created_time,
        lastActiveTime=session.last_accessed_time,
        locale="en",
        messageLocale="en",
        extensionSession=False,
        ipAddress=address,
        userAgent=user_agent,
        callCount=0,
    )


@prop(vim.ServiceInstance, "content")
def _content(w: World, obj: Any) -> Any:
    return service_content(w)


@prop(vim.ServiceInstance, "serverClock")
def _clock(w: World, obj: Any) -> Any:
    return now()


@prop(vim.ServiceInstance, "capability")
def _capability(w: World, obj: Any) -> Any:
    return vim.Capability(
        provisioningSupported=False, multiHostSupported=True, userShellAccessSupported=False, supportedEVCMode=[]
    )


@prop(vim.SessionManager, "currentSession")
def _current_session(w: World, obj: Any) -> Any:
    """Unset for a caller without a valid session (govmomi then logs in again)."""
    c = caller.get()
    if c is None or c.session is None:
        return None
    return user_session(c.session, c.address, c.user_agent)


@prop(vim.SessionManager, "sessionList")
def _session_list(w: World, obj: Any) -> list[Any]:
    c = caller.get()
    if c is None or c.session is None:
        return []
    sessions = w.sessions.active()
    if not c.session.user.can_write:  # a read-only user sees only its own (vCenter asks Sessions.TerminateSession)
        sessions = [s for s in sessions if s.user.name == c.session.user.name]
    return [user_session(s, c.address if s.id == c.session.id else "", "") for s in sessions]


@prop(vim.SessionManager, "defaultLocale")
def _locale(w: World, obj: Any) -> str:
    return "en"


@prop(vim.SessionManager, "supportedLocaleList")
def _locales(w: World, obj: Any) -> list[str]:
    return ["en"]


# -- container views: their id is their definition, any worker answers for them -----------


def container_view(container: Any, types: list[Any], recursive: bool) -> Any:
    names = ",".join(t._wsdlName for t in types)
    raw = "|".join([type(container)._wsdlName, moid(container), names, "1" if recursive else "0"])
    return vim.view.ContainerView("session[vlcmsim]" + base64.urlsafe_b64encode(raw.encode()).decode())


def view_definition(view: Any) -> tuple[Any, list[Any], bool] | None:
    try:
        raw = base64.urlsafe_b64decode(moid(view).removeprefix("session[vlcmsim]")).decode()
        kind, value, names, recursive = raw.split("|")
        return managed_type(kind)(value), [managed_type(n) for n in names.split(",") if n], recursive == "1"
    except (ValueError, KeyError):
        return None


def view_contents(w: World, view: Any) -> list[Any]:
    """A container view's objects: the container's descendants (or children) of its types."""
    definition = view_definition(view)
    if definition is None:
        raise LookupError(moid(view))
    container, types, recursive = definition
    found: list[Any] = []
    visited: set[tuple[str, str]] = set()
    pending = list(w.tree.below(container))
    while pending:
        obj = pending.pop(0)
        k = (type(obj)._wsdlName, moid(obj))
        if k in visited:
            continue
        visited.add(k)
        if not types or any(isinstance(obj, t) for t in types):
            found.append(obj)
        if recursive:
            pending.extend(w.tree.below(obj))
    return found


@prop(vim.view.ContainerView, "view")
def _view(w: World, obj: Any) -> list[Any]:
    return view_contents(w, obj)


@prop(vim.view.ContainerView, "container")
def _container(w: World, obj: Any) -> Any:
    definition = view_definition(obj)
    return definition[0] if definition else None


@prop(vim.view.ContainerView, "type")
def _types(w: World, obj: Any) -> list[str]:
    definition = view_definition(obj)
    return [t._wsdlName for t in definition[1]] if definition else []


@prop(vim.view.ContainerView, "recursive")
def _recursive(w: World, obj: Any) -> bool:
    definition = view_definition(obj)
    return bool(definition and definition[2])


@prop(vim.view.ListView, "view")
def _list_view(w: World, obj: Any) -> list[Any]:
    """A list view's objects: its session's own (ManagedObjectNotFound for another's)."""
    c = caller.get()
    if w.objects is None:
        raise LookupError(moid(obj))
    try:
        return list(w.objects.list_view(obj, c.session.id if c and c.session else None).view)
    except vmodl.fault.ManagedObjectNotFound:
        raise LookupError(moid(obj)) from None
