"""The in-process tier: the application in this process, no sockets for the
API (httpx's ASGI transport), a fake host agent where the hosts do not matter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from vlcmsim.testing import InProcessServer, in_process


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[InProcessServer]:
    async with in_process(tmp_path / "data") as server:
        yield server
