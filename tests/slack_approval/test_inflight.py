"""A stop waits for the clicks already acknowledged: their work after the ack (card updates,
notices) finishes before the store they use is closed."""

from __future__ import annotations

import asyncio

from bot.slack_approval.routes import InFlight


async def test_drained_waits_for_every_running_handler() -> None:
    inflight = InFlight()
    await asyncio.wait_for(inflight.drained(), 1)  # nothing running: at once
    release = asyncio.Event()
    finished: list[str] = []

    async def after_the_ack(name: str) -> None:
        await release.wait()
        finished.append(name)

    handler = inflight.track(after_the_ack)
    running = [asyncio.create_task(handler(name)) for name in ("approve", "edit")]
    await asyncio.sleep(0)
    waiting = asyncio.create_task(inflight.drained())
    await asyncio.sleep(0.05)
    assert not waiting.done()  # both handlers still at work
    release.set()
    await asyncio.wait_for(waiting, 1)
    assert sorted(finished) == ["approve", "edit"]
    await asyncio.gather(*running)


async def test_a_failing_handler_does_not_hold_the_stop() -> None:
    inflight = InFlight()

    async def broken() -> None:
        raise RuntimeError("boom")

    try:
        await inflight.track(broken)()
    except RuntimeError:
        pass
    await asyncio.wait_for(inflight.drained(), 1)
