"""Reactions reach the sink from each adapter, with the real SDKs against the local servers:
Discord asks for the reaction intent, Telegram for ``message_reaction`` updates, Slack's
Events API delivers ``reaction_added`` / ``reaction_removed``; the bot's own are dropped."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiohttp
import pytest

from adapters.base import Audience, AudienceSink, Reaction, ReactionSink
from adapters.telegram import TelegramAdapter
from bot.config import TelegramAdapterConfig
from bot.domain import ConversationRef, OutboundReply, Platform
from tests.adapters.test_discord import HistorySink
from tests.adapters.test_discord import adapter_for as discord_adapter_for
from tests.adapters.test_slack_community import message, post_event, started
from tests.adapters.test_telegram import Sink, adapter_for, eventually
from tests.servers.discord import GUILD_MESSAGE_REACTIONS, DiscordServer
from tests.servers.slack import SlackServer
from tests.servers.telegram import TelegramServer


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramServer]:
    s = TelegramServer()
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
async def slack() -> AsyncIterator[SlackServer]:
    s = SlackServer(token="xoxb-community", users={"U_MAYA": "maya"})
    await s.start()
    yield s
    await s.stop()


@dataclass
class ReactionsSink(HistorySink):
    reactions: list[Reaction] = field(default_factory=list)
    audiences: list[Audience] = field(default_factory=list)

    async def reacted(self, reaction: Reaction) -> bool:
        self.reactions.append(reaction)
        return True

    async def audience(self, audience: Audience) -> None:
        self.audiences.append(audience)


def test_the_sinks_are_reaction_sinks() -> None:
    assert isinstance(ReactionsSink(), ReactionSink) and isinstance(ReactionsSink(), AudienceSink)
    assert not isinstance(Sink(), ReactionSink)  # a sink without the place: dropped
    assert not isinstance(Sink(), AudienceSink)


def seen(sink: ReactionsSink) -> list[tuple[str, str, str, bool]]:
    return [(r.message_id, r.user_id, r.emoji, r.removed) for r in sink.reactions]


async def test_discord_reactions_on_our_messages() -> None:
    server = DiscordServer()
    await server.start()
    sink = ReactionsSink()
    adapter = discord_adapter_for(server)
    await adapter.start(sink)
    try:
        asked = await server.member_says("How do I export?")
        reply = OutboundReply(
            ConversationRef(Platform.DISCORD, "10", reply_to_message_id=asked["id"]),
            "Settings > Export.",
            "tl-1",
        )
        await adapter.send(reply)
        ours = server.posted[0]
        await server.react(ours, "👍")
        await server.react(ours, "🤖", user="99", name="inkwell")  # our bot
        await server.react(asked, "👀", user="43", name="sam")  # a member's message
        await server.react(ours, "👍", removed=True)
        await eventually(lambda: len(sink.reactions) == 2)
    finally:
        await adapter.stop()
        await server.stop()
    assert server._sessions["session-1"].intents & GUILD_MESSAGE_REACTIONS
    assert seen(sink) == [(ours["id"], "42", "👍", False), (ours["id"], "42", "👍", True)]
    assert all(r.platform == Platform.DISCORD and r.channel_id == "10" for r in sink.reactions)
    [audience] = sink.audiences  # the server's members, from GUILD_CREATE, when we posted
    assert (audience.platform, audience.channel_id, audience.members) == (Platform.DISCORD, "10", 2)


async def test_telegram_asks_for_reactions_and_reads_them(telegram: TelegramServer) -> None:
    sink = ReactionsSink()
    adapter = adapter_for(telegram)
    await adapter.start(sink)
    try:
        telegram.react(5000, "👍")
        telegram.react(5000, "❤️", old=("👍",))  # the member's set, before and after
        telegram.react(5000, "🤖", user_id=99, username="inkwell_bot")  # our bot
        telegram.react(5000, "", old=("👍", "❤️"))  # all taken back
        await eventually(lambda: len(sink.reactions) == 4)
    finally:
        await adapter.stop()
    assert telegram.allowed_updates is not None
    assert "message_reaction" in telegram.allowed_updates
    assert seen(sink) == [
        ("5000", "42", "👍", False),
        ("5000", "42", "❤️", False),
        ("5000", "42", "❤️", True),
        ("5000", "42", "👍", True),
    ]
    assert {r.channel_id for r in sink.reactions} == {"-100200"}


async def test_telegram_member_count_after_a_reply(telegram: TelegramServer) -> None:
    sink = ReactionsSink()
    adapter = adapter_for(telegram)
    await adapter.start(sink)
    try:
        reply = OutboundReply(ConversationRef(Platform.TELEGRAM, "-100200"), "Hello!", "k1")
        await adapter.send(reply)
        telegram.fail("getChatMemberCount", 400, "Bad Request: chat not found")
        receipt = await adapter.send(reply)  # a count that cannot be had loses only the count
    finally:
        await adapter.stop()
    assert receipt.platform_message_ids and len(telegram.sent) == 2
    assert [(a.channel_id, a.members) for a in sink.audiences] == [("-100200", 250)]


async def test_telegram_without_reactions_asked_gets_none(telegram: TelegramServer) -> None:
    """The local server is faithful: reactions come only to a bot that asked for them."""
    telegram.allowed_updates = ["message"]
    telegram.react(5000, "👍")
    telegram.push("hello")
    updates = await telegram._getUpdates({"timeout": 0})
    assert [next(k for k in u if k != "update_id") for u in updates] == ["message"]


def reaction(kind: str, user: str, ts: str, item_type: str = "message") -> dict[str, object]:
    return {
        "type": kind,
        "user": user,
        "reaction": "thumbsup",
        "item_user": "UBOT",
        "item": {"type": item_type, "channel": "C_COMMUNITY", "ts": ts},
        "event_ts": "1700000100.000200",
    }


async def test_slack_reaction_events(slack: SlackServer) -> None:
    sink = ReactionsSink()
    adapter = await started(slack, sink)
    try:
        ts = "1700000050.000100"
        assert await post_event(adapter, reaction("reaction_added", "U_MAYA", ts), "Ev1") == 200
        assert await post_event(adapter, reaction("reaction_added", "UBOT", ts), "Ev2") == 200
        assert await post_event(adapter, reaction("reaction_removed", "U_MAYA", ts), "Ev3") == 200
        file = reaction("reaction_added", "U_MAYA", ts, item_type="file")
        assert await post_event(adapter, file, "Ev4") == 200
        theirs = {**reaction("reaction_added", "U_SAM", ts), "item_user": "U_MAYA"}
        assert await post_event(adapter, theirs, "Ev6") == 200  # on a member's message
        assert await post_event(adapter, message("hi"), "Ev5") == 200
    finally:
        await adapter.stop()
    assert seen(sink) == [(ts, "U_MAYA", "thumbsup", False), (ts, "U_MAYA", "thumbsup", True)]
    assert sink.reactions[0].at == datetime(2023, 11, 14, 22, 15, 0, 200, tzinfo=UTC)
    assert [m.text for m in sink.accepted] == ["hi"]


async def test_telegram_webhook_asks_for_reactions_and_passes_them_on(
    telegram: TelegramServer,
) -> None:
    sink = ReactionsSink()
    config = TelegramAdapterConfig(
        enabled=True,
        api_base_url=telegram.base_url,
        mode="webhook",
        webhook_url="https://example.invalid/telegram",
        listen_port=0,
    )
    adapter = TelegramAdapter(config, token=telegram.token, webhook_secret="s3cret")
    await adapter.start(sink)
    try:
        update = telegram.react(5000, "🔥")
        async with aiohttp.ClientSession() as http:
            answer = await http.post(
                f"http://127.0.0.1:{adapter.webhook_port}/telegram",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"},
            )
    finally:
        await adapter.stop()
    [(_, args)] = [c for c in telegram.calls if c[0] == "setWebhook"]
    assert "message_reaction" in args["allowed_updates"]
    assert answer.status == 200 and seen(sink) == [("5000", "42", "🔥", False)]
