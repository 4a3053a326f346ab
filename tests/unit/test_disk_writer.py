"""The simulated hosts' disk, written by processes of their own: a file lands whole under its
name and nothing else is left, its folder made when missing; a write that fails raises the
OSError it met, naming the file, and leaves no partial file; writes in flight together all
land, spread over the processes; a writer whose process died starts a new one; a process ends
when the server closes its pipe, and when the server is killed; a file cut short by the
server's end is not written."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import wait_ended
from vlcmsim.hosts.disk import DiskWriter, WriterProcess

pytestmark = pytest.mark.anyio


@pytest.fixture
async def disk() -> DiskWriter:
    return DiskWriter()


async def test_a_file_lands_whole_under_its_name_and_nothing_else(disk: DiskWriter, tmp_path: Path) -> None:
    data = os.urandom(65536)
    try:
        await disk.write(f"{tmp_path}/payload", bytearray(data))
    finally:
        await disk.stop()
    assert [p.name for p in tmp_path.iterdir()] == ["payload"]
    assert (tmp_path / "payload").read_bytes() == data


async def test_a_missing_folder_is_made(disk: DiskWriter, tmp_path: Path) -> None:
    try:
        await disk.write(f"{tmp_path}/host-1/staging/payload", b"x")
    finally:
        await disk.stop()
    assert (tmp_path / "host-1" / "staging" / "payload").read_bytes() == b"x"


async def test_a_failed_write_raises_what_it_met_and_leaves_no_part(disk: DiskWriter, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_bytes(b"")  # where a folder should be
    (tmp_path / "taken").mkdir()  # a folder where the file would go: its rename fails
    try:
        with pytest.raises(NotADirectoryError) as refused:
            await disk.write(f"{tmp_path}/a-file/payload", b"x")
        assert refused.value.filename == f"{tmp_path}/a-file/payload"
        with pytest.raises(IsADirectoryError):
            await disk.write(f"{tmp_path}/taken", b"x")
        await disk.write(f"{tmp_path}/after", b"y")  # the writer goes on
    finally:
        await disk.stop()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "after", "taken"]


async def test_writes_in_flight_together_all_land_spread_over_the_processes(disk: DiskWriter, tmp_path: Path) -> None:
    try:
        await asyncio.gather(*(disk.write(f"{tmp_path}/{n}", n.to_bytes(4, "big") * 1000) for n in range(300)))
        assert len(disk.processes) == 2 and all(p._process is not None for p in disk.processes)
    finally:
        await disk.stop()
    assert len(list(tmp_path.iterdir())) == 300
    assert (tmp_path / "299").read_bytes() == (299).to_bytes(4, "big") * 1000


async def test_a_writer_whose_process_died_starts_another(tmp_path: Path) -> None:
    disk = WriterProcess()
    try:
        await disk.write(f"{tmp_path}/first", b"1")
        process = disk._process
        assert process is not None
        process.kill()
        await process.wait()
        await asyncio.sleep(0.05)  # the writer sees the pipe close
        await disk.write(f"{tmp_path}/second", b"2")
        assert disk._process is not None and disk._process.pid != process.pid
    finally:
        await disk.stop()
    assert (tmp_path / "second").read_bytes() == b"2"


def test_the_process_ends_with_a_killed_server(tmp_path: Path) -> None:
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(tmp_path)], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    assert server.stdout is not None
    writer_pid = int(server.stdout.readline())
    server.send_signal(signal.SIGKILL)
    server.wait(10)
    assert wait_ended(writer_pid)


SERVER = """
import asyncio, sys, time
from vlcmsim.hosts.disk import WriterProcess
async def main():
    disk = WriterProcess()
    await disk.write(sys.argv[1] + "/payload", b"x")
    print(disk._process.pid, flush=True)
    time.sleep(60)
asyncio.run(main())
"""


def test_a_file_cut_short_by_the_servers_end_is_not_written(tmp_path: Path) -> None:
    from vlcmsim.hosts.disk import _ASK

    path = f"{tmp_path}/payload".encode()
    child = subprocess.Popen([sys.executable, "-m", "vlcmsim.hosts.disk"], stdin=subprocess.PIPE)
    assert child.stdin is not None
    child.stdin.write(_ASK.pack(1, len(path), 65536) + path + b"x" * 1000)  # then the pipe closes
    child.stdin.close()
    assert child.wait(10) == 0
    assert list(tmp_path.iterdir()) == []
