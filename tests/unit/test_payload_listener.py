"""The hosts' depot listener (GET /vum/repository/payloads/<sha-256>), in a process of its own:
a small payload is sent with its head in one write, a large one by sendfile(2); HEAD answers the
length alone; anything but a stored payload's file is 404 and the kept-alive connection goes on;
a stop with connections open leaves nothing in the log; a port already taken is said at start;
the process ends with the server, even one killed."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import signal
import socket
from pathlib import Path

import pytest

from helpers import wait_ended
from vlcmsim.depot.listener import PREFIX, SMALL, ListenerProcess
from vlcmsim.depot.payloads import PayloadStore
from vlcmsim.testing import start_server

pytestmark = pytest.mark.anyio


def stored(store: PayloadStore, data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    path = store.path(sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return sha


async def ask(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, method: str, target: str
) -> tuple[int, dict[str, str], bytes]:
    writer.write(f"{method} {target} HTTP/1.1\r\nHost: depot\r\n\r\n".encode())
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:] if h)}
    length = int(headers["content-length"])
    body = b"" if method == "HEAD" else await reader.readexactly(length)
    return int(head[0].split(" ")[1]), headers, body


@pytest.fixture
def store(tmp_path: Path) -> PayloadStore:
    return PayloadStore(tmp_path / "payloads")


@pytest.fixture
async def listener(store: PayloadStore) -> ListenerProcess:
    return ListenerProcess(store.root, "127.0.0.1", 0)


async def test_payloads_small_and_large_on_one_kept_connection(listener: ListenerProcess, store: PayloadStore) -> None:
    small, large = os.urandom(64 * 1024), os.urandom(SMALL + 12345)
    small_sha, large_sha = stored(store, small), stored(store, large)
    port = await listener.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for sha, data in ((small_sha, small), (large_sha, large), (small_sha, small)):
            status, headers, body = await ask(reader, writer, "GET", PREFIX + sha)
            assert (status, headers["content-length"], body == data) == (200, str(len(data)), True)
            assert headers["connection"] == "keep-alive"
        status, headers, body = await ask(reader, writer, "HEAD", PREFIX + large_sha)
        assert (status, headers["content-length"], body) == (200, str(len(large)), b"")
        writer.close()
    finally:
        await listener.stop()


async def test_what_is_not_a_stored_payload_file_is_404_and_the_connection_goes_on(
    listener: ListenerProcess, store: PayloadStore
) -> None:
    sha = stored(store, b"payload")
    a_folder = "ab" * 32
    store.path(a_folder).mkdir(parents=True)  # a name that is a folder, not a file
    port = await listener.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for target in (PREFIX + "0" * 64, PREFIX + a_folder, PREFIX + "../../etc/passwd", "/elsewhere"):
            status, _, body = await ask(reader, writer, "GET", target)
            assert (status, body) == (404, b"404 Not Found\n"), target
        assert (await ask(reader, writer, "GET", PREFIX + sha))[2] == b"payload"
        writer.close()
    finally:
        await listener.stop()


async def test_a_stop_with_connections_open_logs_no_traceback(
    listener: ListenerProcess, caplog: pytest.LogCaptureFixture
) -> None:
    port = await listener.start()
    held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(3)]
    await asyncio.sleep(0.05)  # each waiting for its first request
    with caplog.at_level(logging.DEBUG):
        await listener.stop()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    for _, writer in held:
        writer.close()


async def test_a_port_already_taken_is_said_at_start(tmp_path: Path) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        port = taken.getsockname()[1]
        listener = ListenerProcess(tmp_path / "payloads", "127.0.0.1", port)
        with pytest.raises(OSError, match="could not listen.*in use"):
            await listener.start()
    finally:
        taken.close()


def test_the_listener_process_ends_with_a_killed_server(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", tls=False)
    try:
        children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children").read_text().split()
        listeners = [pid for pid in children if b"vlcmsim.depot.listener" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        assert len(listeners) == 1
    finally:
        server.stop(signal.SIGKILL)  # no shutdown: only the pipe it held closes
    assert wait_ended(listeners[0])
