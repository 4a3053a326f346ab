"""/sdk: the minimal vSphere SOAP (vim25) endpoint pyVmomi and govc need to
log in and read the inventory — ServiceInstance.RetrieveServiceContent,
SessionManager.Login/Logout, ViewManager.CreateContainerView/DestroyView,
PropertyCollector.RetrieveProperties(Ex)/ContinueRetrievePropertiesEx. Any
other method answers MethodNotFound, as vCenter does for a method it lacks.

A SOAP login is a vlcmsim session: the `vmware_soap_session` cookie carries
the same id a REST client sends as `vmware-api-session-id`, either way."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from vlcmsim.sessions import Sessions
from vlcmsim.soap import xml
from vlcmsim.soap.objects import (
    ROOT,
    SERVICE,
    InvalidProperty,
    ManagedObjects,
    NotFound,
    about_vcenter,
    container_view,
    is_a,
)
from vlcmsim.soap.xml import Array, BadRequest, Data, Mo, as_list, element
from vlcmsim.vapi.auth import Session
from vlcmsim.vapi.errors import VapiError
from vlcmsim.vapi.http import Request, Response

COOKIE = "vmware_soap_session"
SDK = "/sdk"
VERSIONS = ("8.0.3.0", "8.0.2.0", "8.0.1.0", "8.0.0.0", "7.0.3.0", "7.0.2.0", "7.0.1.0", "7.0.0.0", "6.7.3", "6.7")
NO_SESSION_NEEDED = {"RetrieveServiceContent", "Login", "RetrieveInternalContent"}
MAX_PAGES = 1000  # continuation tokens kept at once (the oldest go first)


class Fault(Exception):
    def __init__(self, kind: str, message: str, fields: list[tuple[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.fields = fields or []


class SoapEndpoint:
    def __init__(self, sessions: Sessions, objects: ManagedObjects, instance_uuid: str) -> None:
        self.sessions = sessions
        self.objects = objects
        self.instance_uuid = instance_uuid
        self._pages: dict[str, list[str]] = {}  # continuation token -> the pages still to give

    def handles(self, path: str) -> bool:
        return path == SDK or path.startswith(SDK + "/")

    async def handle(self, req: Request) -> Response:
        if req.path.rstrip("/") == f"{SDK}/vimServiceVersions.xml" and req.method == "GET":
            return Response(200, versions(), [(b"content-type", b"text/xml; charset=utf-8")])
        if req.path.rstrip("/") != SDK or req.method != "POST":
            return Response(404, b"", [])
        headers: list[tuple[bytes, bytes]] = [(b"content-type", b"text/xml; charset=utf-8")]
        try:
            method, args = xml.parse(req.body)
            session = self._session(req)
            if session is None and method not in NO_SESSION_NEEDED:
                raise Fault("NotAuthenticated", "The session is not authenticated.", [("object", args.get("_this"))])
            body, cookie = self._call(method, args, session, req)
            if cookie is not None:
                headers.append((b"set-cookie", f'{COOKIE}="{cookie}"; Path=/; HttpOnly; Secure'.encode()))
            return Response(200, body, headers)
        except BadRequest as exc:
            return Response(500, xml.fault("InvalidRequest", str(exc)), headers)
        except (ValueError, TypeError, AttributeError, KeyError) as exc:  # arguments of the wrong shape
            return Response(500, xml.fault("InvalidRequest", f"The request's arguments are not valid: {exc}"), headers)
        except Fault as f:
            return Response(500, xml.fault(f.kind, f.message, f.fields), headers)
        except VapiError as err:
            return Response(
                500, xml.fault("InvalidLogin" if err.name == "unauthenticated" else "SystemError", err.text), headers
            )

    def _session(self, req: Request) -> Session | None:
        cookie = req.header(b"cookie") or ""
        for part in cookie.split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE:
                return self.sessions.lookup(value.strip('"'))
        sid = req.header(b"vmware-api-session-id")
        return self.sessions.lookup(sid) if sid else None

    # -- methods -------------------------------------------------------------------

    def _call(
        self, method: str, args: dict[str, Any], session: Session | None, req: Request
    ) -> tuple[bytes, str | None]:
        this = args.get("_this")
        if isinstance(this, Mo) and not self.objects.exists(this):
            raise Fault(
                "ManagedObjectNotFound",
                f"The object '{this.type}:{this.value}' has already been deleted or has not been completely created",
                [("obj", this)],
            )
        if method == "RetrieveServiceContent":
            return xml.response(method, element("returnval", self.service_content(), typed=False)), None
        if method == "Login":
            user = self.sessions.authenticate(str(args.get("userName", "")), str(args.get("password", "")), req.client)
            created = self.sessions.create(user)
            return xml.response(method, element("returnval", self.user_session(created, req), typed=False)), created.id
        if method == "Logout":
            assert session is not None
            self.sessions.delete(session.id)
            return xml.response(method, ""), None
        if method == "Fetch":  # one property of one object (what pyVmomi's attribute access asks, vSphere 8)
            assert isinstance(this, Mo)
            prop = str(args.get("prop", ""))
            try:
                value = self._service_property(this, prop, session, req) or self.objects.get(this, prop)
            except InvalidProperty:
                raise Fault("InvalidProperty", f"{this.type} has no property {prop}.", [("name", prop)]) from None
            return xml.response(method, element("returnval", value) if value is not None else ""), None
        if method == "CreateContainerView":
            container = args.get("container")
            if not isinstance(container, Mo) or not self.objects.exists(container):
                raise Fault("ManagedObjectNotFound", "The container does not exist.", [("obj", container)])
            types = [str(t) for t in as_list(args.get("type"))]
            view = container_view(container, types, str(args.get("recursive", "false")).lower() == "true")
            return xml.response(method, element("returnval", view, typed=False)), None
        if method == "DestroyView":
            return xml.response(method, ""), None
        if method in ("RetrievePropertiesEx", "RetrieveProperties"):
            contents = self.retrieve(as_list(args.get("specSet")), session, req)
            if method == "RetrieveProperties":
                return xml.response(method, "".join(f"<returnval>{c}</returnval>" for c in contents)), None
            page = (
                int(str((args.get("options") or {}).get("maxObjects") or 0))
                if isinstance(args.get("options"), dict)
                else 0
            )
            return xml.response(method, self._page(contents, page)), None
        if method == "ContinueRetrievePropertiesEx":
            pages = self._pages.get(str(args.get("token")))
            if pages is None:
                raise Fault(
                    "InvalidArgument",
                    "The token is not known (or its results were all read).",
                    [("invalidProperty", "token")],
                )
            token = str(args.get("token"))
            return xml.response(method, self._next_page(token)), None
        if method == "CancelRetrievePropertiesEx":
            self._pages.pop(str(args.get("token")), None)
            return xml.response(method, ""), None
        raise Fault(
            "MethodNotFound",
            f"The method {method} is not implemented by vlcmsim.",
            [("receiver", this), ("method", method)],
        )

    def _service_property(self, this: Mo, prop: str, session: Session | None, req: Request | None) -> Any:
        """The properties of the service objects themselves (None: not one of them)."""
        if this == SERVICE["ServiceInstance"] and prop == "content":
            return self.service_content()
        if this == SERVICE["ServiceInstance"] and prop == "serverClock":
            return datetime.now(UTC)
        if this == SERVICE["SessionManager"] and prop == "currentSession" and session is not None and req is not None:
            return self.user_session(session, req)
        return None

    def service_content(self) -> Data:
        return Data(
            "ServiceContent",
            [
                ("rootFolder", ROOT),
                ("propertyCollector", SERVICE["PropertyCollector"]),
                ("viewManager", SERVICE["ViewManager"]),
                ("about", about_vcenter(self.instance_uuid)),
                ("sessionManager", SERVICE["SessionManager"]),
                ("searchIndex", SERVICE["SearchIndex"]),
            ],
        )

    def user_session(self, session: Session, req: Request) -> Data:
        now = datetime.now(UTC)
        return Data(
            "UserSession",
            [
                ("key", session.id),
                ("userName", session.user.display_name),
                ("fullName", session.user.name),
                ("loginTime", session.created_time),
                ("lastActiveTime", now),
                ("locale", "en"),
                ("messageLocale", "en"),
                ("extensionSession", False),
                ("ipAddress", req.client.split(":")[0] if req.client else ""),
                ("userAgent", req.header(b"user-agent") or ""),
                ("callCount", 0),
            ],
        )

    # -- the property collector ---------------------------------------------------------

    def retrieve(self, specs: list[Any], session: Session | None = None, req: Request | None = None) -> list[str]:
        """Each selected object's ObjectContent, as XML (obj, then its propSet)."""
        out: list[str] = []
        for spec in specs:
            if not isinstance(spec, dict):
                raise Fault(
                    "InvalidArgument", "A specSet entry is not a PropertyFilterSpec.", [("invalidProperty", "specSet")]
                )
            wanted = [
                (
                    str(p.get("type")),
                    str(p.get("all", "false")).lower() == "true",
                    [str(x) for x in as_list(p.get("pathSet"))],
                )
                for p in as_list(spec.get("propSet"))
                if isinstance(p, dict)
            ]
            seen: list[Mo] = []
            for selection in as_list(spec.get("objectSet")):
                if not isinstance(selection, dict) or not isinstance(selection.get("obj"), Mo):
                    raise Fault(
                        "InvalidArgument", "An objectSet entry names no object.", [("invalidProperty", "objectSet")]
                    )
                named = _named_specs(as_list(selection.get("selectSet")))
                self._visit(
                    selection["obj"],
                    str(selection.get("skip", "false")).lower() == "true",
                    as_list(selection.get("selectSet")),
                    named,
                    seen,
                )
            for obj in seen:
                props: list[str] = []
                matched = False
                for kind, everything, paths in wanted:
                    if is_a(obj.type, kind):
                        matched = True
                        props += self.objects.names(obj) if everything else paths
                if matched:  # an object no PropertySpec names is walked through, not returned
                    out.append(self._content(obj, list(dict.fromkeys(props)), session, req))
        return out

    def _visit(self, obj: Mo, skip: bool, select: list[Any], named: dict[str, dict[str, Any]], seen: list[Mo]) -> None:
        if not self.objects.exists(obj):
            raise Fault("ManagedObjectNotFound", f"The object '{obj.type}:{obj.value}' does not exist.", [("obj", obj)])
        if not skip and obj not in seen:
            seen.append(obj)
        for sel in select:
            if not isinstance(sel, dict):
                continue
            spec = sel if sel.get("path") is not None else named.get(str(sel.get("name")))
            if spec is None or not is_a(obj.type, str(spec.get("type"))):
                continue
            try:
                value = self.objects.get(obj, str(spec.get("path")))
            except InvalidProperty:
                continue
            targets = value.items if isinstance(value, Array) else [value]
            for target in targets:
                if isinstance(target, Mo):
                    self._visit(
                        target,
                        str(spec.get("skip", "false")).lower() == "true",
                        as_list(spec.get("selectSet")),
                        named,
                        seen,
                    )

    def _content(self, obj: Mo, props: list[str], session: Session | None = None, req: Request | None = None) -> str:
        parts = [element("obj", obj, typed=False)]
        for path in props:
            try:
                service = self._service_property(obj, path, session, req) if req is not None else None
                value = service if service is not None else self.objects.get(obj, path)
            except InvalidProperty as exc:
                raise Fault(
                    "InvalidProperty", f"{obj.type} has no property {exc.name}.", [("name", exc.name)]
                ) from None
            except NotFound as exc:
                raise Fault("ManagedObjectNotFound", "The object does not exist.", [("obj", exc.obj)]) from None
            if value is not None:
                parts.append(f"<propSet><name>{path}</name>{element('val', value)}</propSet>")
        return "".join(parts)

    def _page(self, contents: list[str], size: int) -> str:
        if not contents:
            return ""
        if size <= 0 or len(contents) <= size:
            return "<returnval>" + "".join(f"<objects>{c}</objects>" for c in contents) + "</returnval>"
        token = secrets.token_hex(8)
        pages = [
            "".join(f"<objects>{c}</objects>" for c in contents[i : i + size]) for i in range(0, len(contents), size)
        ]
        if len(self._pages) >= MAX_PAGES:
            self._pages.pop(next(iter(self._pages)))
        self._pages[token] = pages
        return self._next_page(token)

    def _next_page(self, token: str) -> str:
        pages = self._pages[token]
        page = pages.pop(0)
        if pages:
            return f"<returnval><token>{token}</token>{page}</returnval>"
        del self._pages[token]
        return f"<returnval>{page}</returnval>"


def _named_specs(select: list[Any]) -> dict[str, dict[str, Any]]:
    """Every TraversalSpec by name, however deep: a SelectionSpec refers to one by its name."""
    named: dict[str, dict[str, Any]] = {}
    pending = list(select)
    while pending:
        spec = pending.pop()
        if isinstance(spec, dict) and spec.get("path") is not None:
            if spec.get("name") and str(spec["name"]) not in named:
                named[str(spec["name"])] = spec
                pending.extend(as_list(spec.get("selectSet")))
    return named


def versions() -> bytes:
    prior = "".join(f"<version>{v}</version>" for v in VERSIONS[1:])
    return (
        '<?xml version="1.0" encoding="UTF-8" ?>\n<namespaces version="1.0"><namespace><name>urn:vim25</name>'
        f"<version>{VERSIONS[0]}</version><priorVersions>{prior}</priorVersions></namespace></namespaces>\n"
    ).encode()
