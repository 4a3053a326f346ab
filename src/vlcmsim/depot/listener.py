"""The depot as hosts reach it: a plain-HTTP listener for
GET /vum/repository/payloads/<sha-256>, the way ESXi hosts download from
vCenter's update repository (port 9084 on a real vCenter).

It serves in a process of its own (`ListenerProcess` starts and stops it), on
asyncio's own event loop, whose sendfile(2) moves the bytes of a large payload
(uvloop, which the API serves on, has no sendfile); a payload up to 1 MiB is
read and sent with its head in one write, which costs less than sendfile's
rounds. Its own process because 10,000 hosts staging at once ask it for 60,000
payloads: on a thread of the server, its work waited for the interpreter lock
the API and the hosts hold, and theirs for it. The API's loop carries no
payload byte.

Only payloads are served here, read-only; everything else is 404. The https
port serves the same paths for clients that prefer it."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, BinaryIO

from vlcmsim.children import as_child, launch_child, stop_child
from vlcmsim.depot.payloads import payload_path

log = logging.getLogger(__name__)

PREFIX = "/vum/repository/payloads/"
_MAX_HEADER = 16 * 1024
SMALL = 1 << 20  # payloads up to this size are read and sent with their head; larger ones by sendfile(2)
START_TIMEOUT = 30.0  # seconds the process may take to listen


class PayloadListener:
    """Serves on the running loop. Each request head must arrive within
    `header_timeout` (also while a kept-alive connection waits for its next
    request); past `max_connections` open connections, a new one is closed at once."""

    def __init__(self, payloads: Path, header_timeout: float = 10.0, max_connections: int = 512) -> None:
        self.payloads = payloads  # the payload store's folder, read only
        self.header_timeout = header_timeout
        self.max_connections = max_connections
        self.open_connections = 0

    async def listen(self, host: str, port: int) -> asyncio.Server:
        return await asyncio.start_server(self._serve, host, port, limit=_MAX_HEADER)

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
            path = payload_path(self.payloads, target[len(PREFIX) :])
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


async def _serve_until_told(listener: PayloadListener, host: str, port: int) -> None:
    """Listen, say the port on stdout, serve until stdin closes: the server
    closes it to stop the listener, and so does its end, however it ends."""
    server = await listener.listen(host, port)
    print(server.sockets[0].getsockname()[1], flush=True)
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    await stdin.read()
    server.close()  # then every open connection, before the loop ends
    current = asyncio.current_task()
    pending = [t for t in asyncio.all_tasks() if t is not current]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


def main(argv: list[str] | None = None) -> None:
    """`python -m vlcmsim.depot.listener PAYLOADS_DIR --host H --port P ...`, as `ListenerProcess` runs it."""
    parser = argparse.ArgumentParser(prog="python -m vlcmsim.depot.listener")
    parser.add_argument("payloads", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--header-timeout", type=float, default=10.0)
    parser.add_argument("--max-connections", type=int, default=512)
    args = parser.parse_args(argv)
    as_child()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s", stream=sys.stderr)
    listener = PayloadListener(args.payloads, args.header_timeout, args.max_connections)
    try:
        asyncio.run(_serve_until_told(listener, args.host, args.port))
    except OSError as exc:  # the port taken, say: the server says why
        print(f"the depot port could not listen: {exc}", file=sys.stderr)
        sys.exit(1)


class ListenerProcess:
    """The server's handle on the listener's process: launched before the
    server's store opens (both start at once), listening once `start` returns,
    stopped with the server; what the process logs goes to the server's log."""

    def __init__(
        self, payloads: Path, host: str, port: int, header_timeout: float = 10.0, max_connections: int = 512
    ) -> None:
        self.payloads = payloads  # the payload store's folder
        self.host = host
        self.port = port
        self.header_timeout = header_timeout
        self.max_connections = max_connections
        self.listening = False
        self._process: subprocess.Popen[bytes] | None = None
        self._relay: threading.Thread | None = None

    def launch(self) -> None:
        """The process started, not listening yet (no loop needed: the CLI launches it first)."""
        if self._process is None:
            self._process = launch_child(
                "vlcmsim.depot.listener", str(self.payloads), "--host", self.host, "--port", str(self.port),
                "--header-timeout", str(self.header_timeout), "--max-connections", str(self.max_connections),
            )  # fmt: skip

    async def start(self) -> int:
        """Listening; the port (the one asked for, or the one given for 0)."""
        self.launch()
        process = self._process
        assert process is not None and process.stdout is not None and process.stderr is not None
        try:
            line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), START_TIMEOUT)
        except TimeoutError:
            line = b""
        if not line.strip().isdigit():
            await self.stop()
            said = process.stderr.read().decode(errors="replace").strip()
            raise OSError(said or "the depot listener did not start")
        self.port, self.listening = int(line), True
        self._relay = threading.Thread(target=self._log, args=(process.stderr,), name="depot-log", daemon=True)
        self._relay.start()
        return self.port

    @staticmethod
    def _log(stderr: IO[bytes]) -> None:
        for line in stderr:
            log.warning("depot listener: %s", line.decode(errors="replace").rstrip())

    async def stop(self) -> None:
        self.listening = False
        if self._process is not None:
            await asyncio.to_thread(stop_child, self._process, 10)
        if self._relay is not None:
            await asyncio.to_thread(self._relay.join, 5)  # (ends with the process's stderr)


if __name__ == "__main__":
    main()
