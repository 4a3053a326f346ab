"""The RSGI front end (granian's native interface: one call per response)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from vlcmsim.server.service import Service, too_large, too_slow
from vlcmsim.server.upload import UploadTooLarge
from vlcmsim.vapi.http import Request, Response

if TYPE_CHECKING:
    from granian._granian import RSGIHTTPProtocol as HTTPProtocol
    from granian.rsgi import Scope


def request_from_rsgi(scope: Scope, body: bytes) -> Request:
    qs = scope.query_string
    return Request(
        method=scope.method,
        path=scope.path,  # granian has decoded it once already
        query=parse_qsl(qs, keep_blank_values=True) if qs else [],
        headers={k.encode("latin-1"): v.encode("latin-1") for k, v in scope.headers.items()},
        body=body,
        client=scope.client,
        query_string=qs,
    )


class RsgiApp:
    def __init__(self, service: Service) -> None:
        self.service = service

    async def __rsgi__(self, scope: Scope, protocol: HTTPProtocol) -> None:
        if scope.proto != "http":
            return
        headers = scope.headers
        if scope.method == "GET" and "content-length" not in headers and "transfer-encoding" not in headers:
            session_id = headers.get("vmware-api-session-id")  # a poll repeated while nothing changed
            if session_id:
                answer = self.service.cached(session_id, scope.path, scope.query_string)
                if answer is not None:
                    protocol.response_bytes(200, answer.headers, answer.body)
                    return
        limit = self.service.max_body_bytes
        body = b""
        sink = self.service.upload_sink(scope.method, scope.path, scope.headers.get("vmware-api-session-id"))
        if sink is not None:
            try:
                async with asyncio.timeout(self.service.upload_timeout):
                    async for chunk in protocol:
                        sink.write(chunk)
            except (TimeoutError, UploadTooLarge) as exc:
                sink.abort()
                slow = isinstance(exc, TimeoutError)
                return _send(protocol, too_slow(self.service.upload_timeout) if slow else too_large(sink.limit))
            request = request_from_rsgi(scope, b"")
            request.upload = sink.finish()
            return _send(protocol, await self.service.dispatch(request))
        length = headers.get("content-length")
        if length == "0" or (length is None and "transfer-encoding" not in headers):
            pass  # no body: nothing to wait for
        elif length is not None and length.isdigit() and int(length) <= limit:
            try:  # one wait for the whole body, not one per chunk and one more for its end
                async with asyncio.timeout(self.service.body_read_timeout):
                    body = await protocol()
            except TimeoutError:
                return _send(protocol, too_slow(self.service.body_read_timeout))
        else:
            chunks: list[bytes] = []
            size = 0
            try:
                async with asyncio.timeout(self.service.body_read_timeout):
                    async for chunk in protocol:
                        size += len(chunk)
                        if size <= limit:
                            chunks.append(chunk)
            except TimeoutError:
                return _send(protocol, too_slow(self.service.body_read_timeout))
            if size > limit:
                return _send(protocol, too_large(limit))
            body = b"".join(chunks)
        _send(protocol, await self.service.dispatch(request_from_rsgi(scope, body)))


def _send(protocol: HTTPProtocol, response: Response) -> None:
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers]
    if response.file is not None:
        protocol.response_file(response.status, headers, str(response.file))
    else:
        protocol.response_bytes(response.status, headers, response.body)
