"""Who calls: the user and session types the wire adapters hand to handlers,
and the authenticator protocol they depend on (implemented by
`vlcmsim.sessions.Sessions`, kept in the store)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class User:
    name: str
    role: str  # "admin" | "readonly"

    @property
    def can_write(self) -> bool:
        return self.role == "admin"

    @property
    def display_name(self) -> str:
        """How vCenter shows a user in task info: ``VSPHERE.LOCAL\\Administrator``."""
        local, _, domain = self.name.partition("@")
        return f"{domain.upper()}\\{local.capitalize() if local == 'administrator' else local}"


@dataclass
class Session:
    id: str
    user: User
    created_time: datetime
    last_accessed_time: datetime


class Authenticator(Protocol):
    def authenticate(self, username: str, password: str, client: str = "") -> User:
        """The user these credentials name, or raise Unauthenticated."""
        ...

    def lookup(self, session_id: str) -> Session | None:
        """The live session with this id (touching it), or None."""
        ...
