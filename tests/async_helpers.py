"""Helpers for in-process tests that drive tasks through httpx's ASGI transport."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx


async def wait_task(client: httpx.AsyncClient, task: str, timeout: float = 20) -> dict[str, Any]:
    """Poll GET /api/cis/tasks/{task} until it ends; return its info."""
    for _ in range(int(timeout / 0.01)):
        info: dict[str, Any] = (await client.get(f"/api/cis/tasks/{task}")).json()
        if info["status"] in ("SUCCEEDED", "FAILED"):
            return info
        await asyncio.sleep(0.01)
    raise AssertionError(f"task {task} did not end within {timeout} s")


async def run_task(
    client: httpx.AsyncClient, path: str, body: dict[str, Any] | None = None, method: str = "POST"
) -> dict[str, Any]:
    """Start a task operation (202 expected) and wait for its end."""
    r = await client.request(method, path, json=body if body is not None else {})
    assert r.status_code == 202, r.text
    return await wait_task(client, r.json())
