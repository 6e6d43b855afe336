"""A reply given up while its outcome was unknown: the admins and the card are told it may
have been posted (check the chat), never "not delivered", which would get it posted twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.fake import FakeAdapter
from bot.app import App, open_app
from bot.config import Config, DatabaseConfig, PoliciesConfig
from bot.delivery import Deliverer
from bot.domain import ApprovalDecision, OutboundReply, Platform, Verdict
from bot.errors import AdapterUnhealthy, DeliveryFailed, DeliveryUnknown
from bot.slack_approval.app import _MAYBE_SENT
from bot.store import open_store
from bot.store import schema as t
from bot.store.store import utcnow
from tests.builders import make_message
from tests.doubles import TemplateDrafter
from tests.spine.test_end_to_end import RecordingChannel, classifier_factory

REPO = Path(__file__).resolve().parents[2]
CHECK = "may have been posted — check the chat before posting it again"


class CannotLook(FakeAdapter):
    """A platform whose history a bot cannot read (Telegram): an unknown send stays unknown."""

    async def find_sent(self, reply: OutboundReply) -> None:
        raise DeliveryFailed("bots cannot read chat history", permanent=True)


@dataclass
class Env:
    app: App
    fake: CannotLook
    channel: RecordingChannel

    def deliverer(self, patience: timedelta = timedelta(hours=6)) -> Deliverer:
        return Deliverer(
            store=self.app.store,
            adapters={Platform.TELEGRAM: self.fake},
            approvals=self.channel,
            patience=patience,
            base_backoff=0.01,
        )

    async def approved(self, message_id: str) -> int:
        """A message in, drafted and approved: the id of its outbox row."""
        await self.fake.inject(
            make_message("How do I export?", message_id=message_id, platform=Platform.TELEGRAM)
        )
        await asyncio.wait_for(self.app.worker.drain(), 60)
        [pending] = await self.app.store.pending_drafts()
        outcome = await self.app.store.decide_draft(
            ApprovalDecision(
                draft_id=pending.draft.id, actor="U_ANA", at=utcnow(), verdict=Verdict.APPROVE
            )
        )
        assert outcome.outbox_id is not None
        return int(outcome.outbox_id)


@pytest.fixture
async def env(db_url: str) -> AsyncIterator[Env]:
    config = Config(
        database=DatabaseConfig(url=db_url), policies=PoliciesConfig(path=str(REPO / "policies"))
    )
    await (await open_store(db_url, upgrade=True)).aclose()
    fake = CannotLook(platform=Platform.TELEGRAM)
    channel = RecordingChannel()
    async with open_app(
        config,
        adapters=[fake],
        approvals=channel,
        drafter=TemplateDrafter(),
        classifier_factory=classifier_factory,
    ) as app:
        await fake.start(app.sink)
        yield Env(app, fake, channel)


def says_maybe_sent(env: Env, error: str | None) -> None:
    """The card's error text, the stored error and the admin alert all say it may be there."""
    [alert] = env.channel.alerts
    assert CHECK in alert and "not delivered" not in alert
    assert error is not None and CHECK in error
    assert any(marker in error for marker in _MAYBE_SENT)  # the card says "may have been posted"


async def test_unknown_then_unverifiable_says_it_may_have_been_posted(env: Env) -> None:
    outbox_id = await env.approved("m1")
    deliverer = env.deliverer()
    env.fake.fail_next(DeliveryUnknown("telegram send timed out"), after_delivery=True)
    first = await deliverer.deliver(outbox_id)
    assert not first.done and (await env.app.store.outbox_item(outbox_id)).status == "sending"
    second = await deliverer.deliver(outbox_id)  # find_sent cannot tell: a human decides
    assert second.done and len(env.fake.posts) == 1  # not sent again
    [(_, receipt, error)] = env.channel.results
    assert receipt is None
    says_maybe_sent(env, error)
    async with env.app.store.connect() as conn:
        row = (
            await conn.execute(
                select(t.outbox.c.status, t.outbox.c.last_error).where(t.outbox.c.id == outbox_id)
            )
        ).one()
    assert (row.status, row.last_error) == ("failed", error)


async def test_unknown_outcome_past_the_patience_says_it_may_have_been_posted(env: Env) -> None:
    outbox_id = await env.approved("m2")
    env.fake.fail_next(DeliveryUnknown("telegram send timed out"), after_delivery=True)
    outcome = await env.deliverer(patience=timedelta(0)).deliver(outbox_id)
    assert outcome.done
    [(_, _, error)] = env.channel.results
    says_maybe_sent(env, error)
    assert "telegram send timed out" in env.channel.alerts[0]


async def test_adapter_gone_while_sending_past_the_patience_may_have_posted(env: Env) -> None:
    outbox_id = await env.approved("m3")
    env.fake.fail_next(DeliveryUnknown("telegram send timed out"), after_delivery=True)
    assert not (await env.deliverer().deliver(outbox_id)).done  # left "sending"
    gone = Deliverer(store=env.app.store, adapters={}, approvals=env.channel, patience=timedelta(0))
    assert (await gone.deliver(outbox_id)).done
    [(_, _, error)] = env.channel.results
    says_maybe_sent(env, error)


@pytest.mark.parametrize(
    "fault",
    [
        DeliveryFailed("channel not found", permanent=True),
        DeliveryFailed("platform down", retry_after=1.0),  # given up after the patience
        AdapterUnhealthy("token refused", permanent=True),
    ],
    ids=["refused", "down-past-patience", "unhealthy"],
)
async def test_a_send_that_surely_failed_says_not_delivered(env: Env, fault: Exception) -> None:
    outbox_id = await env.approved("m4")
    env.fake.fail_next(fault)
    assert (await env.deliverer(patience=timedelta(0)).deliver(outbox_id)).done
    assert env.fake.posts == []
    [alert] = env.channel.alerts
    [(_, _, error)] = env.channel.results
    assert "was not delivered" in alert and "may have been posted" not in alert
    assert error is not None and not any(marker in error for marker in _MAYBE_SENT)
