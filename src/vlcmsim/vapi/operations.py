"""The operation table: one entry per vAPI operation, shared by every wire.

A service module declares its handlers with `OperationSet.operation`; the
model supplies inputs, output and REST binding. A handler takes a `Call` and
its decoded inputs as keyword arguments, returns a domain value or raises a
`VapiError`. It never knows which wire called it.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vlcmsim.vapi.errors import VapiError, unauthenticated, unauthorized
from vlcmsim.vapi.model import OperationSpec, model

if TYPE_CHECKING:
    from vlcmsim.app import App
    from vlcmsim.auth import User


class Privilege(enum.Enum):
    NONE = "none"  # no session needed (login)
    READ = "read"
    WRITE = "write"


@dataclass
class Call:
    """Who calls, on which application; passed to every handler."""

    app: App
    user: User | None = None
    session_id: str | None = None

    @property
    def task_user(self) -> str | None:
        """The user as task info shows it (``VSPHERE.LOCAL\\Administrator``)."""
        return self.user.display_name if self.user else None


Handler = Callable[..., Awaitable[Any]]


@dataclass
class Operation:
    spec: OperationSpec
    handler: Handler
    privilege: Privilege

    @property
    def input_tds(self) -> list[tuple[str, Any]]:
        return [(name, td) for name, td, _ in self.spec.inputs]

    async def invoke(self, call: Call, inputs: dict[str, Any]) -> Any:
        return await self.handler(call, **inputs)

    def authorize(self, call: Call) -> None:
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

    def operation(
        self, service: str, operation: str, privilege: Privilege = Privilege.READ
    ) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.entries.append((service, operation, privilege, fn))
            return fn

        return register


class OperationTable:
    def __init__(self, sets: Iterable[OperationSet]) -> None:
        self.by_id: dict[tuple[str, str], Operation] = {}
        m = model()
        for s in sets:
            for service, operation, privilege, fn in s.entries:
                spec = m.operations.get((service, operation))
                if spec is None:
                    raise KeyError(f"{service}.{operation} is not in the model")
                self.by_id[(service, operation)] = Operation(spec, fn, privilege)

    def get(self, service: str, operation: str) -> Operation | None:
        return self.by_id.get((service, operation))

    def __iter__(self) -> Any:
        return iter(self.by_id.values())


def require(condition: bool, error: VapiError) -> None:
    if not condition:
        raise error
