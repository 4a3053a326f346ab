"""/sdk: vSphere's SOAP (vim25) endpoint. A request is decoded by pyVmomi's
deserializer from the types its method declares, answered by a method of
`METHODS` (or MethodNotFound, as vCenter answers a method it lacks) and
encoded by pyVmomi's serializer — faults included.

A SOAP login is a vlcmsim session: the `vmware_soap_session` cookie carries
the same id a REST client sends as `vmware-api-session-id`, either way. The
work of a call runs in a thread: a big retrieval never holds the others up."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from vlcmsim.sessions import Sessions
from vlcmsim.soap import (
    collector,
    entities,
    esxcli,
    events,
    history,
    hostsystem,
    machines,
    performance,
    properties,
    search,
    tasks,
)
from vlcmsim.soap.history import Histories
from vlcmsim.soap.host_tasks import HostTasks
from vlcmsim.soap.services import (
    SERVICE,
    Caller,
    caller,
    container_view,
    service_content,
    user_session,
    view_definition,
)
from vlcmsim.soap.session_objects import DEFAULT_COLLECTOR, SessionObjects, not_found
from vlcmsim.soap.vim import moid, property_names, vim, vmodl
from vlcmsim.soap.wire import BadRequest, Call, UnknownMethod, decode, fault, invalid_request, result
from vlcmsim.soap.world import World
from vlcmsim.store.changes import SHARED_RECHECK_SECONDS, changes
from vlcmsim.vapi.auth import Session
from vlcmsim.vapi.codec import now
from vlcmsim.vapi.errors import VapiError
from vlcmsim.vapi.http import Request, Response
from vlcmsim.vapi.operations import current_operation

log = logging.getLogger(__name__)

COOKIE = "vmware_soap_session"
SDK = "/sdk"
VERSIONS = ("8.0.3.0", "8.0.2.0", "8.0.1.0", "8.0.0.0", "7.0.3.0", "7.0.2.0", "7.0.1.0", "7.0.0.0", "6.7.3", "6.7")
NO_SESSION_NEEDED = {"RetrieveServiceContent", "Login", "CurrentTime"}
# a read that names a service object's property answers without a session (govmomi reads currentSession)
ANONYMOUS_READS = {"RetrievePropertiesEx", "RetrieveProperties"}
XML = [(b"content-type", b"text/xml; charset=utf-8")]
MAX_WAIT_SECONDS = 600.0

Handler = Callable[["Context", Call], Any]


class Context:
    """One call: the world, the caller's session, the objects sessions hold."""

    def __init__(self, endpoint: SoapEndpoint, session: Session | None, req: Request) -> None:
        self.endpoint = endpoint
        self.world = endpoint.world
        self.objects = endpoint.objects
        self.session = session
        self.req = req
        self.cookie: str | None = None

    @property
    def sid(self) -> str:
        assert self.session is not None
        return self.session.id

    @property
    def user(self) -> str:
        return self.session.user.name if self.session else ""

    def require_write(self) -> None:
        if self.session is None or not self.session.user.can_write:
            raise vim.fault.NoPermission(
                msg=f"Permission to perform this operation was denied ({self.user or 'no session'} is read-only).",
                privilegeId="Host.Config.Maintenance",
            )

    def exists(self, obj: Any) -> bool:
        return self.endpoint.exists(obj, self.session)


