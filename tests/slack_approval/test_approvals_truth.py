"""Approvals that say what is true: a failed group lookup is explained and never cached,
membership goes stale within a minute or when Slack says so, a decision is in the store by
the time Slack gets the ack, an unknown delivery outcome never says "nothing was posted", a
vanished draft and an unknown escalation group are refused in words."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from adapters.fake import FakeAdapter
from bot.domain import ApprovalDecision, DraftStatus, OutboundReply, Platform
from bot.errors import DeliveryFailed, DeliveryUnknown
from bot.store import schema as t
from bot.store.store import ApprovalOutcome
from tests.builders import make_message
from tests.slack_approval.harness import Env, card_text, pending_draft, running_env
from tests.waiting import eventually


@pytest.fixture
async def env(db_url: str) -> AsyncIterator[Env]:
    async with running_env(db_url) as e:
        yield e


def notices(env: Env) -> list[str]:
    return [c.args["text"] for c in env.slack.called("chat.postEphemeral")]


async def status(env: Env, draft_id: int) -> DraftStatus:
    return (await env.app.store.draft(draft_id)).status


async def two_drafts(env: Env) -> tuple[int, int]:
    await env.fake.inject(make_message("How do I export?", message_id="a", author="ana"))
    await env.fake.inject(make_message("Where is the status page?", message_id="b", author="ben"))
    await env.drain()
    ids = {
        p.stored.message.platform_message_id: p.draft.id
        for p in await env.app.store.pending_drafts()
    }
    return ids["a"], ids["b"]


async def test_a_missing_scope_is_explained_and_not_cached(env: Env) -> None:
    await env.fake.inject(make_message("How do I export?", message_id="m1"))
    await env.drain()
    draft_id = await pending_draft(env)
    env.slack.fail("usergroups.users.list", 200, error="missing_scope")
    assert await env.click("approve", draft_id) == 200
    await eventually(lambda: notices(env))  # told after the ack
    [notice] = notices(env)
    assert "usergroups:read" in notice and "S0COMMUNITY" in notice
    assert "Only the" not in notice  # not "you are not an approver"
    assert await status(env, draft_id) == DraftStatus.PENDING
    # The scope is fixed: the very next click is let in (the failure was not remembered).
    assert await env.click("approve", draft_id) == 200
    assert await status(env, draft_id) == DraftStatus.APPROVED
    assert len(env.slack.called("usergroups.users.list")) == 2


async def test_a_removed_member_stops_deciding_within_a_minute(db_url: str) -> None:
    now = [1000.0]
    async with running_env(db_url, clock=lambda: now[0]) as env:
        first, second = await two_drafts(env)
        assert await env.click("approve", first, user="U_BEN") == 200
        assert await status(env, first) == DraftStatus.APPROVED
        env.slack.user_groups["S0COMMUNITY"].remove("U_BEN")
        now[0] += 61
        assert await env.click("approve", second, user="U_BEN") == 200
        assert await status(env, second) == DraftStatus.PENDING
        await eventually(lambda: notices(env))
        assert notices(env) == ["Only the community approvers can decide this draft."]


async def test_membership_follows_subteam_members_changed(db_url: str) -> None:
    async with running_env(db_url, clock=lambda: 1000.0) as env:  # the cache never expires
        first, second = await two_drafts(env)
        assert await env.click("approve", first, user="U_BEN") == 200
        env.slack.user_groups["S0COMMUNITY"].remove("U_BEN")
        lookups = len(env.slack.called("usergroups.users.list"))
        assert (
            await env.event(
                {
                    "type": "subteam_members_changed",
                    "subteam_id": "S0COMMUNITY",
                    "team_id": "T1",
                    "removed_users": ["U_BEN"],
                    "removed_users_count": 1,
                    "event_ts": str(time.time()),
                }
            )
            == 200
        )
        await eventually(lambda: env.approval.approvers.cached("S0COMMUNITY") is None)
        assert await env.click("approve", second, user="U_BEN") == 200
        assert await status(env, second) == DraftStatus.PENDING
        assert len(env.slack.called("usergroups.users.list")) == lookups + 1


async def test_the_decision_is_stored_before_slack_gets_the_ack(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = await two_drafts(env)
    decide = env.app.store.decide_draft

    async def slow_decide(decision: ApprovalDecision) -> ApprovalOutcome:
        await asyncio.sleep(0.5)  # a slow database: the ack must still wait for the write
        return await decide(decision)

    monkeypatch.setattr(env.app.store, "decide_draft", slow_decide)
    assert await env.click("approve", first) == 200
    assert await status(env, first) == DraftStatus.APPROVED  # no waiting: already written
    assert await env.submit("edit", second, "Settings > Data > Export.") == 200
    assert await status(env, second) == DraftStatus.APPROVED
    assert env.last_body == ""  # the modal closes (no errors)


async def test_a_click_on_a_draft_that_no_longer_exists(env: Env) -> None:
    for verb in ("approve", "edit"):
        assert await env.click(verb, 987654) == 200
    assert await env.submit("reject", 987654, "spam") == 200
    await eventually(lambda: len(notices(env)) == 3)
    assert notices(env) == ["This draft no longer exists: nothing done."] * 3
    assert env.slack.called("views.open") == []


async def test_escalating_to_a_group_the_policy_lacks_is_refused_in_the_modal(env: Env) -> None:
    await env.fake.inject(make_message("How do I export?", message_id="m2"))
    await env.drain()
    draft_id = await pending_draft(env)
    assert await env.submit("escalate", draft_id, "billing", group="finance") == 200
    answer = json.loads(env.last_body)
    assert answer["response_action"] == "errors"
    assert "finance" in answer["errors"]["group"] and "policy" in answer["errors"]["group"]
    assert await status(env, draft_id) == DraftStatus.PENDING
    assert len(await env.app.store.pending_drafts()) == 1  # no draft nobody can act on


class CannotLook(FakeAdapter):
    """A platform whose history a bot cannot read (Telegram): an unknown send stays unknown."""

    async def find_sent(self, reply: OutboundReply) -> None:
        raise DeliveryFailed(
            "a Telegram send had an unknown outcome and bots cannot read chat history: check "
            "the chat and post by hand if the reply is missing",
            permanent=True,
        )


async def test_an_unknown_delivery_outcome_says_the_reply_may_be_there(db_url: str) -> None:
    fake = CannotLook(platform=Platform.TELEGRAM)
    async with running_env(db_url, fake=fake) as env:
        m = make_message("How do I export?", message_id="m3", platform=Platform.TELEGRAM)
        await fake.inject(dataclasses.replace(m, raw={"permalink": "https://t.me/brand/42"}))
        await env.drain()
        draft_id = await pending_draft(env)
        # The send times out after Telegram took it: the reply is in the chat.
        fake.fail_next(DeliveryUnknown("telegram: TimedOut"), after_delivery=True)
        assert await env.click("approve", draft_id) == 200
        await env.drain()
        async with env.app.store.connect() as conn:
            outbox_id = (
                await conn.execute(select(t.outbox.c.id).where(t.outbox.c.draft_id == draft_id))
            ).scalar_one()
        await env.app.deliverer.deliver(outbox_id)  # the retry: Telegram cannot be asked
        assert len(fake.posts) == 1
        card = card_text(env)
        assert "may have been posted" in card and "check the chat" in card
        assert "<https://t.me/brand/42|open the message>" in card
        assert "Nothing was posted" not in card


class DownDrafter:
    """The inference server is down for the whole test."""

    name = "llm-down"

    async def draft(self, brief: object) -> object:
        raise ConnectionError("inference server at 127.0.0.1:8000 unreachable")

    async def aclose(self) -> None:
        pass


def as_list(value: Any) -> list[dict[str, Any]]:
    """Block Kit arrives as JSON text or already parsed, by how the SDK sent it."""
    blocks: list[dict[str, Any]] = (
        json.loads(value) if isinstance(value, str) else list(value or [])
    )
    return blocks


def write_now_buttons(env: Env) -> list[dict[str, Any]]:
    """The Take over buttons of cards that have no draft yet, as last shown."""
    shown = env.slack.called("chat.postMessage") + env.slack.called("chat.update")
    blocks = [b for c in shown for b in as_list(c.args.get("blocks"))]
    return [
        e
        for b in blocks
        if b.get("type") == "actions"
        for e in b["elements"]
        if e["action_id"] == "write_now"
    ]


async def test_a_card_waiting_for_its_draft_can_be_taken_over(db_url: str) -> None:
    async with running_env(db_url, drafter=DownDrafter()) as env:  # type: ignore[arg-type]
        await env.fake.inject(make_message("How do I export my notes?", message_id="m1"))
        await env.drain()  # carded; the draft job fails once and waits for its retry
        updates = [c.args for c in env.slack.called("chat.update")]
        assert any("drafting model is failing" in u["text"] for u in updates)
        [stored] = await env.app.store.messages_since(datetime(2000, 1, 1, tzinfo=UTC))
        assert [b["value"] for b in write_now_buttons(env)][-1] == str(stored.id)
        # Someone outside the group is refused, and no draft is made for them.
        assert await env.click("write_now", stored.id, user="U_NOBODY") == 200
        await eventually(lambda: notices(env))
        assert "approvers can answer" in notices(env)[0]
        assert await env.app.store.drafts_of(stored.id) == []
        # An approver gets the Take over modal on an empty draft, and the reply is posted.
        approver = {"community": "U_ANA", "support": "U_SUE"}[stored.group or ""]
        assert await env.click("write_now", stored.id, user=approver) == 200
        await eventually(lambda: env.slack.called("views.open"))
        raw = env.slack.called("views.open")[0].args["view"]
        view = json.loads(raw) if isinstance(raw, str) else raw
        [draft] = await env.app.store.drafts_of(stored.id)
        assert view["callback_id"] == "take_over" and view["private_metadata"] == str(draft.id)
        reply = "We hear you; our team will follow up."
        assert await env.submit("take_over", draft.id, reply, user=approver) == 200
        await env.drain()
        assert [p.text for p in env.fake.posts] == [reply]
        # The machine draft that comes later does not replace the human's.
        assert len(await env.app.store.drafts_of(stored.id)) == 1
