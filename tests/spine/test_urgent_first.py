"""A burst: every message is decided, carded and alerted before any is drafted, and the
urgent ones are drafted first (issue 19: urgent at once, drafts after)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.fake import FakeAdapter
from bot.app import App, open_app
from bot.config import Config, DatabaseConfig, PoliciesConfig, WorkersConfig
from bot.domain import Decision, Draft, DraftBrief, IntentSpec, Platform
from bot.store import open_store
from bot.store.store import StoredMessage
from models.base import Drafter, DraftResult
from tests.builders import make_message
from tests.doubles import RuleClassifier
from tests.policy.helpers import edit, policy_copy
from tests.waiting import eventually

REPO = Path(__file__).resolve().parents[2]


class Timeline:
    """One list of what happened, in order, across the approval channel and the drafter."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.notes: list[tuple[str, ...]] = []
        self.alerts: list[str] = []
        self.waiting: list[str] = []


class Channel:
    def __init__(self, timeline: Timeline) -> None:
        self.t = timeline

    async def message_decided(self, stored: StoredMessage, decision: Decision) -> None:
        self.t.events.append(f"card:{stored.message.text}")

    async def draft_ready(
        self, stored: StoredMessage, decision: Decision, draft: Draft, notes: tuple[str, ...]
    ) -> None:
        self.t.events.append(f"draft:{stored.message.text}")
        self.t.notes.append(notes)

    async def delivery_result(self, *args: Any) -> None:
        pass

    async def burst_grew(self, leader_id: int) -> None:
        self.t.events.append(f"joined:{leader_id}")

    async def drafting_delayed(self, stored: StoredMessage, decision: Decision, note: str) -> None:
        self.t.events.append(f"waiting:{stored.message.text}")
        self.t.waiting.append(note)

    async def admin_alert(self, text: str) -> None:
        self.t.events.append("alert")
        self.t.alerts.append(text)


class SlowDrafter:
    name = "slow"

    def __init__(self, timeline: Timeline) -> None:
        self.t = timeline

    async def draft(self, brief: DraftBrief) -> DraftResult:
        self.t.events.append(f"drafting:{brief.text}")
        await asyncio.sleep(0)  # a real model takes seconds; the order is what matters
        return DraftResult(text="Thanks, can you tell us more?", model="slow", notes=(), seconds=0)

    async def aclose(self) -> None:
        pass


def classifier(intents: Sequence[IntentSpec]) -> RuleClassifier:
    return RuleClassifier(intents)


@asynccontextmanager
async def running(
    db_url: str,
    drafter: Callable[[Timeline], Drafter],
    policies: Path = REPO / "policies",
    workers: WorkersConfig | None = None,
) -> AsyncIterator[tuple[App, FakeAdapter, Timeline]]:
    """The app on a fresh database, a fake Discord, and one timeline of what happened."""
    config = Config(
        database=DatabaseConfig(url=db_url),
        policies=PoliciesConfig(path=str(policies)),
        workers=workers or WorkersConfig(),
    )
    await (await open_store(db_url, upgrade=True)).aclose()
    fake = FakeAdapter(platform=Platform.DISCORD)
    timeline = Timeline()
    async with open_app(
        config,
        adapters=[fake],
        approvals=Channel(timeline),
        drafter=drafter(timeline),
        classifier_factory=classifier,
    ) as app:
        await fake.start(app.sink)
        yield app, fake, timeline


async def drain(app: App) -> None:
    await asyncio.wait_for(app.worker.drain(), 60)


@pytest.fixture
async def burst(db_url: str) -> AsyncIterator[tuple[App, FakeAdapter, Timeline]]:
    async with running(db_url, SlowDrafter) as parts:
        yield parts


