"""The depot as hosts reach it: a plain-HTTP listener for
GET /vum/repository/payloads/<sha-256>, the way ESXi hosts download from
vCenter's update repository (port 9084 on a real vCenter). It serves on a
thread of its own, on asyncio's own event loop, whose sendfile(2) moves the
bytes of a large payload (uvloop, which the API serves on, has no sendfile);
a payload up to 1 MiB is read and sent with its head in one write, which costs
less than sendfile's rounds on the loop. The API's loop carries no payload byte.

Only payloads are served here, read-only; everything else is 404. The https
port serves the same paths for clients that prefer it."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import stat
import threading
from typing import BinaryIO

from vlcmsim.depot.payloads import PayloadStore

log = logging.getLogger(__name__)

PREFIX = "/vum/repository/payloads/"
_MAX_HEADER = 16 * 1024
SMALL = 1 << 20  # payloads up to this size are read and sent with their head; larger ones by sendfile(2)


class PayloadListener:
    """Each request head must arrive within `header_timeout` (also while a
    kept-alive connection waits for its next request); past `max_connections`
    open connections, a new one is closed at once."""

    def __init__(
        self, payloads: PayloadStore, host: str, port: int, header_timeout: float = 10.0, max_connections: int = 512
    ) -> None:
        self.payloads = payloads
        self.host = host
        self.port = port
        self.header_timeout = header_timeout
        self.max_connections = max_connections
        self.open_connections = 0
        self._server: asyncio.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    async def start(self) -> int:
        """Listening on its thread; the port (the one asked for, or the one given for 0)."""
        started: concurrent.futures.Future[int] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._run, args=(started,), name="payload-listener", daemon=True)
        self._thread.start()
        self.port = await asyncio.wrap_future(started)
        return self.port

    async def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            await asyncio.to_thread(self._thread.join, 10)

    def _run(self, started: concurrent.futures.Future[int]) -> None:
        loop = self._loop = asyncio.SelectorEventLoop()  # asyncio's own, with sendfile(2)
        asyncio.set_event_loop(loop)  # this thread's
        try:
            self._server = loop.run_until_complete(
                asyncio.start_server(self._serve, self.host, self.port, limit=_MAX_HEADER)
            )
        except BaseException as exc:  # the port taken, say: the start says why
            loop.close()
            started.set_exception(exc)
            return
        started.set_result(self._server.sockets[0].getsockname()[1])
        try:
            loop.run_forever()
        finally:  # stopped: the listening socket and every open connection closed before the loop
            self._server.close()
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.open_connections >= self.max_connections:
            writer.close()
            return
        self.open_connections += 1
        try:
            await self._requests(reader, writer)
        except asyncio.CancelledError:  # the listener stopping: the connection ends, no traceback in the log
            pass
        finally:
            self.open_connections -= 1

    async def _requests(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    async with asyncio.timeout(self.header_timeout):  # (no task of its own, as wait_for made)
                        head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, TimeoutError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                parts = lines[0].split(" ")
                headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:] if h)}
                keep_alive = headers.get("connection", "").lower() != "close" and parts[-1] == "HTTP/1.1"
                if len(parts) != 3 or parts[0] not in ("GET", "HEAD"):
                    await self._status(writer, 405, "Method Not Allowed")
                    return
                f = self._payload(parts[1])
                if f is None:
                    await self._status(writer, 404, "Not Found", keep_alive)
                    if not keep_alive:
                        return
                    continue
                with f:
                    size = os.fstat(f.fileno()).st_size
                    answer = (
                        f"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {size}\r\n"
                        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n".encode()
                    )
                    if parts[0] != "GET":
                        writer.write(answer)
                    elif size <= SMALL:  # with its head in one write: sendfile's rounds cost more than the copy
                        writer.write(answer + f.read())
                    else:
                        writer.write(answer)
                        await self._send_file(writer, f)
                await writer.drain()
                if not keep_alive:
                    return
        except (ConnectionError, OSError):
            return
        finally:
            writer.close()

    @staticmethod
    async def _send_file(writer: asyncio.StreamWriter, f: BinaryIO) -> None:
        await asyncio.get_running_loop().sendfile(writer.transport, f)

    def _payload(self, target: str) -> BinaryIO | None:
        """The payload's file, open; None when the target names none."""
        if not target.startswith(PREFIX):
            return None
        try:
            path = self.payloads.path(target[len(PREFIX) :])
            f = open(path, "rb")  # (the caller closes it)
        except (ValueError, OSError):  # not a payload's name, or no such file
            return None
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            f.close()
            return None
        return f

    @staticmethod
    async def _status(writer: asyncio.StreamWriter, code: int, reason: str, keep_alive: bool = False) -> None:
        body = f"{code} {reason}\n".encode()
        writer.write(
            f"HTTP/1.1 {code} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
            f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
