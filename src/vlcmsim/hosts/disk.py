"""The simulated hosts' disk: the files of their small staged payloads are
written by processes of their own. Creating a file costs the kernel hundreds of
microseconds on some disks; 10,000 hosts staging at once create 60,000 of them,
and done on the event loop, every API request and every host's download waited
behind them. The processes take that work to the other cores, two side by side
(the kernel creates files in parallel); the loop hands over each file's bytes
through a pipe and is told when the file is in place.

A file is written under a temporary name and renamed once complete, as a host
does: a stop in the middle leaves a `.part` file, never a short payload under
its name. The process ends when the server closes the pipe, however it ends."""

from __future__ import annotations

import asyncio
import os
import struct
import sys
from typing import BinaryIO

from vlcmsim.children import as_child, end_child, start_child

_ASK = struct.Struct("<IIQ")  # request number, path length, data length; then the path and the data
_ANSWER = struct.Struct("<IiI")  # request number, errno (0: written), message length; then the message
WRITERS = 2


def write_file(path: str, data: bytes | bytearray | memoryview, part: str) -> None:
    """`data` at `path`, by way of `part`: no file object, the system calls alone
    (tens of thousands of these in a row). The folder is made when missing (a
    host's first payload: 10,000 hosts' folders cost as much as their files)."""
    try:
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        left = memoryview(data)
        while left:  # (a regular file takes it all at once unless the disk fills)
            left = left[os.write(fd, left) :]
    finally:
        os.close(fd)
    os.rename(part, path)


def _serve(asks: BinaryIO, answers: BinaryIO) -> None:
    while len(head := asks.read(_ASK.size)) == _ASK.size:
        number, path_length, length = _ASK.unpack(head)
        encoded, data = asks.read(path_length), asks.read(length)
        if len(encoded) != path_length or len(data) != length:
            return  # the server ended in the middle of a file: nothing of it is written
        path = encoded.decode()
        part = f"{path}.{number}.part"
        try:
            write_file(path, data, part)
        except OSError as exc:
            try:
                os.unlink(part)
            except OSError:
                pass
            said = (exc.strerror or str(exc)).encode()
            answers.write(_ANSWER.pack(number, exc.errno or 5, len(said)) + said)
        else:
            answers.write(_ANSWER.pack(number, 0, 0))
        answers.flush()


def main() -> None:
    """`python -m vlcmsim.hosts.disk`, as `WriterProcess` runs it."""
    as_child()
    _serve(sys.stdin.buffer, sys.stdout.buffer)


class WriterProcess:
    """One writing process, seen from the server: `await write(path, data)`
    returns once the file is in place, or raises the OSError the write met. The
    process starts with the first write (again, if it ended)."""

    def __init__(self) -> None:
        self._process: asyncio.subprocess.Process | None = None
        self._starting = asyncio.Lock()  # one start, whoever asks first
        self._answers: asyncio.Task[None] | None = None
        self._waiting: dict[int, tuple[asyncio.Future[None], str]] = {}  # number -> (its end, its path)
        self._numbers = 0

    async def write(self, path: str, data: bytes | bytearray) -> None:
        self._numbers = number = (self._numbers + 1) & 0xFFFFFFFF
        done = asyncio.get_running_loop().create_future()
        self._waiting[number] = (done, path)  # in flight from now on, while the process starts too
        try:
            process = self._process or await self._start()
            assert process.stdin is not None
            encoded = path.encode()
            process.stdin.write(_ASK.pack(number, len(encoded), len(data)) + encoded)
            process.stdin.write(data)
            await process.stdin.drain()
            await done
        finally:
            self._waiting.pop(number, None)

    def in_flight(self) -> int:
        return len(self._waiting)

    async def _start(self) -> asyncio.subprocess.Process:
        async with self._starting:
            if self._process is None:
                self._process = await start_child("vlcmsim.hosts.disk")
                self._answers = asyncio.get_running_loop().create_task(self._read_answers(self._process))
            return self._process

    async def _read_answers(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        try:
            while True:
                number, errno, length = _ANSWER.unpack(await process.stdout.readexactly(_ANSWER.size))
                said = (await process.stdout.readexactly(length)).decode(errors="replace") if length else ""
                done, path = self._waiting.get(number, (None, ""))
                if done is None or done.done():
                    continue  # its writer stopped waiting (canceled)
                if errno:
                    done.set_exception(OSError(errno, said, path))
                else:
                    done.set_result(None)
        except (asyncio.IncompleteReadError, ConnectionError):  # the process ended
            self._process = None
            for done, _ in self._waiting.values():
                if not done.done():
                    done.set_exception(OSError(5, "the hosts' disk writer ended"))

    async def stop(self) -> None:
        if self._process is None:
            return
        await end_child(self._process, 30)
        if self._answers is not None:
            await self._answers


class DiskWriter:
    """The hosts' disk: each file goes to the writing process with the fewest in
    flight. With no processes, the loop writes each file itself: a host agent's
    loop serves no API, and its own process is already one of several writing."""

    def __init__(self, processes: int = WRITERS) -> None:
        self.processes = [WriterProcess() for _ in range(processes)]

    async def write(self, path: str, data: bytes | bytearray) -> None:
        if not self.processes:
            write_file(path, data, f"{path}.part")
            return
        await min(self.processes, key=WriterProcess.in_flight).write(path, data)

    async def stop(self) -> None:
        for process in self.processes:
            await process.stop()


if __name__ == "__main__":
    main()
