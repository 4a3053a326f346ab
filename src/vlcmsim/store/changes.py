"""What changed in this process, as a counter the vim25 property collector waits
on: every write of the state SOAP clients watch (hosts, VMs, tasks, events)
moves it on after its commit, and wakes whoever waits (WaitForUpdatesEx) —
pushed, not polled. Writes of other processes sharing a store are seen by the
waiters' own bounded re-reads (`SHARED_RECHECK_SECONDS`)."""

from __future__ import annotations

import asyncio
import threading

SHARED_RECHECK_SECONDS = 1.0


class Changes:
    def __init__(self) -> None:
        self.generation = 0
        self._lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def notify(self) -> None:
        """Something watched was written (and committed)."""
        with self._lock:
            self.generation += 1
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            loop.call_soon_threadsafe(_wake, future)

    async def wait(self, generation: int, timeout: float) -> bool:
        """Until the generation moves past `generation` or `timeout` passes; whether it moved."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if self.generation != generation:
                return True
            self._waiters.append((loop, future))
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            with self._lock:
                self._waiters = [w for w in self._waiters if w[1] is not future]
        return self.generation != generation


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


changes = Changes()  # one per process: its writers and its waiters
