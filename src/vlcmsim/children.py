"""The server's helper processes (the depot listener, the hosts' disk writers):
`python -m <module>` with pipes to its stdin and stdout. Closing its stdin is
the sign to stop, so a child also ends when the server ends however it ends
(killed, the pipe closes with it)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys


async def start_child(module: str, *args: str, stderr: int | None = None) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=stderr,
    )  # fmt: skip


async def end_child(process: asyncio.subprocess.Process, grace: float) -> None:
    """Tell the child to stop and wait for it; killed after `grace` seconds."""
    if process.stdin is not None:
        process.stdin.close()
    try:
        await asyncio.wait_for(process.wait(), grace)
    except TimeoutError:
        process.kill()
        await process.wait()


def launch_child(module: str, *args: str) -> subprocess.Popen[bytes]:
    """`start_child` without a loop (stderr piped too): started before the loop runs."""
    return subprocess.Popen(
        [sys.executable, "-m", module, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def stop_child(process: subprocess.Popen[bytes], grace: float) -> None:
    """`end_child` of a launched child (blocking)."""
    if process.stdin is not None:
        process.stdin.close()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def as_child() -> None:
    """In the child: a ^C to the terminal reaches every process of its group; the
    server stops its children itself, in order."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
