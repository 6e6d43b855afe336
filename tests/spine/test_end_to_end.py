"""A message's whole life through the fake adapter: in, draft, approve, exactly one post."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.fake import FakeAdapter
from bot.app import App, open_app
from bot.config import Config, DatabaseConfig, PoliciesConfig
from bot.delivery import Deliverer, RetryPolicy
from bot.domain import (
    ApprovalDecision,
    Decision,
    DeliveryReceipt,
    Draft,
    DraftStatus,
    IntentSpec,
    Platform,
    Verdict,
)
from bot.errors import AdapterUnhealthy, DeliveryFailed, DeliveryUnknown
from bot.store import open_store
from bot.store.store import StoredMessage, utcnow
from tests.builders import make_message
from tests.doubles import RuleClassifier, TemplateDrafter
from tests.waiting import eventually

REPO = Path(__file__).resolve().parents[2]


class RecordingChannel:
    def __init__(self) -> None:
        self.decided: list[tuple[int, Decision]] = []
        self.ready: list[int] = []
        self.results: list[tuple[int, DeliveryReceipt | None, str | None]] = []
        self.alerts: list[str] = []
        self.delayed: list[tuple[int, str]] = []
        self.grew: list[int] = []

    async def message_decided(self, stored: StoredMessage, decision: Decision) -> None:
        self.decided.append((stored.id, decision))

    async def draft_ready(
        self, stored: StoredMessage, decision: Decision, draft: Draft, notes: tuple[str, ...]
    ) -> None:
        self.ready.append(draft.id)

    async def delivery_result(
        self, draft_id: int, receipt: DeliveryReceipt | None, error: str | None
    ) -> None:
        self.results.append((draft_id, receipt, error))

    async def burst_grew(self, leader_id: int) -> None:
        self.grew.append(leader_id)

    async def drafting_delayed(self, stored: StoredMessage, decision: Decision, note: str) -> None:
        self.delayed.append((stored.id, note))

    async def admin_alert(self, text: str) -> None:
        self.alerts.append(text)


def classifier_factory(intents: Sequence[IntentSpec]) -> RuleClassifier:
    return RuleClassifier(intents)


@pytest.fixture
async def app(db_url: str) -> AsyncIterator[tuple[App, FakeAdapter, RecordingChannel]]:
    config = Config(
        database=DatabaseConfig(url=db_url), policies=PoliciesConfig(path=str(REPO / "policies"))
    )
    await (await open_store(db_url, upgrade=True)).aclose()  # as `tactline db upgrade` does
    fake = FakeAdapter(platform=Platform.DISCORD)
    channel = RecordingChannel()
    async with open_app(
        config,
        adapters=[fake],
        approvals=channel,
        drafter=TemplateDrafter(),
        classifier_factory=classifier_factory,
    ) as the_app:
        await fake.start(the_app.sink)
        yield the_app, fake, channel


async def drain(app: App) -> None:
    await asyncio.wait_for(app.worker.drain(), 60)


async def approve(app: App, draft_id: int, actor: str = "U_ANA", **kw: Any) -> Any:
    return await app.store.decide_draft(
        ApprovalDecision(
            draft_id=draft_id,
            actor=actor,
            at=utcnow(),
            verdict=kw.pop("verdict", Verdict.APPROVE),
            **kw,
        )
    )


async def test_message_in_draft_approve_exactly_one_post(app: Any) -> None:
    the_app, fake, channel = app
    msg = make_message("How do I export my notes?", message_id="m1", thread="t1")
    assert await fake.inject(msg)
    await drain(the_app)
    pending = await the_app.store.pending_drafts()
    assert len(pending) == 1
    draft = pending[0].draft
    assert draft.text and "question" in draft.text
    assert channel.ready == [draft.id]
    first = await approve(the_app, draft.id)
    second = await approve(the_app, draft.id, actor="U_BEN")
    assert first.applied and not second.applied
    await drain(the_app)
    assert [p.text for p in fake.posts] == [draft.text]
    assert fake.posts[0].reply_to_message_id == "m1"
    assert fake.posts[0].thread_id == "t1"
    assert (await the_app.store.draft(draft.id)).status == DraftStatus.POSTED
    trail = [e["event"] for e in await the_app.store.audit_trail(pending[0].stored.id)]
    assert trail == ["received", "classified", "decided", "drafted", "approve", "posted"]
    decided = next(
        e for e in await the_app.store.audit_trail(pending[0].stored.id) if e["event"] == "decided"
    )
    assert decided["policy_version"] == the_app.policy.current().version


async def test_redelivered_message_is_ignored(app: Any) -> None:
    the_app, fake, _ = app
    msg = make_message(message_id="dup")
    assert await fake.inject(msg)
    assert not await fake.inject(msg)
    await drain(the_app)
    assert len(await the_app.store.pending_drafts()) == 1


async def test_spam_is_kept_and_visibly_not_answered(app: Any) -> None:
    the_app, fake, channel = app
    await fake.inject(make_message("buy spam pills now", message_id="s1"))
    await drain(the_app)
    stored = (await the_app.store.messages_since(utcnow().replace(year=2000)))[0]
    assert stored.action == "no_reply"
    assert stored.message.text == "buy spam pills now"
    assert await the_app.store.pending_drafts() == []
    assert [d.action for _, d in channel.decided] == ["no_reply"]


async def test_abusive_message_gets_a_draft_or_a_human_never_silence(app: Any) -> None:
    the_app, fake, channel = app
    await fake.inject(make_message("you are all idiots", message_id="a1"))
    await drain(the_app)
    [(_, decision)] = channel.decided
    assert decision.action in ("reply", "escalate")
    assert decision.urgent or decision.brief is not None


async def test_rate_limited_send_is_retried_later_and_posts_once(app: Any) -> None:
    the_app, fake, _ = app
    await fake.inject(make_message(message_id="r1"))
    await drain(the_app)
    [p] = await the_app.store.pending_drafts()
    fake.fail_next(DeliveryFailed("429 too many requests", retry_after=0.2))
    outcome = await approve(the_app, p.draft.id)
    first = await the_app.deliverer.deliver(outcome.outbox_id)
    assert not first.done and first.retry_after == 0.2
    assert fake.posts == []
    assert (await the_app.store.outbox_item(outcome.outbox_id)).status == "pending"

    async def posted_once_due() -> bool:  # the retry comes due after 0.2 s
        await drain(the_app)
        return bool(fake.posts)

    await eventually(posted_once_due)
    assert len(fake.posts) == 1


async def test_an_outage_is_waited_out_with_backoff_then_posts_once(app: Any) -> None:
    the_app, fake, channel = app
    await fake.inject(make_message(message_id="o1"))
    await drain(the_app)
    [p] = await the_app.store.pending_drafts()
    outcome = await approve(the_app, p.draft.id)
    for _ in range(7):  # the platform answers 503 for a while
        fake.fail_next(DeliveryFailed("503 service unavailable"))
    delays = []
    for _ in range(7):
        result = await the_app.deliverer.deliver(outcome.outbox_id)
        assert not result.done and result.retry_after is not None
        delays.append(result.retry_after)
    expected = [5, 10, 20, 40, 80, 160, 300]  # exponential, capped at 5 minutes, ±20% jitter
    assert all(0.8 * e <= d <= 1.2 * e for d, e in zip(delays, expected, strict=True))
    alerts = [a for a in channel.alerts if f"draft {p.draft.id} is not delivered yet" in a]
    assert len(alerts) == 1  # told once, after max_attempts, while it keeps trying
    assert (await the_app.deliverer.deliver(outcome.outbox_id)).done
    assert len(fake.posts) == 1
    assert (await the_app.store.draft(p.draft.id)).status == DraftStatus.POSTED


async def test_a_reply_is_given_up_after_the_patience(app: Any) -> None:
    the_app, fake, channel = app
    await fake.inject(make_message(message_id="o2"))
    await drain(the_app)
    [p] = await the_app.store.pending_drafts()
    outcome = await approve(the_app, p.draft.id)
    impatient = Deliverer(  # as if the reply had waited hours already
        store=the_app.store,
        adapters=the_app.supervisor,
        approvals=channel,
        retry=RetryPolicy(patience=timedelta(0)),
    )
    fake.fail_next(DeliveryFailed("503 service unavailable"))
    assert (await impatient.deliver(outcome.outbox_id)).done
    assert fake.posts == []
    assert (await the_app.store.draft(p.draft.id)).status == DraftStatus.FAILED
    assert any("still failing after" in a for a in channel.alerts)


async def test_an_unhealthy_adapter_is_waited_for_unless_it_needs_an_admin(app: Any) -> None:
    the_app, fake, channel = app
    for mid in ("h1", "h2"):  # two members (one member's burst would be one card)
        await fake.inject(make_message(message_id=mid, author=mid))
    await drain(the_app)
    first, second = [
        (await approve(the_app, p.draft.id)).outbox_id for p in await the_app.store.pending_drafts()
    ]
    fake.fail_next(AdapterUnhealthy("discord: not started"))
    assert not (await the_app.deliverer.deliver(first)).done
    assert (await the_app.deliverer.deliver(first)).done  # back: posted
    fake.fail_next(AdapterUnhealthy("discord: the bot token was refused", permanent=True))
    assert (await the_app.deliverer.deliver(second)).done
    assert len(fake.posts) == 1
    assert any("token was refused" in a for a in channel.alerts)


async def test_unknown_outcome_is_reconciled_not_resent(app: Any) -> None:
    the_app, fake, _ = app
    await fake.inject(make_message(message_id="u1"))
    await drain(the_app)
    [p] = await the_app.store.pending_drafts()
    outcome = await approve(the_app, p.draft.id)
    # The platform posts the reply but the answer is lost (timeout).
    fake.fail_next(DeliveryUnknown("timed out"), after_delivery=True)
    first = await the_app.deliverer.deliver(outcome.outbox_id)
    assert not first.done
    assert (await the_app.store.outbox_item(outcome.outbox_id)).status == "sending"
    second = await the_app.deliverer.deliver(outcome.outbox_id)  # reconciles, does not resend
    assert second.done
    assert len(fake.posts) == 1
    assert (await the_app.store.outbox_item(outcome.outbox_id)).status == "sent"
    trail = await the_app.store.audit_trail((await the_app.store.draft(p.draft.id)).message_id)
    assert trail[-1]["event"] == "posted" and trail[-1]["detail"]["reconciled"] is True


async def test_permanent_failure_alerts_admins_not_the_community(app: Any) -> None:
    the_app, fake, channel = app
    await fake.inject(make_message(message_id="p1"))
    await drain(the_app)
    [p] = await the_app.store.pending_drafts()
    fake.fail_next(DeliveryFailed("channel not found", permanent=True))
    await approve(the_app, p.draft.id)
    await drain(the_app)
    assert fake.posts == []
    assert (await the_app.store.draft(p.draft.id)).status == DraftStatus.FAILED
    assert any("channel not found" in a for a in channel.alerts)
    assert channel.results[-1][2] == "channel not found"


async def test_source_edited_before_posting_posts_nothing(app: Any) -> None:
    the_app, fake, _ = app
    await fake.inject(make_message(message_id="e1"))
    await drain(the_app)
    [p] = await the_app.store.pending_drafts()
    await approve(the_app, p.draft.id)
    await the_app.sink.source_changed(Platform.DISCORD, "e1", deleted=False, new_text="changed")
    await drain(the_app)
    assert fake.posts == []
    assert (await the_app.store.draft(p.draft.id)).status == DraftStatus.STALE


async def test_follow_up_gets_the_thread_as_context(app: Any) -> None:
    the_app, fake, _ = app
    drafter = the_app.drafter
    assert isinstance(drafter, TemplateDrafter)
    first = make_message("Sync fails with E1023 on Android", message_id="f1", author="tob")
    await fake.inject(first)
    await drain(the_app)
    await fake.inject(make_message("still broken", message_id="f2", author="tob", thread="f1"))
    await drain(the_app)
    last = drafter.briefs[-1]
    assert last.text == "still broken"
    assert [c.text for c in last.context] == ["Sync fails with E1023 on Android"]


async def test_bot_messages_are_not_processed(app: Any) -> None:
    the_app, fake, _ = app
    assert not await fake.inject(make_message("I am a bot", is_bot=True))
    assert (await the_app.store.status_counts())["messages"] == {}


async def test_sqlite_recovery_releases_only_the_claims_of_dead_processes(app: Any) -> None:
    the_app, fake, _ = app
    if not the_app.store.is_sqlite:
        pytest.skip("PostgreSQL relies on lease expiry")
    for mid in ("c1", "c2"):
        await fake.inject(make_message(message_id=mid))
    host = socket.gethostname()
    alive = await asyncio.create_subprocess_exec("sleep", "30")
    dead = await asyncio.create_subprocess_exec("true")
    await dead.wait()
    try:
        store = the_app.store
        await store.claim(worker=f"{host}:{alive.pid}", kinds=["process"], limit=1, lease=600)
        await store.claim(worker=f"{host}:{dead.pid}", kinds=["process"], limit=1, lease=600)
        assert await the_app.worker.recover() == 1  # the dead one's job only
        assert await store.claim_owners() == [f"{host}:{alive.pid}"]
    finally:
        alive.kill()
        await alive.wait()
