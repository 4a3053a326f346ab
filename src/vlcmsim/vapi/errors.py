"""The vAPI standard errors (com.vmware.vapi.std.errors) and their HTTP statuses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STD_PREFIX = "com.vmware.vapi.std.errors."

# vCenter's statuses (OpenAPI 9.1 / REST guide) where they differ from the
# Python runtime's map: TimedOut, ResourceInaccessible and
# UnableToAllocateResource are 500 there, Canceled is 400.
HTTP_STATUS: dict[str, int] = {
    "already_exists": 400,
    "already_in_desired_state": 400,
    "canceled": 400,
    "concurrent_change": 409,
    "error": 500,
    "feature_in_use": 400,
    "internal_server_error": 500,
    "invalid_argument": 400,
    "invalid_element_configuration": 400,
    "invalid_element_type": 400,
    "invalid_request": 400,
    "not_allowed_in_current_state": 400,
    "not_found": 404,
    "operation_not_found": 404,
    "resource_busy": 400,
    "resource_in_use": 400,
    "resource_inaccessible": 500,
    "service_unavailable": 503,
    "timed_out": 500,
    "unable_to_allocate_resource": 500,
    "unauthenticated": 401,
    "unauthorized": 403,
    "unexpected_input": 500,
    "unsupported": 400,
    "unverified_peer": 500,
}


@dataclass(frozen=True)
class Message:
    """A vapi.std.LocalizableMessage."""

    id: str
    default_message: str
    args: tuple[str, ...] = ()

    def as_value(self) -> dict[str, Any]:
        return {"id": self.id, "default_message": self.default_message, "args": list(self.args)}


@dataclass
class VapiError(Exception):
    """A std error raised by a handler or by the wire machinery.

    `name` is the short std error name (``not_found``); the canonical id is
    ``com.vmware.vapi.std.errors.<name>``.
    """

    name: str
    messages: list[Message] = field(default_factory=list)
    data: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        super().__init__(self.text)

    @property
    def error_id(self) -> str:
        return STD_PREFIX + self.name

    @property
    def error_type(self) -> str:
        return self.name.upper()

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.name, 500)

    @property
    def text(self) -> str:
        return self.messages[0].default_message if self.messages else self.error_type

    def as_value(self) -> dict[str, Any]:
        """The error as a domain value of its struct type."""
        value: dict[str, Any] = {
            "messages": [m.as_value() for m in self.messages],
            "error_type": self.error_type,
        }
        if self.data is not None:
            value["data"] = self.data
        return value

    @classmethod
    def from_value(cls, error_id: str, value: dict[str, Any]) -> VapiError:
        name = error_id.removeprefix(STD_PREFIX)
        messages = [
            Message(m["id"], m["default_message"], tuple(m.get("args") or ())) for m in value.get("messages", [])
        ]
        return cls(name, messages, value.get("data"))


def _error(name: str, msg_id: str, text: str, *args: str) -> VapiError:
    return VapiError(name, [Message(msg_id, text, tuple(args))])


def error(msg_id: str, text: str, *args: str) -> VapiError:
    """The std Error (what an operation answers when no narrower error fits)."""
    return _error("error", msg_id, text, *args)


def unable_to_allocate(msg_id: str, text: str, *args: str) -> VapiError:
    return _error("unable_to_allocate_resource", msg_id, text, *args)


def not_found(msg_id: str, text: str, *args: str) -> VapiError:
    return _error("not_found", msg_id, text, *args)


def invalid_argument(msg_id: str, text: str, *args: str) -> VapiError:
    return _error("invalid_argument", msg_id, text, *args)


def already_exists(msg_id: str, text: str, *args: str) -> VapiError:
    return _error("already_exists", msg_id, text, *args)


def invalid_element_type(msg_id: str, text: str, *args: str) -> VapiError:
    return _error("invalid_element_type", msg_id, text, *args)


def not_allowed(msg_id: str, text: str, *args: str) -> VapiError:
    return _error("not_allowed_in_current_state", msg_id, text, *args)


def unauthenticated(text: str = "Authentication required.") -> VapiError:
    return _error("unauthenticated", "com.vmware.vapi.endpoint.method.authentication.required", text)


def unauthorized(text: str) -> VapiError:
    return _error("unauthorized", "vapi.method.authz.denied", text)


def unsupported(msg_id: str, text: str, *args: str) -> VapiError:
    return _error("unsupported", msg_id, text, *args)


def resource_in_use(msg_id: str, text: str, *args: str) -> VapiError:
    return _error("resource_in_use", msg_id, text, *args)


def internal_error(text: str) -> VapiError:
    return _error("error", "com.vmware.vlcmsim.InternalError", text)


def operation_not_found(service: str, operation: str) -> VapiError:
    return _error(
        "operation_not_found",
        "vapi.method.input.invalid.interface" if not operation else "vapi.method.input.invalid.method",
        f"Operation {operation!r} of service {service!r} not found.",
        service,
        operation,
    )


def no_such_resource(path: str) -> VapiError:
    return _error("not_found", "com.vmware.vapi.rest.httpNotFound", f"No resource found at {path}.", path)


def no_matching_method(method: str, path: str) -> VapiError:
    return _error(
        "not_found",
        "com.vmware.vapi.rest.noMatchingMethod",
        f"No matching method available for the requested URL and HTTP method: {method} {path}.",
        method,
        path,
    )