class SoapEndpoint:
    def __init__(self, sessions: Sessions, world: World, host_tasks: HostTasks, secure_cookie: bool = True) -> None:
        self.sessions = sessions
        self.world = world
        self.objects = SessionObjects()
        world.objects = self.objects
        self.histories = Histories(world, self.objects)
        self.host_tasks = host_tasks
        self.secure_cookie = secure_cookie

    def handles(self, path: str) -> bool:
        return path == SDK or path.startswith(SDK + "/")

    async def handle(self, req: Request) -> Response:
        if req.path.rstrip("/") == f"{SDK}/vimServiceVersions.xml" and req.method == "GET":
            return Response(200, versions(), list(XML))
        if req.path.rstrip("/") != SDK or req.method != "POST":
            return Response(404, b"", [])
        try:
            call = decode(req.body, req.header(b"soapaction"))
        except UnknownMethod as unknown:
            current_operation.set(unknown.name)
            error = vmodl.fault.MethodNotFound(
                msg=f"Method {unknown.name} is not known.", method=unknown.name, receiver=SERVICE["ServiceInstance"]
            )
            return Response(500, fault(error), list(XML))
        except BadRequest as bad:
            log.info("refused a SOAP request: %s", str(bad)[:200])
            return Response(500, invalid_request(str(bad)[:500]), list(XML))
        except RecursionError:
            return Response(500, invalid_request("The request nests too deep."), list(XML))
        current_operation.set(call.name)
        session = self._session(req)
        ctx = Context(self, session, req)
        token = caller.set(Caller(session, _address(req), req.header(b"user-agent") or ""))
        try:
            value = await self._call(ctx, call)
            body = result(call, value)
        except vmodl.MethodFault as error:
            return Response(500, fault(error, call.version), list(XML))
        except properties.PropertyFailed as failed:
            return Response(
                500, fault(vmodl.fault.SystemError(msg=str(failed), reason=str(failed)), call.version), list(XML)
            )
        except VapiError as err:
            kind = vim.fault.InvalidLogin if err.name == "unauthenticated" else vmodl.fault.SystemError
            return Response(500, fault(kind(msg=err.text), call.version), list(XML))
        except (TypeError, ValueError, AttributeError) as exc:  # arguments of the wrong shape
            log.info("%s refused: %s", call.name, str(exc)[:200])
            return Response(500, invalid_request(f"The request's arguments are not valid: {exc}"[:500]), list(XML))
        finally:
            caller.reset(token)
        headers = list(XML)
        if ctx.cookie is not None:
            secure = "; Secure" if self.secure_cookie else ""
            headers.append((b"set-cookie", f'{COOKIE}="{ctx.cookie}"; Path=/; HttpOnly{secure}'.encode()))
        return Response(200, body, headers)

    def _session(self, req: Request) -> Session | None:
        for part in (req.header(b"cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE:
                return self.sessions.lookup(value.strip('"'))
        sid = req.header(b"vmware-api-session-id")
        return self.sessions.lookup(sid) if sid else None

    async def _call(self, ctx: Context, call: Call) -> Any:
        handler = METHODS.get(call.name)
        if handler is None:
            raise vmodl.fault.MethodNotFound(
                msg=f"The method {call.name} is not implemented by vlcmsim.", receiver=call.this, method=call.name
            )
        if ctx.session is None and call.name not in NO_SESSION_NEEDED and not self._anonymous(call):
            raise vim.fault.NotAuthenticated(
                msg="The session is not authenticated.", object=call.this, privilegeId="System.View"
            )
        if not self.exists(call.this, ctx.session):
            raise not_found(call.this)
        outcome = handler(ctx, call)
        if asyncio.iscoroutine(outcome):
            return await outcome
        return outcome

    def _anonymous(self, call: Call) -> bool:
        """govmomi checks a saved session by reading SessionManager.currentSession: answered
        (unset) without a session, so that it logs in again instead of failing."""
        if call.name not in ANONYMOUS_READS:
            return False
        for spec in call.args.get("specSet") or []:
            for obj_spec in spec.objectSet or []:
                if not isinstance(obj_spec.obj, vim.SessionManager) or obj_spec.selectSet:
                    return False
            for p in spec.propSet or []:
                if any(path != "currentSession" for path in p.pathSet or []):
                    return False
        return True

    def exists(self, obj: Any, session: Session | None) -> bool:
        if any(moid(obj) == moid(s) and type(obj) is type(s) for s in SERVICE.values()):
            return True
        if isinstance(obj, vmodl.query.PropertyCollector):
            return (
                session is not None
                and (session.id, moid(obj)) in self.objects.collectors
                or (moid(obj) == DEFAULT_COLLECTOR)
            )
        if isinstance(obj, vmodl.query.PropertyCollector.Filter):
            return moid(obj) in self.objects.filters
        if isinstance(obj, vim.view.ListView):
            return moid(obj) in self.objects.list_views
        if isinstance(obj, vim.view.ContainerView):
            return view_definition(obj) is not None
        if isinstance(obj, vim.HistoryCollector):
            return moid(obj) in self.objects.histories
        if isinstance(obj, vim.Task):
            return self.world.tasks.get(moid(obj)) is not None
        if isinstance(obj, esxcli.Executer | esxcli.TypeManager):
            owner = esxcli.host_of(obj)
            return owner is not None and self.world.inventory.host(owner) is not None
        if isinstance(obj, vim.host.ImageConfigManager | vim.option.OptionManager):
            host = moid(obj).rsplit("-host-", 1)
            return len(host) == 2 and self.world.inventory.host(f"host-{host[1]}") is not None
        return self.world.tree.exists(obj)


# -- the methods -----------------------------------------------------------------------


def _in_thread(fn: Callable[[], Any]) -> Awaitable[Any]:
    """Work that reads many objects runs beside the loop: other clients are answered meanwhile."""
    return asyncio.to_thread(contextvars.copy_context().run, fn)


def retrieve_service_content(ctx: Context, call: Call) -> Any:
    return service_content(ctx.world)


def current_time(ctx: Context, call: Call) -> Any:
    return now()


def login(ctx: Context, call: Call) -> Any:
    user = ctx.endpoint.sessions.authenticate(
        str(call.args.get("userName", "")), str(call.args.get("password", "")), ctx.req.client
    )
    created = ctx.endpoint.sessions.create(user)
    ctx.cookie = created.id
    ctx.world.events.post(
        "UserLoginSessionEvent",
        f"User {user.display_name}@{_address(ctx.req)} logged in as {ctx.req.header(b'user-agent') or 'unknown'}",
        user=user.display_name,
        details={
            "ipAddress": _address(ctx.req),
            "userAgent": ctx.req.header(b"user-agent") or "",
            "locale": "en",
            "sessionId": created.id,
        },
    )
    return user_session(created, _address(ctx.req), ctx.req.header(b"user-agent") or "")


def logout(ctx: Context, call: Call) -> Any:
    assert ctx.session is not None
    _end_session(ctx, ctx.session)
    return None


def _end_session(ctx: Context, session: Session) -> None:
    ctx.endpoint.sessions.delete(session.id)
    ctx.objects.forget_session(session.id)
    ctx.world.events.post(
        "UserLogoutSessionEvent",
        f"User {session.user.display_name} logged out",
        user=session.user.display_name,
        details={"sessionId": session.id},
    )


def terminate_session(ctx: Context, call: Call) -> Any:
    ctx.require_write()
    keys = set(call.args.get("sessionId") or [])
    for session in ctx.endpoint.sessions.active():
        if session.id in keys:
            if session.id == ctx.sid:
                raise vmodl.fault.InvalidArgument(
                    msg="A session cannot terminate itself: log out.", invalidProperty="sessionId"
                )
            _end_session(ctx, session)
            keys.discard(session.id)
    if keys:
        raise vim.fault.NotFound(msg=f"No session {sorted(keys)[0]}.")
    return None


def session_is_active(ctx: Context, call: Call) -> Any:
    ctx.require_write()
    found = ctx.endpoint.sessions.lookup(str(call.args.get("sessionID", "")))
    return found is not None and found.user.name == str(call.args.get("userName", ""))


def create_container_view(ctx: Context, call: Call) -> Any:
    container = call.args.get("container")
    if container is None or not ctx.exists(container):
        raise (
            not_found(container)
            if container is not None
            else vmodl.fault.InvalidArgument(msg="No container.", invalidProperty="container")
        )
    return container_view(container, list(call.args.get("type") or []), bool(call.args.get("recursive")))


def create_list_view(ctx: Context, call: Call) -> Any:
    objects = [o for o in call.args.get("obj") or [] if ctx.exists(o)]
    view = ctx.objects.create_list_view(ctx.sid, objects)
    changes.notify()
    return view


def modify_list_view(ctx: Context, call: Call) -> Any:
    view = ctx.objects.list_view(call.this, ctx.sid)
    add = [o for o in call.args.get("add") or [] if ctx.exists(o)]
    missing = [o for o in call.args.get("add") or [] if not ctx.exists(o)]
    remove = {(type(o), moid(o)) for o in call.args.get("remove") or []}
    kept = [o for o in view.view if (type(o), moid(o)) not in remove]
    known = {(type(o), moid(o)) for o in kept}
    view.view = kept + [o for o in add if (type(o), moid(o)) not in known]
    changes.notify()  # a filter that traverses the view sees its new objects
    return missing


def reset_list_view(ctx: Context, call: Call) -> Any:
    view = ctx.objects.list_view(call.this, ctx.sid)
    wanted = list(call.args.get("obj") or [])
    view.view = [o for o in wanted if ctx.exists(o)]
    changes.notify()
    return [o for o in wanted if not ctx.exists(o)]


def destroy_view(ctx: Context, call: Call) -> Any:
    if ctx.session is not None:
        ctx.objects.destroy(call.this, ctx.sid)
    return None


async def retrieve_properties_ex(ctx: Context, call: Call) -> Any:
    specs = list(call.args.get("specSet") or [])
    found = await _in_thread(lambda: _contents(ctx, specs))
    if not found:
        return None
    options = call.args.get("options")
    size = int(options.maxObjects or 0) if options is not None else 0
    if size <= 0 or len(found) <= size:
        return vmodl.query.PropertyCollector.RetrieveResult(objects=found)
    pages = [found[i : i + size] for i in range(0, len(found), size)]
    token = ctx.objects.keep_pages(ctx.sid, pages[1:])
    return vmodl.query.PropertyCollector.RetrieveResult(objects=pages[0], token=token)


def _contents(ctx: Context, specs: list[Any]) -> list[Any]:
    try:
        return collector.contents(ctx.world, specs, ctx.exists)
    except collector.TooMuchWork:
        raise vmodl.fault.InvalidArgument(
            msg=f"The specification would visit more than {collector.MAX_VISITS} objects: narrow it.",
            invalidProperty="specSet",
        ) from None


async def retrieve_properties(ctx: Context, call: Call) -> Any:
    specs = list(call.args.get("specSet") or [])
    return await _in_thread(lambda: _contents(ctx, specs))


def continue_retrieve(ctx: Context, call: Call) -> Any:
    page, token = ctx.objects.next_page(ctx.sid, str(call.args.get("token", "")))
    return vmodl.query.PropertyCollector.RetrieveResult(objects=page, token=token)


def cancel_retrieve(ctx: Context, call: Call) -> Any:
    ctx.objects.cancel_pages(ctx.sid, str(call.args.get("token", "")))
    return None


def create_property_collector(ctx: Context, call: Call) -> Any:
    return ctx.objects.create_collector(ctx.sid)


def destroy_property_collector(ctx: Context, call: Call) -> Any:
    ctx.objects.destroy_collector(ctx.sid, call.this)
    return None


def create_filter(ctx: Context, call: Call) -> Any:
    spec = call.args.get("spec")
    if spec is None:
        raise vmodl.fault.InvalidArgument(msg="No spec.", invalidProperty="spec")
    for object_spec in spec.objectSet or []:
        if object_spec.obj is not None and not ctx.exists(object_spec.obj):
            raise not_found(object_spec.obj)
    for p in spec.propSet or []:  # a path no object of the type has is refused now, not at the first wait
        for path in p.pathSet or []:
            head = str(path).split(".")[0]
            if p.type is not None and head not in property_names(p.type):
                raise vmodl.query.InvalidProperty(msg=f"{p.type._wsdlName} has no property {path}.", name=path)
    pc = ctx.objects.collector(ctx.sid, call.this)
    return ctx.objects.add_filter(pc, spec, bool(call.args.get("partialUpdates")))


def destroy_filter(ctx: Context, call: Call) -> Any:
    ctx.objects.destroy_filter(ctx.sid, call.this)
    return None


async def wait_for_updates_ex(ctx: Context, call: Call) -> Any:
    options = call.args.get("options")
    max_wait = options.maxWaitSeconds if options is not None else None
    return await _wait(ctx, call, call.args.get("version"), None if max_wait is None else float(max_wait))


async def wait_for_updates(ctx: Context, call: Call) -> Any:
    return await _wait(ctx, call, call.args.get("version"), None)


async def check_for_updates(ctx: Context, call: Call) -> Any:
    return await _wait(ctx, call, call.args.get("version"), 0.0)


async def _wait(ctx: Context, call: Call, version: Any, max_wait: float | None) -> Any:
    """The changes since `version` of every filter of the collector: at once when there are
    some, else when something watched changes (woken by the writer), or None after `max_wait`."""
    pc = ctx.objects.collector(ctx.sid, call.this)
    pc.canceled.clear()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + min(max_wait if max_wait is not None else MAX_WAIT_SECONDS, MAX_WAIT_SECONDS)
    if version in (None, ""):
        for state in pc.filters.values():
            state.reported.clear()
            state.objects.clear()
    while True:
        generation = changes.generation
        filter_updates = await _in_thread(lambda: _updates(ctx, pc, call.version))
        if filter_updates:
            pc.version += 1
            return vmodl.query.PropertyCollector.UpdateSet(version=str(pc.version), filterSet=filter_updates)
        remaining = deadline - loop.time()
        if max_wait == 0 or remaining <= 0:
            return None
        waiter = asyncio.ensure_future(changes.wait(generation, min(remaining, SHARED_RECHECK_SECONDS)))
        canceled = asyncio.ensure_future(pc.canceled.wait())
        done, _ = await asyncio.wait({waiter, canceled}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        canceled.cancel()
        if pc.canceled.is_set():
            pc.canceled.clear()
            raise vmodl.fault.RequestCanceled(msg="The wait was canceled (CancelWaitForUpdates).")
        if ctx.session is not None and ctx.endpoint.sessions.lookup(ctx.sid) is None:
            raise vim.fault.NotAuthenticated(msg="The session ended while waiting.", object=call.this)


def _updates(ctx: Context, pc: Any, version: str) -> list[Any]:
    out = []
    for state in list(pc.filters.values()):
        update = collector.updates(ctx.world, state, ctx.exists, version)
        if update is not None:
            out.append(update)
    return out


def cancel_wait(ctx: Context, call: Call) -> Any:
    ctx.objects.collector(ctx.sid, call.this).canceled.set()
    return None


# -- hosts -------------------------------------------------------------------------------


def enter_maintenance_mode(ctx: Context, call: Call) -> Any:
    ctx.require_write()
    return ctx.endpoint.host_tasks.enter_maintenance_mode(
        call.this, ctx.user, bool(call.args.get("evacuatePoweredOffVms"))
    )


def exit_maintenance_mode(ctx: Context, call: Call) -> Any:
    ctx.require_write()
    return ctx.endpoint.host_tasks.exit_maintenance_mode(call.this, ctx.user)


def reboot_host(ctx: Context, call: Call) -> Any:
    ctx.require_write()
    return ctx.endpoint.host_tasks.reboot(call.this, ctx.user, bool(call.args.get("force")))


def disconnect_host(ctx: Context, call: Call) -> Any:
    ctx.require_write()
    return ctx.endpoint.host_tasks.disconnect(call.this, ctx.user)


def reconnect_host(ctx: Context, call: Call) -> Any:
    ctx.require_write()
    return ctx.endpoint.host_tasks.reconnect(call.this, ctx.user)


def cancel_task(ctx: Context, call: Call) -> Any:
    ctx.require_write()
    record = ctx.world.tasks.get(moid(call.this))
    if record is None:
        raise not_found(call.this)
    if not record.cancelable and not record.service.startswith(tasks.VIM_SERVICE):
        raise vim.fault.InvalidState(msg="The task cannot be canceled.")
    if not ctx.world.tasks.cancel(record.id):
        raise vim.fault.InvalidState(msg="The task has already ended.")
    return None


def fetch_software_packages(ctx: Context, call: Call) -> Any:
    return hostsystem.software_packages(ctx.world, "host-" + moid(call.this).rsplit("-host-", 1)[1])


def get_resource_usage(ctx: Context, call: Call) -> Any:
    if not isinstance(call.this, vim.ClusterComputeResource):
        raise vmodl.fault.InvalidArgument(msg="GetResourceUsage is a method of a cluster.", invalidProperty="_this")
    return entities.resource_usage(ctx.world, call.this)


def image_profile(ctx: Context, call: Call) -> Any:
    """The image profile the host runs: its base image's ("ESXi-8.0.3-24280767-standard")."""
    host = "host-" + moid(call.this).rsplit("-host-", 1)[1]
    version = ctx.world.base_image(host)
    name = f"ESXi-{version.split('-')[0]}-{version.rsplit('.', 1)[-1]}-standard"
    return vim.host.ImageConfigManager.ImageProfileSummary(name=name, vendor="VMware, Inc.")


def acceptance_level(ctx: Context, call: Call) -> Any:
    return "partner"


def query_options(ctx: Context, call: Call) -> Any:
    host = "host-" + moid(call.this).rsplit("-host-", 1)[1]
    name = call.args.get("name")
    return hostsystem.advanced_options(ctx.world, host, str(name) if name else None)


def fetch(ctx: Context, call: Call) -> Any:
    """One property of one object: what pyVmomi's attribute access asks (vSphere 8)."""
    path = str(call.args.get("prop", ""))
    try:
        value = properties.get(ctx.world, call.this, path)
    except properties.InvalidProperty:
        raise vmodl.query.InvalidProperty(
            msg=f"{type(call.this).__name__} has no property {path}.", name=path
        ) from None
    except LookupError:
        raise not_found(call.this) from None
    return collector.typed(call.this, path, value)


METHODS: dict[str, Handler] = {
    "RetrieveServiceContent": retrieve_service_content,
    "CurrentTime": current_time,
    "Login": login,
    "Logout": logout,
    "TerminateSession": terminate_session,
    "SessionIsActive": session_is_active,
    "CreateContainerView": create_container_view,
    "CreateListView": create_list_view,
    "ModifyListView": modify_list_view,
    "ResetListView": reset_list_view,
    "DestroyView": destroy_view,
    "RetrievePropertiesEx": retrieve_properties_ex,
    "RetrieveProperties": retrieve_properties,
    "ContinueRetrievePropertiesEx": continue_retrieve,
    "CancelRetrievePropertiesEx": cancel_retrieve,
    "CreatePropertyCollector": create_property_collector,
    "DestroyPropertyCollector": destroy_property_collector,
    "CreateFilter": create_filter,
    "DestroyPropertyFilter": destroy_filter,
    "WaitForUpdatesEx": wait_for_updates_ex,
    "WaitForUpdates": wait_for_updates,
    "CheckForUpdates": check_for_updates,
    "CancelWaitForUpdates": cancel_wait,
    "EnterMaintenanceMode_Task": enter_maintenance_mode,
    "ExitMaintenanceMode_Task": exit_maintenance_mode,
    "RebootHost_Task": reboot_host,
    "DisconnectHost_Task": disconnect_host,
    "ReconnectHost_Task": reconnect_host,
    "CancelTask": cancel_task,
    "fetchSoftwarePackages": fetch_software_packages,  # vim25 spells this one lower-case
    "HostImageConfigGetProfile": image_profile,
    "GetResourceUsage": get_resource_usage,
    "HostImageConfigGetAcceptance": acceptance_level,
    "QueryOptions": query_options,
    "Fetch": fetch,
}


def _address(req: Request) -> str:
    return req.client.rsplit(":", 1)[0] if req.client else ""


def versions() -> bytes:
    prior = "".join(f"<version>{v}</version>" for v in VERSIONS[1:])
    return (
        '<?xml version="1.0" encoding="UTF-8" ?>\n<namespaces version="1.0"><namespace><name>urn:vim25</name>'
        f"<version>{VERSIONS[0]}</version><priorVersions>{prior}</priorVersions></namespace></namespaces>\n"
    ).encode()


METHODS.update(history.METHODS)
METHODS.update(search.METHODS)
METHODS.update(esxcli.METHODS)
METHODS.update(performance.METHODS)
_REGISTERED = (events, machines, entities, properties)  # their import registers their properties
