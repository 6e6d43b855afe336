"""run_every: periodic work that waits, runs, survives a failure and stops when told."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.every import Pace, backoff, run_every


class FakeSleep:
    """Records each wait and returns at once; sets ``stop`` after ``waits`` waits."""

    def __init__(self, waits: int) -> None:
        self.waits = waits
        self.seen: list[float] = []

    async def __call__(self, stop: asyncio.Event, seconds: float) -> bool:
        self.seen.append(seconds)
        if len(self.seen) >= self.waits:
            stop.set()
        return stop.is_set()


async def test_runs_then_waits_and_survives_a_failure(caplog: pytest.LogCaptureFixture) -> None:
    stop, sleep = asyncio.Event(), FakeSleep(waits=3)
    runs: list[int] = []

    async def job() -> None:
        runs.append(len(runs))
        if len(runs) == 2:
            raise ValueError("boom")

    with caplog.at_level(logging.ERROR):
        await run_every(5.0, job, stop=stop, what="the job", pace=Pace(sleep=sleep))
    assert runs == [0, 1, 2] and sleep.seen == [5.0, 5.0, 5.0]
    assert [r.getMessage() for r in caplog.records] == ["the job failed"]


async def test_wait_first_backoff_and_done() -> None:
    stop, sleep, runs = asyncio.Event(), FakeSleep(waits=99), []
    delays = backoff(1.0, 3.0)

    async def job() -> None:
        runs.append(1)

    pace = Pace(wait_first=True, done=lambda: len(runs) == 3, sleep=sleep)
    await run_every(lambda: next(delays), job, stop=stop, what="restarts", pace=pace)
    assert sleep.seen == [1.0, 2.0, 3.0] and len(runs) == 3 and not stop.is_set()


async def test_a_set_stop_ends_the_real_wait_at_once() -> None:
    stop = asyncio.Event()
    runs: list[int] = []

    async def job() -> None:
        runs.append(1)
        stop.set()

    await asyncio.wait_for(run_every(3600, job, stop=stop, what="x"), 5)
    assert runs == [1]
