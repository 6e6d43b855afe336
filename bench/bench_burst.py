"""A burst of 12 messages with the default models on this machine: how long until each card
shows, until the urgent ones alert the team, and until each draft is on its card (issue 19:
card p95 ≤ 2 s, urgent alert ≤ 2 s).

Measured twice in the same run, on fresh SQLite databases and the same loaded models:
- staged (the product): ``Worker.run``, the process lane cards and alerts at arrival, the draft
  lane drafts one at a time, urgent first;
- one at a time (the baseline, how it worked before): each message is classified, routed,
  carded and drafted before the next one is looked at.

    .venv/bin/python bench/bench_burst.py            # needs `tactline models pull`
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.fake import FakeAdapter
from bot.app import App, open_app
from bot.config import Config, DatabaseConfig, PoliciesConfig
from bot.domain import Decision, DeliveryReceipt, Draft, Platform
from bot.store.store import StoredMessage
from bot.worker import Worker
from tests.builders import make_message

REPO = Path(__file__).resolve().parents[1]
URGENT = {"My lawyer will sue you if my data is not back today.", "I want to end it all."}
BURST = [
    "How do I export my notes to PDF?",
    "Is sync down right now? My phone shows old notes.",
    "Love the new editor, great work!",
    "The Android app crashes when I open a shared notebook.",
    "My lawyer will sue you if my data is not back today.",
    "Can I get a refund for this month?",
    "Do you have a dark mode on the web app?",
    "Where can I see the status page?",
    "I want to end it all.",
    "Does the Team plan include admin controls?",
    "Comment exporter mes notes en PDF ?",
    "L'appli plante au démarrage depuis la mise à jour.",
]


class Clock:
    """When each message arrived, was carded, alerted and drafted (monotonic seconds)."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.carded: dict[str, float] = {}
        self.drafted: dict[str, float] = {}
        self.alerts: list[tuple[float, str]] = []
        self._drafted_any = asyncio.Event()

    async def until_drafted(self, texts: Sequence[str]) -> None:
        while not all(t in self.drafted for t in texts):
            self._drafted_any.clear()
            await self._drafted_any.wait()

    async def message_decided(self, stored: StoredMessage, decision: Decision) -> None:
        self.carded.setdefault(stored.message.text, time.monotonic())

    async def burst_grew(self, leader_id: int) -> None:
        return None

    async def drafting_delayed(self, stored: StoredMessage, decision: Decision, note: str) -> None:
        return None

    async def draft_ready(
        self, stored: StoredMessage, decision: Decision, draft: Draft, notes: tuple[str, ...]
    ) -> None:
        self.drafted.setdefault(stored.message.text, time.monotonic())
        self._drafted_any.set()

    async def delivery_result(
        self, draft_id: int, receipt: DeliveryReceipt | None, error: str | None
    ) -> None:
        return None

    async def admin_alert(self, text: str) -> None:
        self.alerts.append((time.monotonic(), str(text)))

    def alerted(self, text: str) -> float | None:
        return next((at for at, a in self.alerts if text[:40] in a), None)


Runner = Callable[[App, asyncio.Event], Awaitable[None]]


async def staged(app: App, stop: asyncio.Event) -> None:
    await app.worker.run(stop=stop, lanes=("process", "draft"))


async def one_at_a_time(app: App, stop: asyncio.Event) -> None:
    worker = Worker(
        store=app.store,
        pipeline=app.pipeline,
        deliverer=app.deliverer,
        config=app.config.workers,
        batch_size=1,
    )
    while not stop.is_set():
        busy = await worker.process_once()
        while await worker.draft_once():
            busy = 1
        if not busy:
            await asyncio.sleep(0.05)


async def measure(runner: Runner, label: str) -> dict[str, list[float]]:
    clock = Clock()
    with tempfile.TemporaryDirectory() as tmp:
        config = Config(
            database=DatabaseConfig(url=f"sqlite+aiosqlite:///{tmp}/bench.db"),
            policies=PoliciesConfig(path=str(REPO / "policies")),
        )
        fake = FakeAdapter(platform=Platform.DISCORD)
        async with open_app(config, adapters=[fake], approvals=clock) as app:
            await app.store.upgrade()
            await fake.start(app.sink)
            stop = asyncio.Event()
            task: asyncio.Task[None] = asyncio.ensure_future(runner(app, stop))
            # Warm-up: the models load on the first message, not in the figures.
            warm = "How do I change my password?"
            await fake.inject(make_message(warm, message_id="warm", author="warm"))
            async with asyncio.timeout(600):
                await clock.until_drafted([warm])
            for i, text in enumerate(BURST):
                clock.arrived[text] = time.monotonic()
                await fake.inject(make_message(text, message_id=f"b{i}", author=f"member{i}"))
            try:
                async with asyncio.timeout(900):
                    await clock.until_drafted(BURST)
            except TimeoutError:
                missing = [t for t in BURST if t not in clock.drafted]
                raise SystemExit(f"{label}: not drafted in 15 minutes: {missing}") from None
            stop.set()
            await task
    alerts = [(clock.alerted(t) or float("nan")) - clock.arrived[t] for t in BURST if t in URGENT]
    return {
        "card": [clock.carded[t] - clock.arrived[t] for t in BURST],
        "urgent alert": alerts,
        "draft": [clock.drafted[t] - clock.arrived[t] for t in BURST],
        "urgent draft": [clock.drafted[t] - clock.arrived[t] for t in BURST if t in URGENT],
    }


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, round(0.95 * len(xs)) - 1)]


async def main() -> None:
    runs = {
        "staged": await measure(staged, "staged"),
        "one at a time": await measure(one_at_a_time, "one at a time"),
    }
    base = runs["one at a time"]
    print(f"a burst of {len(BURST)} messages, default models, arrival → … (seconds):")
    print(f"  {'':14} {'what':13} {'p50':>7} {'p95':>7}   p50 vs one at a time")
    for name, figures in runs.items():
        for what, xs in figures.items():
            med = statistics.median(xs)
            ratio = med / max(statistics.median(base[what]), 1e-9)
            print(f"  {name:14} {what:13} {med:7.2f} {p95(xs):7.2f}   ×{ratio:.2f}")
    print("  targets: card p95 ≤ 2 s; urgent alert ≤ 2 s")


if __name__ == "__main__":
    asyncio.run(main())
