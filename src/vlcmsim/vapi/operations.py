"""The operation table: one entry per vAPI operation, shared by every wire.

A service module declares its handlers with `OperationSet.operation`; the
model supplies inputs, output, task result and REST binding. A handler takes a
`Call` and its decoded inputs as keyword arguments, returns a domain value or
raises a `VapiError`. It never knows which wire called it.

    ops = OperationSet()

    @ops.operation("com.vmware.vcenter.cluster", "list")
    async def list_clusters(call: Call[Backend], filter: dict | None = None) -> list[dict]: ...
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from vlcmsim.vapi.auth import User
from vlcmsim.vapi.errors import VapiError, unauthenticated, unauthorized
from vlcmsim.vapi.model import TD, OperationSpec, model

B = TypeVar("B")


# the operation the request being answered invoked (for its log line and metrics)
current_operation: ContextVar[str] = ContextVar("vlcmsim_operation", default="")


class Privilege(enum.Enum):
    NONE = "none"  # no session needed (login)
    READ = "read"
    WRITE = "write"


@dataclass
class Call(Generic[B]):
    """One call of one operation: who calls, on which backend."""

    backend: B
    operation: OperationSpec | None = None
    user: User | None = None
    session_id: str | None = None
    # said by the handler of an operation stored "when said": this answer reads only the store
    stored: bool = False

    @property
    def task_user(self) -> str | None:
        """The user as task info shows it (``VSPHERE.LOCAL\\Administrator``)."""
        return self.user.display_name if self.user else None

    @property
    def user_name(self) -> str:
        return self.user.name if self.user else "vlcmsim"


Handler = Callable[..., Awaitable[Any]]
ERROR_ID = "com.vmware.vapi.std.errors.error"
UNSUPPORTED_ID = "com.vmware.vapi.std.errors.unsupported"
# what any operation may answer whatever its declaration says (the wire's own errors)
_ALWAYS = frozenset({"unauthenticated", "unauthorized", "service_unavailable", "operation_not_found"})


# How the backend's own failures (a full or unreachable store) become std errors; None: not one of them
Translate = Callable[[Exception], VapiError | None]


@dataclass
class Operation:
    spec: OperationSpec
    handler: Handler
    privilege: Privilege
    translate: Translate | None = None
    # its answer is a function of the store and the caller's session alone (vapi/read_cache.py)
    stored: bool = False
    # ... or is when its handler says so (`call.stored`): an ended task's info, not a running one's
    stored_when_said: bool = False

    @property
    def input_tds(self) -> list[tuple[str, TD]]:
        return [(name, td) for name, td, _ in self.spec.inputs]

    async def invoke(self, call: Call[Any], inputs: dict[str, Any]) -> Any:
        call.operation = self.spec
        current_operation.set(f"{self.spec.service}.{self.spec.operation}")
        try:
            return await self.handler(call, **inputs)
        except VapiError as err:
            raise self.declared(err) from None
        except Exception as exc:
            error = self.translate(exc) if self.translate else None
            if error is None:
                raise
            raise error from exc

    def declared(self, err: VapiError) -> VapiError:
        """The error as the bindings declare the operation may raise it: one they
        do not list becomes the std Error, keeping its messages (the SDK could not
        raise it otherwise) — except an input refused (InvalidArgument) by an
        operation that declares none, which is Unsupported if it declares that
        (a 400 on REST either way: bad input is never a server error)."""
        errors = self.spec.errors
        if not errors or err.error_id in errors or err.name in _ALWAYS or ERROR_ID not in errors:
            return err
        if err.name == "invalid_argument" and UNSUPPORTED_ID in errors:
            return VapiError("unsupported", err.messages, err.data)
        return VapiError("error", err.messages, err.data)

    def authorize(self, call: Call[Any]) -> None:
        if self.privilege is Privilege.NONE:
            return
        if call.user is None:
            raise unauthenticated()
        if self.privilege is Privilege.WRITE and not call.user.can_write:
            raise unauthorized(
                f"User {call.user.name} does not have the privilege to call {self.spec.service}.{self.spec.operation}."
            )


class OperationSet:
    """The handlers one service module declares."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str, Privilege, Handler]] = []
        self.stored: set[tuple[str, str]] = set()
        self.stored_when_said: set[tuple[str, str]] = set()

    def operation(
        self,
        service: str,
        operation: str,
        privilege: Privilege = Privilege.READ,
        stored: bool = False,
        stored_when_said: bool = False,
    ) -> Callable[[Handler], Handler]:
        """`stored`: the answer reads only the store (no clock, no host's live state, no
        file), so a repeated read may be answered again while nothing was committed;
        `stored_when_said`: so is an answer whose handler sets `call.stored`."""

        def register(fn: Handler) -> Handler:
            self.entries.append((service, operation, privilege, fn))
            if stored:
                self.stored.add((service, operation))
            if stored_when_said:
                self.stored_when_said.add((service, operation))
            return fn

        return register


class OperationTable:
    """Every declared operation; refuses at start one the model does not know."""

    def __init__(self, sets: Iterable[OperationSet], translate: Translate | None = None) -> None:
        self.by_id: dict[tuple[str, str], Operation] = {}
        m = model()
        for s in sets:
            for service, operation, privilege, fn in s.entries:
                spec = m.operations.get((service, operation))
                if spec is None:
                    raise KeyError(f"{service}.{operation} is not in the model")
                key = (service, operation)
                self.by_id[key] = Operation(spec, fn, privilege, translate, key in s.stored, key in s.stored_when_said)
        # second REST forms of the same operations (the router serves them too)
        self.aliases = [
            Operation(alias, op.handler, op.privilege, translate, op.stored, op.stored_when_said)
            for alias in m.aliases
            if (op := self.by_id.get((alias.service, alias.operation))) is not None
        ]

    def get(self, service: str, operation: str) -> Operation | None:
        return self.by_id.get((service, operation))

    def __iter__(self) -> Iterator[Operation]:
        return iter(self.by_id.values())