async def test_a_legal_threat_behind_questions_is_carded_and_alerted_before_any_draft(
    burst: Any,
) -> None:
    app, fake, timeline = burst
    texts = [f"question number {i}" for i in range(5)] + ["my lawyer will sue you"]
    for i, text in enumerate(texts):
        assert await fake.inject(make_message(text, message_id=f"m{i}", author=f"u{i}"))
    await drain(app)
    events = timeline.events
    first_draft = next(i for i, e in enumerate(events) if e.startswith("drafting:"))
    cards = [i for i, e in enumerate(events) if e.startswith("card:")]
    assert len(cards) == len(texts) and max(cards) < first_draft
    assert "alert" in events[:first_draft]  # the legal alert went out before any drafting
    drafted = [e.removeprefix("drafting:") for e in events if e.startswith("drafting:")]
    assert drafted[0] == "my lawyer will sue you"  # urgent first
    assert drafted[1:] == texts[:5]  # then the others in arrival order


async def test_the_autosend_cap_holds_within_one_batch(db_url: str, tmp_path: Path) -> None:
    policies = policy_copy(tmp_path)
    edit(
        policies,
        "routing.toml",
        'enabled = false\nintents = ["praise"]',
        'enabled = true\nintents = ["question"]',
    )
    edit(policies, "routing.toml", "max_per_channel = 3", "max_per_channel = 2")
    async with running(db_url, SlowDrafter, policies) as (app, fake, timeline):
        for i in range(4):
            assert await fake.inject(
                make_message(f"question {i}", message_id=f"q{i}", author=f"u{i}")
            )
        await drain(app)
        # Two went out on the policy's opt-in; the other two wait for a human.
        assert len(await app.store.pending_drafts()) == 2
        assert sum(e.startswith("draft:") for e in timeline.events) == 2


class DownDrafter:
    """The inference server is down for the first ``failures`` calls (after the backend's
    own retries), then back."""

    name = "llm-down"

    def __init__(self, timeline: Timeline, failures: int = 10**9) -> None:
        self.t = timeline
        self.failures = failures
        self.calls = 0

    async def draft(self, brief: DraftBrief) -> DraftResult:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError("inference server at 127.0.0.1:8000 unreachable")
        self.t.events.append(f"drafting:{brief.text}")
        return DraftResult(text="Thanks, can you tell us more?", model="llm", notes=(), seconds=0)

    async def aclose(self) -> None:
        pass


async def drain_until(app: App, done: Callable[[], Any]) -> None:
    """Run the worker until ``done()`` (an awaitable) is true: retried jobs come due later."""

    async def drained_and_done() -> bool:
        await drain(app)
        return bool(await done())

    await eventually(drained_and_done, within=30, every=0.02)


TEXTS = ["my lawyer will sue you", "question one", "question two", "question three"]


async def test_a_drafting_outage_then_recovery_drafts_every_message(db_url: str) -> None:
    """Down for 2 tries per message, then back: every message is drafted, its card said it
    was waiting (with Take over) meanwhile, the team was told once, no job is dead."""
    fast = WorkersConfig(retry_base_seconds=0.01, drafting_patience_minutes=10)
    down = lambda t: DownDrafter(t, failures=2 * len(TEXTS))  # noqa: E731
    async with running(db_url, down, workers=fast) as (app, fake, timeline):
        for i, text in enumerate(TEXTS):
            assert await fake.inject(make_message(text, message_id=f"d{i}", author=f"a{i}"))

        async def all_drafted() -> bool:
            return sum(e.startswith("draft:") for e in timeline.events) == len(TEXTS)

        await drain_until(app, all_drafted)
        pending = await app.store.pending_drafts()
        assert len(pending) == len(TEXTS)
        assert all(p.draft.text == "Thanks, can you tell us more?" for p in pending)
        # While it was down, each card said so once, and offered Take over.
        assert sorted(e for e in timeline.events if e.startswith("waiting:")) == sorted(
            f"waiting:{t}" for t in TEXTS
        )
        assert all("retrying" in n and "Take over" in n for n in timeline.waiting)
        outage = [a for a in timeline.alerts if "drafting model" in a]
        assert len(outage) == 1 and "Take over" in outage[0]
        jobs = (await app.store.status_counts())["jobs"]
        assert "draft/dead" not in jobs and jobs.get("draft/done") == len(TEXTS)


