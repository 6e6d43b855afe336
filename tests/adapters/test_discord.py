"""The Discord adapter with the real discord.py against a local gateway and REST server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from adapters.discord import DiscordAdapter
from bot.config import DiscordAdapterConfig
from bot.domain import ConversationRef, OutboundReply, Platform
from bot.errors import AdapterUnhealthy, DeliveryFailed, DeliveryUnknown
from tests.adapters.test_telegram import Sink, eventually
from tests.servers.discord import DiscordServer


class HistorySink(Sink):
    async def last_seen(self, platform: Platform, channel_id: str) -> str | None:
        ids = [
            int(m.platform_message_id)
            for m in self.accepted
            if m.conversation.channel_id == channel_id
        ]
        return str(max(ids)) if ids else None


@asynccontextmanager
async def running(
    server: DiscordServer, **kw: object
) -> AsyncIterator[tuple[DiscordAdapter, HistorySink]]:
    """The adapter started against ``server`` with a fresh sink, stopped afterwards."""
    sink = HistorySink()
    adapter = adapter_for(server, **kw)
    await adapter.start(sink)
    try:
        yield adapter, sink
    finally:
        await adapter.stop()


@pytest.fixture
async def server() -> AsyncIterator[DiscordServer]:
    s = DiscordServer()
    await s.start()
    yield s
    await s.stop()


def adapter_for(server: DiscordServer, **kw: Any) -> DiscordAdapter:
    config = DiscordAdapterConfig(
        enabled=True, api_base_url=server.api, gateway_url=server.gateway, **kw
    )
    return DiscordAdapter(
        config, token=server.token, identify_delay=0.0, ready_timeout=10, retry_delay=0.1
    )


async def test_messages_arrive_and_replies_are_threaded(server: DiscordServer) -> None:
    async with running(server) as (adapter, sink):
        original = await server.member_says("How do I export my notes?")
        await server.member_says("beep", user="77", name="otherbot", bot=True)
        await eventually(lambda: len(sink.accepted) == 1)
        m = sink.accepted[0]
        assert (m.platform_message_id, m.conversation.channel_name) == (original["id"], "general")
        assert m.text == "How do I export my notes?" and m.author.name == "maya"
        reply = OutboundReply(
            ConversationRef(Platform.DISCORD, "10", reply_to_message_id=original["id"]),
            "Settings > Data > Export. Did that work?",
            "tl-1-abc",
        )
        receipt = await adapter.send(reply)
        again = await adapter.find_sent(reply)  # the same nonce: no second message
        assert adapter.health().connected
    assert len(server.posted) == 1
    assert str(server.posted[0]["message_reference"]["message_id"]) == original["id"]
    assert again is not None and again.platform_message_ids == receipt.platform_message_ids
    assert not any(m.author.is_bot for m in sink.accepted)


async def test_long_replies_are_split_under_2000(server: DiscordServer) -> None:
    adapter = adapter_for(server)
    await adapter.start(HistorySink())
    try:
        receipt = await adapter.send(
            OutboundReply(
                ConversationRef(Platform.DISCORD, "10"), "A sentence here. " * 300, "tl-2"
            )
        )
    finally:
        await adapter.stop()
    assert len(receipt.platform_message_ids) == 3
    assert all(len(p["content"]) <= 2000 for p in server.posted)


async def test_resume_replays_and_a_new_session_backfills(server: DiscordServer) -> None:
    async with running(server) as (_adapter, sink):
        await server.member_says("first")
        await eventually(lambda: len(sink.accepted) == 1)
        # A dropped connection resumes; events sent meanwhile are replayed by the gateway.
        await server.drop(resumable=True)
        await server.member_says("while resuming")
        await eventually(lambda: server.resumes == 1 and len(sink.accepted) == 2, within=20)
        # Discord asks for a reconnect (op 7): the client resumes the same session.
        await server.ask_to_reconnect()
        await eventually(lambda: server.resumes == 2, within=20)
        # A session that cannot resume: messages in between come from channel history.
        await server.drop(resumable=False)
        await server.member_says("lost from the gateway", channel="11")
        await server.member_says("lost in a thread", channel="12")
        await eventually(lambda: server.identifies == 2, within=20)
        await eventually(lambda: len(sink.accepted) == 4, within=20)
    texts = [m.text for m in sink.accepted]
    assert texts == ["first", "while resuming", "lost from the gateway", "lost in a thread"]


async def test_backfill_never_reaches_before_the_adapter_started(server: DiscordServer) -> None:
    await server.member_says("an old message from last year")  # before Tactline listened
    await asyncio.sleep(0.01)  # snowflakes count milliseconds
    async with running(server) as (_adapter, sink):
        await server.drop(resumable=False)
        await eventually(lambda: server.identifies == 2, within=20)
        await server.member_says("new")
        await eventually(lambda: len(sink.accepted) == 1)
    assert [m.text for m in sink.accepted] == ["new"]


async def test_missing_message_content_intent_is_a_clear_error(server: DiscordServer) -> None:
    server.app_flags = 0
    adapter = adapter_for(server)
    with pytest.raises(AdapterUnhealthy, match="Message Content intent"):
        await adapter.start(HistorySink())
    assert not adapter.health().connected


async def test_wrong_token(server: DiscordServer) -> None:
    config = DiscordAdapterConfig(enabled=True, api_base_url=server.api, gateway_url=server.gateway)
    adapter = DiscordAdapter(config, token="wrong", identify_delay=0, ready_timeout=10)
    with pytest.raises(AdapterUnhealthy, match="token"):
        await adapter.start(HistorySink())


async def test_rate_limits_and_outages(server: DiscordServer) -> None:
    adapter = adapter_for(server)
    await adapter.start(HistorySink())
    reply = OutboundReply(ConversationRef(Platform.DISCORD, "10"), "hello", "tl-3")
    try:
        server.fail_next_post(429, retry_after=0.2)  # short: discord.py waits and retries
        assert (await adapter.send(reply)).platform_message_ids
        server.fail_next_post(429, retry_after=120)  # long: rescheduled by Tactline
        with pytest.raises(DeliveryFailed) as exc:
            await adapter.send(OutboundReply(reply.conversation, "again", "tl-4"))
        assert exc.value.retry_after == pytest.approx(120) and not exc.value.permanent
        with pytest.raises(DeliveryFailed, match="not found"):
            await adapter.send(OutboundReply(ConversationRef(Platform.DISCORD, "404"), "x", "tl-5"))
    finally:
        await adapter.stop()
    await asyncio.sleep(0)


async def test_edits_and_deletes_reach_the_pipeline(server: DiscordServer) -> None:
    async with running(server) as (_adapter, sink):
        first = await server.member_says("your app is brokn")
        second = await server.member_says("never mind")
        await eventually(lambda: len(sink.accepted) == 2)
        await server.member_edits(first, "your app is broken")
        await server.member_deletes(second)
        await eventually(lambda: len(sink.changed) == 2)
    assert sink.changed == [
        (first["id"], False, "your app is broken"),
        (second["id"], True, None),
    ]


async def test_odd_text_own_messages_and_mentions(server: DiscordServer) -> None:
    sink = HistorySink()
    adapter = adapter_for(server, mention_only=True)
    await adapter.start(sink)
    odd = "\u202eolleh\u200b 👋🏽 " + "x" * 3990
    try:
        await server.member_says("talking among ourselves")
        await server.member_says(odd, mentions_bot=True)
        await server.member_says("", mentions_bot=True)  # an attachment alone: nothing to answer
        await adapter.send(OutboundReply(ConversationRef(Platform.DISCORD, "10"), "hi", "tl-6"))
        await server.member_says("@Inkwell are you there?", mentions_bot=True)
        await eventually(lambda: len(sink.accepted) == 2)
        await asyncio.sleep(0.2)
    finally:
        await adapter.stop()
    assert [m.text for m in sink.accepted] == [odd, "@Inkwell are you there?"]


async def test_a_5xx_is_retried_and_posts_once(server: DiscordServer) -> None:
    adapter = adapter_for(server)
    await adapter.start(HistorySink())
    try:
        server.fail_next_post(502)
        receipt = await adapter.send(
            OutboundReply(ConversationRef(Platform.DISCORD, "10"), "Fixed in 2.3.", "tl-7")
        )
    finally:
        await adapter.stop()
    assert [p["content"] for p in server.posted] == ["Fixed in 2.3."]
    assert receipt.platform_message_ids == (server.posted[0]["id"],)


async def test_a_message_the_store_missed_is_read_again_from_history(
    server: DiscordServer,
) -> None:
    async with running(server) as (adapter, sink):
        sink.broken = 2  # the database is down for the next two attempts
        await server.member_says("is anyone reading this?")
        await server.member_says("hello??")
        await eventually(lambda: len(sink.accepted) == 2, within=10)
        await server.member_says("ok thanks")
        await eventually(lambda: len(sink.accepted) == 3)
        await eventually(lambda: adapter.health().last_error is None)  # caught up
    assert [m.text for m in sink.accepted] == ["is anyone reading this?", "hello??", "ok thanks"]


async def test_a_malformed_event_does_not_stop_the_adapter(server: DiscordServer) -> None:
    async with running(server) as (adapter, sink):
        await server.dispatch("MESSAGE_CREATE", {"id": "oops", "channel_id": "10"})
        await server.member_says("still there?")
        await eventually(lambda: [m.text for m in sink.accepted] == ["still there?"], within=15)
        await eventually(lambda: adapter.health().connected)


async def test_a_token_revoked_while_running_stops_only_this_adapter(
    server: DiscordServer,
) -> None:
    adapter = adapter_for(server)
    await adapter.start(HistorySink())
    try:
        server.token = "revoked"
        with pytest.raises(AdapterUnhealthy, match="token"):
            await adapter.send(OutboundReply(ConversationRef(Platform.DISCORD, "10"), "x", "t8"))
        assert "token" in (adapter.health().last_error or "")
    finally:
        await adapter.stop()


async def test_thread_messages_are_answered_in_the_thread(server: DiscordServer) -> None:
    sink = HistorySink()
    adapter = adapter_for(server, channels=("10",))  # a watched channel covers its threads
    await adapter.start(sink)
    try:
        original = await server.member_says("still broken after 4.2.1", channel="12")
        await eventually(lambda: len(sink.accepted) == 1)
        [m] = sink.accepted
        assert (m.conversation.channel_id, m.conversation.thread_id) == ("12", "12")
        assert m.conversation.channel_name == "general"
        await adapter.send(
            OutboundReply(
                ConversationRef(
                    Platform.DISCORD, "12", thread_id="12", reply_to_message_id=original["id"]
                ),
                "Thanks. Which phone is it?",
                "tl-9",
            )
        )
    finally:
        await adapter.stop()
    [post] = server.posted
    assert post["channel_id"] == "12"
    assert str(post["message_reference"]["message_id"]) == original["id"]


async def test_messages_said_while_tactline_was_restarting_are_read(
    server: DiscordServer,
) -> None:
    sink = HistorySink()
    adapter = adapter_for(server)
    await adapter.start(sink)
    await server.member_says("before the restart")
    await eventually(lambda: len(sink.accepted) == 1)
    await adapter.stop()
    await server.member_says("while Tactline was down")
    adapter = adapter_for(server)
    await adapter.start(sink)  # the same store
    try:
        await eventually(lambda: len(sink.accepted) == 2)
    finally:
        await adapter.stop()
    assert [m.text for m in sink.accepted] == ["before the restart", "while Tactline was down"]


async def test_an_unknown_outcome_is_found_in_the_channel_not_posted_twice(
    server: DiscordServer,
) -> None:
    async with running(server) as (adapter, _sink):
        original = await server.member_says("Sync fails with E1023")
        reply = OutboundReply(
            ConversationRef(Platform.DISCORD, "10", reply_to_message_id=original["id"]),
            "Known issue in 4.2, the fix is in testing. Which phone is it?",
            "tl-10",
        )
        server.lose_next_answer()
        with pytest.raises(DeliveryUnknown):
            await adapter.send(reply)
        server.forget_nonces()  # a long outage: the nonce alone would not save us
        found = await adapter.find_sent(reply)
        other = OutboundReply(reply.conversation, "A different reply.", "tl-11")
        assert await adapter.find_sent(other) is None  # never sent: the caller sends it
        loose = OutboundReply(ConversationRef(Platform.DISCORD, "10"), "Hello all!", "tl-12")
        await adapter.send(loose)
        assert await adapter.find_sent(loose) is not None  # no source message: newest first
    assert len(server.posted) == 2
    assert found is not None and found.platform_message_ids == (server.posted[0]["id"],)
