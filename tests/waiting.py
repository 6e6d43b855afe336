"""Waiting in tests for something to happen, never for time to pass: ``eventually`` polls a
check (plain or async) until it is true, and fails the test if it never is."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

Check = Callable[[], object | Awaitable[object]]


async def eventually(check: Check, within: float = 10.0, every: float = 0.05) -> None:
    """Return once ``check()`` (awaited if it returns an awaitable) is truthy; raise
    AssertionError after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = check()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(every)
