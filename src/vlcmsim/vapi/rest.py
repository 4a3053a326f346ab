"""REST /api: routes from the operation table, ?action= and vmw-task dispatch,
bare JSON bodies, vCenter's statuses and error bodies."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from vlcmsim.vapi.auth import Authenticator
from vlcmsim.vapi.codec import CLEAN, Frozen, encoder, from_clean
from vlcmsim.vapi.errors import VapiError, invalid_argument, no_matching_method, no_such_resource, unauthenticated
from vlcmsim.vapi.http import Request, Response, error_response
from vlcmsim.vapi.model import TD, model, path_variable
from vlcmsim.vapi.operations import Call, Operation, OperationTable, Privilege
from vlcmsim.vapi.read_cache import ReadCache

log = logging.getLogger(__name__)

SESSION_HEADER = b"vmware-api-session-id"
OFFLOAD_BYTES = 64 * 1024  # bodies larger than this are decoded in a worker thread


@dataclass
class Route:
    """One path template: its literal segments and variable names, and the
    operations bound to it."""

    parts: list[str | None]  # literal segment, or None for a variable
    names: list[str]
    ops: list[Operation] = field(default_factory=list)


Match = tuple[Route, dict[str, str]]  # a template and its variables' values


@dataclass
class _Node:
    """A segment's place in the tree of templates: the literal segments that may come next, the
    variable one, and the templates that end here."""

    literals: dict[str, _Node] = field(default_factory=dict)
    variable: _Node | None = None
    routes: list[Route] = field(default_factory=list)

    def add(self, route: Route) -> None:
        node = self
        for part in route.parts:
            if part is None:
                node.variable = node.variable or _Node()
                node = node.variable
            else:
                node = node.literals.setdefault(part, _Node())
        node.routes.append(route)

    def matches(self, segments: list[str], at: int = 0, values: tuple[str, ...] = ()) -> Iterator[Match]:
        """The templates `segments` fit, a literal segment before a variable at each step (so
        /software/drafts comes before /software/{x}), each with its variables' values."""
        if at == len(segments):
            for route in self.routes:
                yield route, dict(zip(route.names, values, strict=True))
            return
        segment = segments[at]
        literal = self.literals.get(segment)
        if literal is not None:
            yield from literal.matches(segments, at + 1, values)
        if self.variable is not None and segment:
            yield from self.variable.matches(segments, at + 1, (*values, segment))


class Router:
    def __init__(self, table: OperationTable) -> None:
        self.table = table
        by_path: dict[str, Route] = {}
        for op in [*table, *table.aliases]:
            template = op.spec.path
            route = by_path.get(template)
            if route is None:
                parts: list[str | None] = []
                names: list[str] = []
                for seg in template.strip("/").split("/"):
                    if seg.startswith("{") and seg.endswith("}"):
                        parts.append(None)
                        names.append(seg[1:-1])
                    else:
                        parts.append(seg)
                route = by_path[template] = Route(parts, names)
            route.ops.append(op)
        self._tree = _Node()  # one dictionary lookup per segment, not every template of the length tried
        for route in by_path.values():
            self._tree.add(route)
        self._cache: dict[tuple[Any, ...], tuple[Operation, dict[str, str]]] = {}

    def resolve(self, req: Request) -> tuple[Operation, dict[str, str]]:
        key = (req.method, req.path, tuple(req.query))
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        result = self._resolve(req)
        if len(self._cache) >= 4096:
            self._cache.clear()
        self._cache[key] = result
        return result

    def _resolve(self, req: Request) -> tuple[Operation, dict[str, str]]:
        matched = list(self._tree.matches(req.segments))
        if not matched:
            raise no_such_resource(req.path)
        query = dict(req.query)
        task = query.get("vmw-task")
        if task is not None and task.lower() != "true":
            raise invalid_argument("com.vmware.vapi.rest.badRequest", 'Invalid value for "vmw-task" query param.', task)
        for route, values in matched:
            best: Operation | None = None
            best_score = -1
            for op in route.ops:
                if op.spec.method != req.method or op.spec.is_task != (task is not None):
                    continue
                if not all((k in query) if v is None else query.get(k) == v for k, v in op.spec.dispatch.items()):
                    continue
                if "action" in query and "action" not in op.spec.dispatch:
                    continue
                score = len(op.spec.dispatch)
                if score > best_score:
                    best, best_score = op, score
            if best is not None:
                return best, values
        raise no_matching_method(req.method, req.path)


