"""What an HTTP front end serves: one `dispatch` per request, a start and a
stop around the serving, and a bound on request bodies."""

from __future__ import annotations

from typing import Protocol

from vlcmsim.server.upload import UploadSink
from vlcmsim.vapi.errors import Message, VapiError
from vlcmsim.vapi.http import Request, Response, error_response
from vlcmsim.vapi.read_cache import Answer


class Service(Protocol):
    max_body_bytes: int
    body_read_timeout: float
    upload_timeout: float

    async def dispatch(self, req: Request) -> Response: ...

    def cached(self, session_id: str, path: str, query: str) -> Answer | None:
        """A GET's answer, when the same session's same read can be answered again."""
        ...

    def upload_sink(self, method: str, path: str, session_id: str | None) -> UploadSink | None:
        """Where the body of this request streams to, when it is an upload its caller may make."""
        ...

    async def startup(self) -> None: ...

    async def shutdown(self) -> None: ...


def too_slow(seconds: float) -> Response:
    response = error_response(
        VapiError(
            "invalid_request",
            [
                Message(
                    "com.vmware.vlcmsim.RequestTimeout",
                    f"The request body did not arrive within {seconds:g} seconds.",
                    (str(seconds),),
                )
            ],
        )
    )
    response.status = 408
    return response


def too_large(limit: int) -> Response:
    response = error_response(
        VapiError(
            "invalid_request",
            [
                Message(
                    "com.vmware.vlcmsim.RequestTooLarge",
                    f"The request body is larger than {limit} bytes.",
                    (str(limit),),
                )
            ],
        )
    )
    response.status = 413
    return response
