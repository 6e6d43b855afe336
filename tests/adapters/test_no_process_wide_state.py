"""Importing an adapter changes nothing process-wide, and starting one changes nothing another
adapter (or another library user) depends on: discord.py's URL class attributes stay as they
are, and two Discord adapters in one process each talk to their own server."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import discord
import pytest

from adapters.discord import DEFAULT_API, DEFAULT_GATEWAY
from bot.domain import ConversationRef, OutboundReply, Platform
from bot.errors import DeliveryFailed
from tests.adapters.test_discord import HistorySink, adapter_for
from tests.adapters.test_telegram import Sink, eventually
from tests.adapters.test_telegram import adapter_for as telegram_adapter_for
from tests.servers.discord import DiscordServer
from tests.servers.telegram import TelegramServer

REPO = Path(__file__).resolve().parents[2]

_PROBE = """
import json, os
import discord

def state():
    return {
        "route_base": discord.http.Route.BASE,
        "gateway": str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY),
        "warn_nacl": discord.VoiceClient.warn_nacl,
        "warn_dave": discord.VoiceClient.warn_dave,
        "PTB_TIMEDELTA": os.environ.get("PTB_TIMEDELTA"),
    }

before = state()
import adapters, adapters.discord, adapters.slack, adapters.telegram
print(json.dumps([before, state()]))
"""


def test_importing_the_adapters_has_no_process_wide_effect() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PTB_TIMEDELTA"}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    before, after = json.loads(out.stdout)
    assert before["PTB_TIMEDELTA"] is None
    assert after == before


async def test_two_discord_adapters_each_reach_their_own_server() -> None:
    first, second = DiscordServer(), DiscordServer()
    await first.start()
    await second.start()
    one, two = adapter_for(first), adapter_for(second)
    sink_one, sink_two = HistorySink(), HistorySink()
    try:
        await one.start(sink_one)
        await two.start(sink_two)
        # discord.py's own defaults are untouched: another user of the library is unaffected
        assert discord.http.Route.BASE == DEFAULT_API
        assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == DEFAULT_GATEWAY
        await first.member_says("to the first")
        await second.member_says("to the second")
        await eventually(lambda: len(sink_one.accepted) == len(sink_two.accepted) == 1)
        await one.send(OutboundReply(ConversationRef(Platform.DISCORD, "10"), "one", "k-1"))
        await two.send(OutboundReply(ConversationRef(Platform.DISCORD, "10"), "two", "k-2"))
    finally:
        await asyncio.gather(one.stop(), two.stop())
        await first.stop()
        await second.stop()
    assert [m.text for m in sink_one.accepted] == ["to the first"]
    assert [m.text for m in sink_two.accepted] == ["to the second"]
    assert [p["content"] for p in first.posted] == ["one"]
    assert [p["content"] for p in second.posted] == ["two"]


async def test_telegram_opts_in_to_timedelta_when_it_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PTB reads the opt-in from the environment at each use: without it, building a
    RetryAfter warns (an error under this suite's warning filter)."""
    monkeypatch.delenv("PTB_TIMEDELTA", raising=False)
    server = TelegramServer()
    await server.start()
    adapter = telegram_adapter_for(server)
    try:
        await adapter.start(Sink())
        assert os.environ.get("PTB_TIMEDELTA") == "1"
        server.fail("sendMessage", 429, "Too Many Requests", retry_after=7)
        with pytest.raises(DeliveryFailed) as exc:
            await adapter.send(
                OutboundReply(ConversationRef(Platform.TELEGRAM, "-100200"), "hi", "k")
            )
        assert exc.value.retry_after == 7
    finally:
        await adapter.stop()
        await server.stop()