async def test_past_the_patience_every_card_says_a_human_writes_it(db_url: str) -> None:
    impatient = WorkersConfig(retry_base_seconds=0.01, drafting_patience_minutes=0.002)
    async with running(db_url, DownDrafter, workers=impatient) as (app, fake, timeline):
        for i, text in enumerate(TEXTS):
            assert await fake.inject(make_message(text, message_id=f"d{i}", author=f"a{i}"))

        async def all_given_up() -> bool:
            return len(timeline.notes) == len(TEXTS)

        await drain_until(app, all_given_up)
        pending = await app.store.pending_drafts()
        # Every message has a card a human can act on: no text, the reason, nothing buried.
        assert len(pending) == len(TEXTS)
        assert all(p.draft.text is None for p in pending)
        assert all(n[0].startswith("drafting failed for ") for n in timeline.notes)
        assert all("inference server" in n[0] and "Take over" in n[0] for n in timeline.notes)
        # The team hears of the outage once, not once per message or per try.
        outage = [a for a in timeline.alerts if "drafting model" in a]
        assert len(outage) == 1
        jobs = (await app.store.status_counts())["jobs"]
        assert "draft/dead" not in jobs


async def test_a_members_burst_is_one_card_and_one_draft_but_urgent_stays_alone(
    burst: Any,
) -> None:
    app, fake, timeline = burst
    texts = ["hi", "is sync down?", "my notes are gone", "hello??", "anyone there"]
    for i, text in enumerate(texts):
        assert await fake.inject(make_message(text, message_id=f"b{i}", author="maya"))
    assert await fake.inject(make_message("my lawyer will sue you", message_id="b9", author="maya"))
    assert await fake.inject(make_message("how do I export?", message_id="o1", author="sam"))
    await drain(app)
    cards = [e for e in timeline.events if e.startswith("card:")]
    # maya's plain messages: one card; her legal threat and sam's question: their own.
    assert cards == ["card:hi", "card:my lawyer will sue you", "card:how do I export?"]
    assert sum(e.startswith("joined:") for e in timeline.events) == len(texts) - 1
    drafted = [e.removeprefix("drafting:") for e in timeline.events if e.startswith("drafting:")]
    assert drafted[0] == "my lawyer will sue you"
    assert "\n".join(texts) in drafted  # one draft read the whole burst
    assert len(drafted) == 3
    [leader] = [p for p in await app.store.pending_drafts() if p.stored.message.text == "hi"]
    assert [b.message.text for b in await app.store.burst_of(leader.stored.id)] == texts[1:]


async def test_a_burst_joins_only_a_draft_not_yet_begun(db_url: str) -> None:
    store = await open_store(db_url, upgrade=True)
    try:
        first = await store.accept(make_message("hi", message_id="x1"))
        second = await store.accept(make_message("anyone?", message_id="x2"))
        third = await store.accept(make_message("hello??", message_id="x3"))
        assert first and second and third
        await store.enqueue_drafts([(first, False)])
        since = datetime.now(UTC) - timedelta(minutes=2)
        [stored2, stored3] = await store.messages([second, third])
        assert await store.burst_leader(stored2, since=since) == first
        assert await store.join_burst(second, first, queued=True)
        # Once its draft has begun, the first message takes no one more.
        await store.claim(worker="w", kinds=["draft"], limit=1, lease=60)
        assert await store.burst_leader(stored3, since=since) is None
        assert not await store.join_burst(third, first, queued=True)
        assert [s.id for s in await store.burst_of(first)] == [second]
    finally:
        await store.aclose()
