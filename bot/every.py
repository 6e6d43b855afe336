"""Periodic work until a stop event: the one loop that waits, runs, logs and carries on."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

log = logging.getLogger(__name__)

# Wait ``seconds`` or until ``stop`` is set; True when stopped. Tests inject their own.
Sleep = Callable[[asyncio.Event, float], Awaitable[bool]]


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> bool:
    """Wait ``seconds``, or less if ``stop`` is set meanwhile: True when it is set."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
    return stop.is_set()


def backoff(first: float, cap: float) -> Iterator[float]:
    """``first``, doubling at each step up to ``cap``."""
    delay = first
    while True:
        yield delay
        delay = min(delay * 2, cap)


def retry_delay(attempts: int, first: float, cap: float) -> float:
    """The wait before try ``attempts + 1`` of a failing job: ``first`` doubling up to
    ``cap``, jittered by ±20% so a backlog does not retry in one burst."""
    return min(cap, first * 2.0 ** max(attempts - 1, 0)) * random.uniform(0.8, 1.2)


@dataclass(frozen=True, slots=True)
class Pace:
    """The less usual parts of a periodic loop. ``wait_first``: the first run comes after
    one wait. ``done``: checked after each run (and before the first wait), the loop ends
    when it is true. ``sleep``: how to wait (tests pass their own)."""

    wait_first: bool = False
    done: Callable[[], bool] | None = None
    sleep: Sleep = wait_or_stop


async def run_every(
    seconds: float | Callable[[], float],
    job: Callable[[], Awaitable[object]],
    *,
    stop: asyncio.Event,
    what: str,
    pace: Pace = Pace(),
) -> None:
    """Run ``job`` every ``seconds`` (a number, or a function giving the next wait) until
    ``stop`` is set. A failing run is logged (as ``what`` failed) and the next one comes as
    planned: periodic work must not take the service down."""
    first = True
    while not stop.is_set():
        if not (first and pace.wait_first):
            try:
                await job()
            except Exception:
                log.exception("%s failed", what)
        first = False
        if pace.done is not None and pace.done():
            return
        if await pace.sleep(stop, seconds() if callable(seconds) else seconds):
            return
