"""The ASGI front end (uvicorn): reads the body up to the limit, builds the
`Request`, sends the `Response`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from vlcmsim.server.service import Service, too_large, too_slow
from vlcmsim.server.upload import UploadSink, UploadTooLarge
from vlcmsim.vapi.http import Request, Response
from vlcmsim.vapi.read_cache import Answer

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def request_from_scope(scope: Scope, body: bytes) -> Request:
    raw_qs: bytes = scope.get("query_string", b"")
    return Request(
        method=scope["method"],
        path=scope["path"],  # decoded once, as RSGI gives it (see vapi.http)
        query=parse_qsl(raw_qs.decode("latin-1"), keep_blank_values=True) if raw_qs else [],
        # ASGI servers give header names in lower case already
        headers=dict(scope.get("headers", ())),
        body=body,
        client=(scope.get("client") or ("", 0))[0],
        query_string=raw_qs.decode("latin-1"),
    )


class AsgiApp:
    def __init__(self, service: Service) -> None:
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.service.startup()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.service.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _upload(self, scope: Scope, receive: Receive, send: Send, sink: UploadSink) -> None:
        try:
            async with asyncio.timeout(self.service.upload_timeout):
                more = True
                while more:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        sink.abort()
                        return
                    sink.write(message.get("body", b""))
                    more = message.get("more_body", False)
        except (TimeoutError, UploadTooLarge) as exc:
            sink.abort()
            slow = isinstance(exc, TimeoutError)
            await _send(too_slow(self.service.upload_timeout) if slow else too_large(sink.limit), send)
            return
        request = request_from_scope(scope, b"")
        request.upload = sink.finish()
        await _send(await self.service.dispatch(request), send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        session = dict(scope.get("headers", ())).get(b"vmware-api-session-id")
        sink = self.service.upload_sink(scope["method"], scope["path"], session.decode("latin-1") if session else None)
        if sink is not None:
            await self._upload(scope, receive, send, sink)
            return
        limit = self.service.max_body_bytes
        chunks: list[bytes] = []
        size = 0
        more = True
        try:
            async with asyncio.timeout(self.service.body_read_timeout):
                while more:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size <= limit and chunk:
                        chunks.append(chunk)
                    more = message.get("more_body", False)
        except TimeoutError:
            await _send(too_slow(self.service.body_read_timeout), send)
            return
        if size > limit:
            response = too_large(limit)
        elif scope["method"] == "GET" and size == 0 and session and (answer := self._cached(scope, session)):
            await send({"type": "http.response.start", "status": 200, "headers": answer.raw_headers})
            await send({"type": "http.response.body", "body": answer.body})
            return
        else:
            response = await self.service.dispatch(request_from_scope(scope, b"".join(chunks)))
        await _send(response, send)

    def _cached(self, scope: Scope, session: bytes) -> Answer | None:
        query = scope.get("query_string", b"").decode("latin-1")
        return self.service.cached(session.decode("latin-1"), scope["path"], query)


async def _send(response: Response, send: Send) -> None:
    await send({"type": "http.response.start", "status": response.status, "headers": response.headers})
    if response.file is None:
        await send({"type": "http.response.body", "body": response.body})
        return
    with open(response.file, "rb") as f:
        while chunk := f.read(1 << 20):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})
