"""The real Bolt app on 127.0.0.1, signed interactive payloads, a local Slack Web API server:
cards appear, clicks decide once, only approvers may act, forged requests are refused."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from adapters.fake import FakeAdapter
from bot.app import AppParts, build_app
from bot.config import ApprovalConfig, Config, DatabaseConfig, PoliciesConfig
from bot.domain import DraftStatus, Platform
from bot.slack_approval import SlackApproval, SlackCredentials
from bot.store import cards as card_store
from bot.store import open_store
from tests.builders import make_message
from tests.doubles import RuleClassifier, TemplateDrafter
from tests.servers.slack import SlackServer
from tests.slack_approval.harness import REPO, Env, card_text, pending_draft, running_env
from tests.waiting import eventually


@pytest.fixture
async def env(db_url: str) -> AsyncIterator[Env]:
    async with running_env(db_url) as e:
        yield e


async def test_card_then_approve_posts_exactly_once(env: Env) -> None:
    await env.fake.inject(make_message("How do I export my notes?", message_id="m1"))
    await env.drain()
    [posted] = env.slack.called("chat.postMessage")
    assert posted.args["channel"] == "C_APPROVE"
    assert "drafting" in json.dumps(posted.args["blocks"])  # classification first
    [update] = env.slack.called("chat.update")
    assert '"action_id": "approve"' in json.dumps(update.args["blocks"])
    draft_id = await pending_draft(env)
    assert await env.click("approve", draft_id) == 200
    assert await env.click("approve", draft_id, user="U_BEN") == 200  # a second moderator
    await eventually(lambda: len(env.slack.called("chat.postEphemeral")) == 1)
    assert "already approved" in env.slack.called("chat.postEphemeral")[0].args["text"]
    await env.drain()
    assert len(env.fake.posts) == 1
    await eventually(lambda: "Posted on discord" in card_text(env))
    assert "Approved by <@U_ANA>" in card_text(env)


async def test_only_the_groups_approvers_may_act(env: Env) -> None:
    await env.fake.inject(make_message("How do I export?", message_id="m2"))
    await env.drain()
    draft_id = await pending_draft(env)
    assert await env.click("approve", draft_id, user="U_SUE") == 200  # support, not community
    await eventually(lambda: env.slack.called("chat.postEphemeral"))
    assert "Only the community approvers" in env.slack.called("chat.postEphemeral")[0].args["text"]
    assert (await env.app.store.draft(draft_id)).status == DraftStatus.PENDING


async def test_forged_and_stale_signatures_are_refused(env: Env) -> None:
    await env.fake.inject(make_message("How do I export?", message_id="m3"))
    await env.drain()
    [pending] = await env.app.store.pending_drafts()
    draft_id = pending.draft.id
    trail = await env.app.store.audit_trail(pending.stored.id)
    payload = {
        "type": "block_actions",
        "user": {"id": "U_ANA"},
        "actions": [{"action_id": "approve", "value": str(draft_id), "type": "button"}],
    }
    assert await env.post(payload, secret="wrong") == 401
    assert await env.post(payload, age=10 * 60) == 401
    # A genuine click after them, by someone who may not decide: once its refusal is shown,
    # anything the forged requests could have set off would have happened too.
    assert await env.click("approve", draft_id, user="U_SUE") == 200
    await eventually(lambda: env.slack.called("chat.postEphemeral"))
    assert (await env.app.store.draft(draft_id)).status == DraftStatus.PENDING
    assert [c.args["user"] for c in env.slack.called("chat.postEphemeral")] == ["U_SUE"]
    assert await env.app.store.audit_trail(pending.stored.id) == trail


async def test_edit_opens_a_modal_and_posts_the_edited_text(env: Env) -> None:
    await env.fake.inject(make_message("How do I export?", message_id="m4"))
    await env.drain()
    draft_id = await pending_draft(env)
    assert await env.click("edit", draft_id) == 200
    await eventually(lambda: env.slack.called("views.open"))
    view = env.slack.called("views.open")[0].args["view"]
    assert view["callback_id"] == "edit" and "Thanks for your message" in json.dumps(view)
    assert await env.submit("edit", draft_id, "") == 200  # empty: refused in the modal
    assert (await env.app.store.draft(draft_id)).status == DraftStatus.PENDING
    assert await env.submit("edit", draft_id, "Settings > Data > Export. Did that work?") == 200

    async def approved() -> bool:
        return (await env.app.store.draft(draft_id)).status == DraftStatus.APPROVED

    await eventually(approved)
    await env.drain()
    assert [p.text for p in env.fake.posts] == ["Settings > Data > Export. Did that work?"]


async def test_reject_with_reason_and_escalate_to_another_group(env: Env) -> None:
    await env.fake.inject(make_message("How do I export?", message_id="m5"))
    await env.fake.inject(make_message("My lawyer will hear about this", message_id="m6"))
    await env.drain()
    pending = {
        p.stored.message.platform_message_id: p for p in await env.app.store.pending_drafts()
    }
    reject_id = pending["m5"].draft.id
    assert await env.submit("reject", reject_id, "tone is off") == 200
    await eventually(lambda: "Rejected by <@U_ANA>" in card_text(env))
    assert "tone is off" in card_text(env)
    # The legal threat's card went to the legal channel; escalate a community draft instead.
    assert any(c.args["channel"] == "C_LEGAL" for c in env.slack.called("chat.postMessage"))
    await env.fake.inject(make_message("Where is the status page?", message_id="m7"))
    await env.drain()
    [m7] = [
        p
        for p in await env.app.store.pending_drafts()
        if p.stored.message.platform_message_id == "m7"
    ]
    draft_id = m7.draft.id
    assert await env.submit("escalate", draft_id, "billing question", group="support") == 200
    await eventually(lambda: "Escalated by <@U_ANA>" in card_text(env))

    async def support_card() -> bool:  # the last step after the ack: the new group's card
        return await card_store.card_for(env.app.store, m7.stored.id, "support") is not None

    await eventually(support_card)
    support = [p for p in await env.app.store.pending_drafts() if p.group == "support"]
    assert len(support) == 1 and support[0].draft.version == 2
    assert env.fake.posts == []


async def test_take_over_when_the_source_changed_posts_nothing(env: Env) -> None:
    await env.fake.inject(make_message("How do I export?", message_id="m8"))
    await env.drain()
    draft_id = await pending_draft(env)
    await env.app.sink.source_changed(Platform.DISCORD, "m8", deleted=True)
    assert await env.submit("take_over", draft_id, "My own reply") == 200
    await eventually(lambda: env.slack.called("chat.postEphemeral"))
    assert "edited or deleted" in env.slack.called("chat.postEphemeral")[0].args["text"]
    await env.drain()
    assert env.fake.posts == []


async def test_rate_limited_card_is_retried(env: Env) -> None:
    env.slack.fail("chat.postMessage", 429, retry_after=1)
    await env.fake.inject(make_message("How do I export?", message_id="m9"))
    await env.drain()
    calls = env.slack.called("chat.postMessage")
    assert len(calls) == 2  # 429, then the retry after Retry-After
    assert len(env.slack.messages) == 1


async def test_reminder_after_the_groups_target(env: Env) -> None:
    from datetime import timedelta

    from bot.store.store import utcnow

    await env.fake.inject(make_message("How do I export?", message_id="m10"))
    await env.drain()
    assert await env.approval.remind_once() == 0
    later = utcnow() + timedelta(minutes=61)
    assert await env.approval.remind_once(later) == 1
    assert await env.approval.remind_once(later + timedelta(minutes=1)) == 0  # not again yet
    reminder = [c for c in env.slack.called("chat.postMessage") if c.args.get("thread_ts")]
    assert "target 60 min" in reminder[0].args["text"]
    assert "<!subteam^S0COMMUNITY>" in reminder[0].args["text"]


async def test_admin_alerts_go_to_slack_never_to_the_community(env: Env) -> None:
    await env.fake.inject(make_message("you idiots", message_id="m11"))
    await env.drain()
    await env.approval.admin_alert("adapter telegram is down: 401")
    texts = [c.args.get("text", "") for c in env.slack.called("chat.postMessage")]
    assert any("adapter telegram is down" in t for t in texts)
    assert env.fake.posts == []


async def test_socket_mode_click_is_acknowledged_and_applied(db_url: str) -> None:
    slack = SlackServer(token="xoxb-test", user_groups={"S0COMMUNITY": ["U_ANA"]})
    await slack.start()
    await (await open_store(db_url, upgrade=True)).aclose()
    cfg = ApprovalConfig(
        enabled=True, mode="socket", channel="C_APPROVE", api_base_url=slack.base_url
    )
    config = Config(
        database=DatabaseConfig(url=db_url),
        approval=cfg,
        policies=PoliciesConfig(path=str(REPO / "policies")),
    )
    fake = FakeAdapter(platform=Platform.DISCORD)
    credentials = SlackCredentials("xoxb-test", app_token="xapp-test")
    parts = AppParts(
        adapters=[fake],
        approvals=lambda context: SlackApproval(cfg, context=context, credentials=credentials),
        drafter=TemplateDrafter(),
        classifier_factory=RuleClassifier,
    )
    try:
        async with build_app(config, parts) as app:
            await fake.start(app.sink)
            await eventually(lambda: slack.sockets)
            await fake.inject(make_message("How do I export?", message_id="s1"))
            await asyncio.wait_for(app.worker.drain(), 60)
            [p] = await app.store.pending_drafts()
            envelope = await slack.send_envelope(
                "interactive",
                {
                    "type": "block_actions",
                    "user": {"id": "U_ANA"},
                    "team": {"id": "T1"},
                    "api_app_id": "A1",
                    "trigger_id": "t",
                    "channel": {"id": "C_APPROVE"},
                    "actions": [
                        {
                            "type": "button",
                            "action_id": "approve",
                            "block_id": "decide",
                            "value": str(p.draft.id),
                            "action_ts": "1",
                        }
                    ],
                },
            )
            await eventually(lambda: any(a.get("envelope_id") == envelope for a in slack.acks))

            async def approved() -> bool:
                return (await app.store.draft(p.draft.id)).status == DraftStatus.APPROVED

            await eventually(approved)
            await asyncio.wait_for(app.worker.drain(), 60)
            assert len(fake.posts) == 1
    finally:
        await slack.stop()
