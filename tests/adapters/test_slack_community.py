"""The Slack community adapter: real Bolt app on 127.0.0.1, signed Events API requests, a local
Slack Web API server."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from adapters.slack import SlackCommunityAdapter
from bot.config import SlackAdapterConfig
from bot.domain import ConversationRef, OutboundReply, Platform
from bot.errors import AdapterUnhealthy, DeliveryFailed, DeliveryUnknown
from tests.adapters.test_telegram import Sink, eventually
from tests.servers.slack import SlackServer

SECRET = "community-secret"


@pytest.fixture
async def slack() -> AsyncIterator[SlackServer]:
    s = SlackServer(token="xoxb-community", users={"U_MAYA": "maya"})
    await s.start()
    yield s
    await s.stop()


async def started(slack: SlackServer, sink: Sink, **kw: Any) -> SlackCommunityAdapter:
    config = SlackAdapterConfig(
        enabled=True, api_base_url=slack.base_url, mode="http", listen_port=0, **kw
    )
    adapter = SlackCommunityAdapter(config, token="xoxb-community", signing_secret=SECRET)
    await adapter.start(sink)
    return adapter


async def post_event(
    adapter: SlackCommunityAdapter,
    event: dict[str, Any],
    event_id: str = "Ev1",
    secret: str = SECRET,
) -> int:
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": "T1",
            "api_app_id": "A1",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": event,
        }
    )
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"http://127.0.0.1:{adapter.http_port}/slack/community",
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": sig,
            },
        ) as resp,
    ):
        return resp.status


def message(text: str, ts: str = "1700000000.000100", **kw: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "channel": "C_COMMUNITY",
        "user": "U_MAYA",
        "text": text,
        "ts": ts,
        **kw,
    }


async def test_message_is_stored_before_the_ack_and_redelivery_is_ignored(
    slack: SlackServer,
) -> None:
    sink = Sink()
    adapter = await started(slack, sink)
    try:
        assert await post_event(adapter, message("How do I export?")) == 200
        assert len(sink.accepted) == 1  # stored by the time Slack got its 200
        assert await post_event(adapter, message("How do I export?")) == 200  # a retry
        assert await post_event(adapter, message("How do I export?"), event_id="Ev2") == 200
        assert await post_event(adapter, message("forged"), event_id="Ev3", secret="wrong") == 401
    finally:
        await adapter.stop()
    [m] = sink.accepted
    assert (m.platform, m.platform_message_id, m.author.name) == (
        Platform.SLACK,
        "1700000000.000100",
        "maya",
    )
    assert m.conversation.reply_to_message_id == "1700000000.000100"


async def test_store_down_answers_an_error_so_slack_retries(slack: SlackServer) -> None:
    sink = Sink(broken=1)
    adapter = await started(slack, sink)
    try:
        assert await post_event(adapter, message("hello?")) != 200
        assert await post_event(adapter, message("hello?")) == 200  # Slack's retry
    finally:
        await adapter.stop()
    assert len(sink.accepted) == 1


async def test_threads_edits_deletes_and_bots(slack: SlackServer) -> None:
    sink = Sink()
    adapter = await started(slack, sink)
    try:
        await post_event(
            adapter,
            message("still broken", ts="1700000001.000200", thread_ts="1700000000.000100"),
            "E1",
        )
        await post_event(
            adapter,
            {
                "type": "message",
                "subtype": "message_changed",
                "channel": "C_COMMUNITY",
                "message": {"ts": "1700000001.000200", "text": "fixed!"},
            },
            "E2",
        )
        await post_event(
            adapter,
            {
                "type": "message",
                "subtype": "message_deleted",
                "channel": "C_COMMUNITY",
                "deleted_ts": "1",
            },
            "E3",
        )
        await post_event(adapter, message("I am a bot", ts="3.0", bot_id="B9"), "E4")
        await post_event(adapter, {"type": "message", "channel": "C_COMMUNITY"}, "E5")
    finally:
        await adapter.stop()
    assert sink.accepted[0].conversation.thread_id == "1700000000.000100"
    assert sink.changed == [("1700000001.000200", False, "fixed!"), ("1", True, None)]
    assert [m.text for m in sink.accepted] == ["still broken"]  # the bot is not processed


def outbound(text: str = "Thanks! Did that help?", key: str = "tl-1") -> OutboundReply:
    return OutboundReply(
        ConversationRef(Platform.SLACK, "C_COMMUNITY", reply_to_message_id="1700000000.000100"),
        text,
        key,
    )


async def test_send_in_thread_with_key_and_reconcile(slack: SlackServer) -> None:
    adapter = await started(slack, Sink())
    try:
        receipt = await adapter.send(outbound())
        [call] = slack.called("chat.postMessage")
        assert call.args["thread_ts"] == "1700000000.000100"
        assert call.args["metadata"]["event_payload"]["key"] == "tl-1"
        # A lost response: posted, but the caller saw a 500. Reconciliation finds it.
        slack.fail("chat.postMessage", 500, after=True)
        with pytest.raises(DeliveryUnknown):
            await adapter.send(outbound(key="tl-2"))
        found = await adapter.find_sent(outbound(key="tl-2"))
        assert found is not None and len(found.platform_message_ids) == 1
        assert await adapter.find_sent(outbound(key="tl-3")) is None
        long = await adapter.send(outbound("Sentence. " * 1000, key="tl-4"))
        assert len(long.platform_message_ids) == 3
    finally:
        await adapter.stop()
    assert receipt.platform_message_ids


async def test_replies_are_posted_inert(slack: SlackServer) -> None:
    """A draft or an edit carrying mass mentions, a user mention or a disguised link pings
    nobody and links nowhere in the community: Slack receives it escaped, and shows it as
    typed."""
    hostile = (
        "Thanks <!channel> <!here> <!everyone> @everyone <@U0CEO> "
        "<https://evil.example|status page> a&b &lt;"
    )
    adapter = await started(slack, Sink())
    try:
        await adapter.send(outbound(hostile))
        # Split first, escaped after: an entity is never cut between two messages.
        long = await adapter.send(outbound("a<b & c. " * 600, key="tl-long"))
    finally:
        await adapter.stop()
    first, *parts = slack.called("chat.postMessage")
    assert first.args["text"] == (
        "Thanks &lt;!channel&gt; &lt;!here&gt; &lt;!everyone&gt; @everyone &lt;@U0CEO&gt; "
        "&lt;https://evil.example|status page&gt; a&amp;b &amp;lt;"
    )
    assert not first.args.get("link_names") and first.args.get("parse") in (None, "none")
    assert len(long.platform_message_ids) == len(parts) == 2
    for part in parts:
        text = part.args["text"]
        assert "<" not in text and text.count("&") == text.count("&lt;") + text.count("&amp;")


async def test_send_faults(slack: SlackServer) -> None:
    adapter = await started(slack, Sink())
    try:
        slack.fail("chat.postMessage", 429, retry_after=30)
        with pytest.raises(DeliveryFailed) as exc:
            await adapter.send(outbound())
        assert exc.value.retry_after == 30
        slack.fail("chat.postMessage", 200, error="channel_not_found")
        with pytest.raises(DeliveryFailed) as exc:
            await adapter.send(outbound())
        assert exc.value.permanent
        slack.fail("chat.postMessage", 200, error="token_revoked")
        with pytest.raises(AdapterUnhealthy):
            await adapter.send(outbound())
        assert not adapter.health().connected
    finally:
        await adapter.stop()


async def test_invalid_token_at_start(slack: SlackServer) -> None:
    config = SlackAdapterConfig(enabled=True, api_base_url=slack.base_url, listen_port=0)
    adapter = SlackCommunityAdapter(config, token="xoxb-wrong", signing_secret=SECRET)
    with pytest.raises(AdapterUnhealthy, match="invalid_auth"):
        await adapter.start(Sink())


@dataclass
class SlowSlack(SlackServer):
    """A Slack whose users.info takes ``users_delay`` seconds to answer."""

    users_delay: float = 0.0

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["method"] == "users.info":
            await asyncio.sleep(self.users_delay)
        return await super()._handle(request)


async def test_a_slow_users_info_never_holds_the_ack_past_slacks_deadline() -> None:
    """Slack re-sends an event not acked within 3 s. The message is still stored before the
    ack, with the member's id for a name; the lookup finishes meanwhile, once per member,
    and their next message carries the display name."""
    slow = SlowSlack(token="xoxb-community", users={"U_MAYA": "maya"}, users_delay=3.5)
    await slow.start()
    sink = Sink()
    adapter = await started(slow, sink)
    try:
        began = time.monotonic()
        statuses = await asyncio.gather(
            post_event(adapter, message("first?", ts="1.1"), "Ev1"),
            post_event(adapter, message("second?", ts="1.2"), "Ev2"),
        )
        acked_in = time.monotonic() - began
        assert list(statuses) == [200, 200] and acked_in < 2.5
        assert [m.author.name for m in sink.accepted] == ["U_MAYA", "U_MAYA"]
        await eventually(lambda: len(slow.called("users.info")) == 1)
        await asyncio.sleep(3.5 - (time.monotonic() - began) + 0.3)  # the answer came
        assert await post_event(adapter, message("third?", ts="1.3"), "Ev3") == 200
    finally:
        await adapter.stop()
        await slow.stop()
    assert [m.author.name for m in sink.accepted] == ["U_MAYA", "U_MAYA", "maya"]
    assert len(slow.called("users.info")) == 1  # one lookup for the member, then the cache
    assert [m.author.id for m in sink.accepted] == ["U_MAYA"] * 3