class RestAdapter:
    def __init__(self, table: OperationTable, auth: Authenticator, backend: Any) -> None:
        self.auth = auth
        self.backend = backend
        self.router = Router(table)
        self.read_cache: ReadCache | None = None  # set by the App when repeated reads may be answered again

    async def handle(self, req: Request) -> Response:
        try:
            op, path_values = self.router.resolve(req)
            # a GET with a body (the SDK's filters) is not keyed by its body: it always goes the full way
            stored = op.stored or op.stored_when_said
            cache = self.read_cache if stored and req.method == "GET" and not req.body else None
            # the generation before the session is checked: a logout after the check moves it
            generation = cache.generation() if cache is not None else 0
            call = self.authenticate(req, op)
            op.authorize(call)
            if len(req.body) > OFFLOAD_BYTES:  # a large body is decoded off the event loop
                inputs = await asyncio.to_thread(self._decode_inputs, op, req, path_values)
            else:
                inputs = self._decode_inputs(op, req, path_values)
            value = await op.invoke(call, inputs)
            response = self._encode(op, value)
            if cache is not None and call.session_id and (op.stored or call.stored):  # (session id: always set)
                name = f"{op.spec.service}.{op.spec.operation}"
                cache.keep(call.session_id, req.path, req.query_string, generation, response, name)
            return response
        except VapiError as err:
            return error_response(err)

    def authenticate(self, req: Request, op: Operation, basic_required: bool = True) -> Call[Any]:
        """Login operations take Basic credentials, every other one the session header."""
        call: Call[Any] = Call(self.backend)
        if op.privilege is Privilege.NONE:
            creds = req.basic_auth()
            if creds is None:
                if basic_required:
                    raise unauthenticated("Authentication required: send Basic credentials.")
                return call
            call.user = self.auth.authenticate(*creds, client=req.client)
            return call
        sid = req.header(SESSION_HEADER)
        if sid:
            session = self.auth.lookup(sid)
            if session is not None:
                call.user, call.session_id = session.user, session.id
        return call

    def _decode_inputs(self, op: Operation, req: Request, path_values: dict[str, str]) -> dict[str, Any]:
        spec = op.spec
        inputs: dict[str, Any] = {}
        body = parse_body(req.body)
        query_inputs = [(n, td) for n, td, where in spec.inputs if where == "query(implicit)"]
        # Unknown query parameters are ignored, as vCenter does (its OpenAPI
        # documents no 400 for most GETs).
        for name, td in query_inputs:
            value = query_struct(td, req.query, name)
            if value is not None:
                inputs[name] = value
        for name, td, where in spec.inputs:
            if where == "path":
                inputs[name] = from_clean(td, path_values[path_variable(spec.path, name)], name)
        if spec.body == "single-param":
            name = spec.body_param or ""
            td = next(td for n, td, _ in spec.inputs if n == name)
            if body is NO_BODY:
                if td["kind"] != "optional":
                    raise invalid_argument("com.vmware.vapi.rest.missingBody", "The request body is required.", name)
            else:
                value = from_clean(td, body, "")
                if value is not None:
                    inputs[name] = value
        elif body is not NO_BODY and body is not None:
            # object of parameters: the documented form for cis.tasks list, and
            # what the SDK's REST client sends for GETs ({} or {"filter": ...}).
            if not isinstance(body, dict):
                raise invalid_argument("com.vmware.vapi.rest.badRequest", "The request body must be a JSON object.", "")
            params = {n: td for n, td, where in spec.inputs if where in ("body-field", "query(implicit)", "body")}
            for key, raw in body.items():
                if key not in params:
                    raise invalid_argument(
                        "vapi.bindings.typeconverter.unexpected.field",
                        f"Unexpected field '{key}' in request.",
                        key,
                    )
                value = from_clean(params[key], raw, key)
                if value is not None:
                    inputs[key] = value
        for name, td, _ in spec.inputs:  # a body of null, or an object without a required parameter
            if name not in inputs and td["kind"] != "optional":
                raise invalid_argument(
                    "com.vmware.vapi.rest.missingInput", f"Required input '{name}' is missing.", name
                )
        return inputs

    def _encode(self, op: Operation, value: Any) -> Response:
        spec = op.spec
        if spec.is_task:
            return Response(202, orjson.dumps(value))
        if spec.output["kind"] == "void":
            return Response.empty(204)
        encode_output = encoder(spec.output, CLEAN)
        if type(value) is Frozen:  # a value that never changes: its bytes are written once
            body = value.memo(("rest", spec.service, spec.operation), lambda v: orjson.dumps(encode_output(v)))
        else:
            body = orjson.dumps(encode_output(value))
        return Response(spec.success_status, body)


NO_BODY: Any = object()


def parse_body(raw: bytes) -> Any:
    if not raw.strip():
        return NO_BODY
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise invalid_argument("com.vmware.vapi.rest.badRequest", f"Invalid JSON in request body: {exc}.", "") from None


def _struct_td(td: TD) -> TD:
    return td["element"] if td["kind"] == "optional" else td


def query_struct(td: TD, query: list[tuple[str, str]], where: str) -> Any:
    """A struct input form-exploded into the query string: one parameter per field,
    repeated for lists and sets."""
    if not query:
        return None
    inner_td = _struct_td(td)
    if inner_td["kind"] != "struct":  # a scalar input named in the query (drafts.import_from_host's `host`)
        values = [v for k, v in query if k == where]
        if not values:
            return None
        if inner_td["kind"] in ("list", "set"):
            return from_clean(inner_td, [_query_scalar(inner_td["element"], v, where) for v in values], where)
        return from_clean(inner_td, _query_scalar(inner_td, values[0], where), where)
    st = model().struct(inner_td["id"])
    raw: dict[str, Any] = {}
    for name, ftd in st.fields:
        values = [v for k, v in query if k == name]
        if not values:
            continue
        inner = _struct_td(ftd)
        if inner["kind"] in ("list", "set"):
            raw[name] = [_query_scalar(inner["element"], v, name) for v in values]
        else:
            if len(values) > 1:
                raise invalid_argument(
                    "com.vmware.vapi.rest.badRequest", f"Query parameter '{name}' given more than once.", name
                )
            raw[name] = _query_scalar(inner, values[0], name)
    if not raw:
        return None
    result: dict[str, Any] = from_clean(_struct_td(td), raw, where)
    return result


def _query_scalar(td: TD, text: str, name: str) -> Any:
    kind = td["kind"]
    if kind == "boolean":
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        raise invalid_argument(
            "vapi.bindings.typeconverter.invalid",
            f"Invalid value for '{name}': expected true or false, got {text!r}.",
            name,
        )
    if kind == "long":
        try:
            return int(text)
        except ValueError:
            raise invalid_argument(
                "vapi.bindings.typeconverter.invalid",
                f"Invalid value for '{name}': expected an integer, got {text!r}.",
                name,
            ) from None
    return text
