"""The Telegram adapter with the real python-telegram-bot against a local Bot API server."""

from __future__ import annotations

import asyncio
import hmac
import logging
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from adapters.telegram import POISON_TRIES, TelegramAdapter
from bot.config import TelegramAdapterConfig
from bot.domain import (
    ConversationRef,
    InboundMessage,
    OutboundReply,
    Platform,
)
from bot.errors import AdapterUnhealthy, DeliveryFailed
from tests.servers.telegram import TelegramServer


@dataclass
class Sink:
    accepted: list[InboundMessage] = field(default_factory=list)
    changed: list[tuple[str, bool, str | None]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    broken: int = 0  # fail this many accepts (the store is down)

    async def accept(self, message: InboundMessage) -> bool:
        if self.broken:
            self.broken -= 1
            raise ConnectionError("database unavailable")
        key = f"{message.conversation.channel_id}/{message.platform_message_id}"
        if key in self.seen or message.author.is_bot:
            return False
        self.seen.add(key)
        self.accepted.append(message)
        return True

    async def source_changed(
        self,
        platform: Platform,
        platform_message_id: str,
        *,
        deleted: bool,
        new_text: str | None = None,
        channel_id: str | None = None,
    ) -> None:
        self.changed.append((platform_message_id, deleted, new_text))

    async def last_seen(self, platform: Platform, channel_id: str) -> str | None:
        return None


async def eventually(check: Callable[[], Any], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


@pytest.fixture
async def server() -> AsyncIterator[TelegramServer]:
    s = TelegramServer()
    await s.start()
    yield s
    await s.stop()


def adapter_for(server: TelegramServer, **kw: Any) -> TelegramAdapter:
    config = TelegramAdapterConfig(
        enabled=True, api_base_url=server.base_url, **{k: v for k, v in kw.items() if k != "token"}
    )
    return TelegramAdapter(
        config, token=kw.get("token", server.token), poll_timeout=1, retry_pause=0.05
    )


def reply_to(chat: int, message_id: str, text: str, key: str = "k1") -> OutboundReply:
    return OutboundReply(
        ConversationRef(Platform.TELEGRAM, str(chat), reply_to_message_id=message_id), text, key
    )


async def test_messages_are_stored_before_they_are_confirmed(server: TelegramServer) -> None:
    sink = Sink(broken=1)
    adapter = adapter_for(server)
    first = server.push("How do I export my notes?")
    await adapter.start(sink)
    try:
        await eventually(lambda: len(sink.accepted) == 1)
        server.push("Comment exporter mes notes ?", username="lea")
        server.push("🤖 beep", is_bot=True, username="otherbot")
        await eventually(lambda: len(sink.accepted) == 2)
    finally:
        await adapter.stop()
    m = sink.accepted[0]
    assert m.text == "How do I export my notes?" and m.platform == Platform.TELEGRAM
    assert m.platform_message_id == str(first["message"]["message_id"])
    assert m.conversation.channel_id == "-100200" and m.author.name == "maya"
    assert m.raw["update_id"] == first["update_id"]
    # The first update was fetched twice (the store failed once) and stored once: the
    # offset only moved past it after it was stored.
    offsets = [args.get("offset") for method, args in server.calls if method == "getUpdates"]
    assert offsets[0] is None and offsets[1] is None
    assert health_ok(adapter)


def health_ok(adapter: TelegramAdapter) -> bool:
    return adapter.health().last_event_at is not None


async def test_restart_gets_unconfirmed_updates_again_and_dedupes(server: TelegramServer) -> None:
    sink = Sink()
    adapter = adapter_for(server)
    server.push("one")
    await adapter.start(sink)
    await eventually(lambda: len(sink.accepted) == 1)
    await adapter.stop()
    # Telegram keeps what was not confirmed; a new adapter (polling with no offset) sees it
    # again if it was not confirmed, and the store ignores it.
    server.updates.insert(
        0,
        {
            "update_id": 1,
            "message": {
                "message_id": int(sink.accepted[0].platform_message_id),
                "date": int(time.time()),
                "chat": {"id": -100200, "type": "supergroup", "title": "Inkwell Users"},
                "from": {"id": 42, "is_bot": False, "first_name": "Maya", "username": "maya"},
                "text": "one",
            },
        },
    )
    server.push("two")
    again = adapter_for(server)
    await again.start(sink)
    await eventually(lambda: len(sink.accepted) == 2)
    await again.stop()
    assert [m.text for m in sink.accepted] == ["one", "two"]


async def test_edits_are_reported_and_odd_messages_kept_safe(server: TelegramServer) -> None:
    sink = Sink()
    adapter = adapter_for(server)
    sent = server.push("first version")
    server.push("second version", edited=True, message_id=sent["message"]["message_id"])
    server.push("a" * 4096 + "\u200b\u202e émoji 🎉 \U0001f9d1\u200d\U0001f4bb")
    server.push("")  # a sticker or a photo: no text
    await adapter.start(sink)
    await eventually(lambda: len(sink.accepted) == 2 and sink.changed)
    await adapter.stop()
    assert sink.changed == [(str(sent["message"]["message_id"]), False, "second version")]
    assert sink.accepted[1].text.endswith("🎉 \U0001f9d1\u200d\U0001f4bb")


async def test_mention_only_and_channel_filter(server: TelegramServer) -> None:
    sink = Sink()
    adapter = adapter_for(server, mention_only=True, channels=("-100200",))
    server.push("just chatting")
    server.push("@inkwell_bot how do I export?")
    server.push("@inkwell_bot hello from elsewhere", chat_id=-999)
    await adapter.start(sink)
    await eventually(lambda: len(sink.accepted) == 1)
    await asyncio.sleep(0.3)
    await adapter.stop()
    assert [m.text for m in sink.accepted] == ["@inkwell_bot how do I export?"]


async def test_send_replies_to_the_original_and_splits_long_text(server: TelegramServer) -> None:
    adapter = adapter_for(server)
    await adapter.start(Sink())
    receipt = await adapter.send(reply_to(-100200, "1001", "Thanks! Did that help?"))
    long = await adapter.send(reply_to(-100200, "1002", "Sentence here. " * 600, key="k2"))
    await adapter.stop()
    assert receipt.platform_message_ids == (str(server.sent[0]["message_id"]),)
    assert server.sent[0]["reply_parameters"]["message_id"] == 1001
    assert len(long.platform_message_ids) == 3
    assert all(len(s["text"]) <= 4096 for s in server.sent[1:])


async def test_send_faults(server: TelegramServer) -> None:
    adapter = adapter_for(server)
    await adapter.start(Sink())
    try:
        server.fail("sendMessage", 429, "Too Many Requests", retry_after=7)
        with pytest.raises(DeliveryFailed) as exc:
            await adapter.send(reply_to(-100200, "1", "hi"))
        assert exc.value.retry_after == 7 and not exc.value.permanent
        server.fail("sendMessage", 400, "Bad Request: chat not found")
        with pytest.raises(DeliveryFailed) as exc:
            await adapter.send(reply_to(-100200, "1", "hi"))
        assert exc.value.permanent and "chat not found" in exc.value.reason.lower()
        with pytest.raises(DeliveryFailed, match="cannot read chat history") as exc:
            await adapter.find_sent(reply_to(-100200, "1", "hi"))
        assert exc.value.permanent
    finally:
        await adapter.stop()


async def test_invalid_token_is_unhealthy_at_start(server: TelegramServer) -> None:
    adapter = adapter_for(server, token="999:wrong")
    with pytest.raises(AdapterUnhealthy, match="token was refused"):
        await adapter.start(Sink())
    assert not adapter.health().connected


async def test_revoked_token_stops_polling(server: TelegramServer) -> None:
    adapter = adapter_for(server)
    await adapter.start(Sink())
    server.fail("getUpdates", 401, "Unauthorized", times=1)
    await eventually(lambda: not adapter.health().connected)
    calls = len([c for c in server.calls if c[0] == "getUpdates"])
    await asyncio.sleep(0.3)
    assert len([c for c in server.calls if c[0] == "getUpdates"]) == calls  # no retry loop
    assert "token revoked" in (adapter.health().last_error or "")
    await adapter.stop()


async def test_outage_then_recovery(server: TelegramServer) -> None:
    sink = Sink()
    adapter = adapter_for(server)
    server.fail("getUpdates", 502, "Bad Gateway", times=3)
    server.push("during the outage")
    await adapter.start(sink)
    await eventually(lambda: len(sink.accepted) == 1)
    await adapter.stop()


async def test_webhook_checks_the_secret_and_stores_before_200(server: TelegramServer) -> None:
    sink = Sink()
    config = TelegramAdapterConfig(
        enabled=True,
        api_base_url=server.base_url,
        mode="webhook",
        webhook_url="https://example.invalid/telegram",
        listen_port=0,
    )
    adapter = TelegramAdapter(config, token=server.token, webhook_secret="s3cret")
    await adapter.start(sink)
    url = f"http://127.0.0.1:{adapter.webhook_port}/telegram"
    update = server.push("via webhook")
    try:
        async with aiohttp.ClientSession() as http:
            bad = await http.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}
            )
            good = await http.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
            )
            junk = await http.post(
                url,
                data=b"{oops",
                headers={
                    "X-Telegram-Bot-Api-Secret-Token": "s3cret",
                    "Content-Type": "application/json",
                },
            )
    finally:
        await adapter.stop()
    assert (bad.status, good.status, junk.status) == (403, 200, 400)
    assert [m.text for m in sink.accepted] == ["via webhook"]
    [(_, args)] = [c for c in server.calls if c[0] == "setWebhook"]
    assert args["secret_token"] == "s3cret"


class ProxiedServer(TelegramServer):
    """Behind a proxy whose 502 is an HTML page, as nginx answers when the Bot API is away."""

    bad_gateways: int = 0

    async def _getUpdates(self, args: dict[str, Any]) -> Any:
        if self.bad_gateways:
            self.bad_gateways -= 1
            page = "<html><body><h1>502 Bad Gateway</h1>" + "<p>nginx</p>" * 200 + "</body></html>"
            return web.Response(status=502, text=page, content_type="text/html")
        return await super()._getUpdates(args)


@pytest.mark.parametrize("html", [False, True], ids=["json-502", "proxy-html-502"])
async def test_a_retried_502_is_one_warning_line_without_traceback(
    caplog: pytest.LogCaptureFixture, html: bool
) -> None:
    server = ProxiedServer()
    await server.start()
    sink = Sink()
    adapter = adapter_for(server)
    if html:
        server.bad_gateways = 1
    else:
        server.fail("getUpdates", 502, "Bad Gateway", times=1)
    server.push("during the outage")
    with caplog.at_level(logging.INFO):
        await adapter.start(sink)
        await eventually(lambda: len(sink.accepted) == 1)
        await adapter.stop()
    await server.stop()
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [(r.levelno, r.exc_info) for r in loud] == [(logging.WARNING, None)]
    line = loud[0].getMessage()
    assert "Bad Gateway" in line and "retrying" in line and len(line) < 400


@dataclass
class DeadLetterSink(Sink):
    """A sink whose store refuses one message every time, with a dead-letter place."""

    poison: str = "poison"
    dead: list[tuple[str, str, int]] = field(default_factory=list)
    tries: int = 0

    async def accept(self, message: InboundMessage) -> bool:
        if message.text == self.poison:
            self.tries += 1
            raise ValueError("the store cannot take this one")
        return await super().accept(message)

    async def dead_letter(
        self, platform: Platform, ref: str, payload: dict[str, Any], reason: str, tries: int
    ) -> None:
        assert payload["update_id"] == int(ref)
        self.dead.append((ref, reason, tries))


async def test_a_poison_update_is_set_aside_and_the_offset_moves_on(
    server: TelegramServer,
) -> None:
    sink = DeadLetterSink()
    adapter = adapter_for(server)
    bad = server.push("poison")
    server.push("after it")
    await adapter.start(sink)
    try:
        await eventually(lambda: [m.text for m in sink.accepted] == ["after it"])
        server.push("and later")
        await eventually(lambda: len(sink.accepted) == 2)
    finally:
        await adapter.stop()
    assert sink.tries == POISON_TRIES
    assert sink.dead == [(str(bad["update_id"]), "the store cannot take this one", POISON_TRIES)]
    # Confirmed: Telegram drops it and will not send it again.
    assert bad["update_id"] not in [u["update_id"] for u in server.updates]


async def test_without_a_dead_letter_place_an_update_that_fails_is_kept(
    server: TelegramServer,
) -> None:
    sink = Sink(broken=POISON_TRIES + 1)  # the database is down: nowhere to set it aside
    adapter = adapter_for(server)
    server.push("kept")
    await adapter.start(sink)
    try:
        await eventually(lambda: len(sink.accepted) == 1)
    finally:
        await adapter.stop()
    assert [m.text for m in sink.accepted] == ["kept"]


async def test_webhook_secret_is_compared_in_constant_time(
    server: TelegramServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr("adapters.telegram.hmac.compare_digest", spy)
    config = TelegramAdapterConfig(enabled=True, api_base_url=server.base_url, mode="webhook")
    adapter = TelegramAdapter(config, token=server.token, webhook_secret="s3cret")
    adapter._sink = Sink()
    update = server.push("hi")
    assert await adapter.handle_webhook(None, update) == 403
    assert await adapter.handle_webhook("s3cre", update) == 403
    assert await adapter.handle_webhook("s3cret", update) == 200
    assert compared == [(b"s3cre", b"s3cret"), (b"s3cret", b"s3cret")]


async def test_webhook_port_taken_is_a_one_line_unhealthy_reason(server: TelegramServer) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = TelegramAdapterConfig(
            enabled=True,
            api_base_url=server.base_url,
            mode="webhook",
            webhook_url="https://example.invalid/telegram",
            listen_port=port,
        )
        adapter = TelegramAdapter(config, token=server.token, webhook_secret="s3cret")
        with pytest.raises(AdapterUnhealthy, match=f"cannot listen on 127.0.0.1:{port}") as exc:
            await adapter.start(Sink())
        await adapter.stop()
    assert exc.value.permanent and "\n" not in str(exc.value)
    assert "listen_port" in str(exc.value)
    health = adapter.health()
    assert not health.connected and "the port is taken" in (health.last_error or "")


async def test_an_unreadable_update_is_set_aside_without_holding_back_the_batch(
    server: TelegramServer,
) -> None:
    """python-telegram-bot parses a getUpdates batch as a whole: one update it cannot read
    (here a message without its chat) used to fail every poll, the others with it."""
    sink = DeadLetterSink()
    adapter = adapter_for(server)
    server.push("before it")
    broken = server.push("no chat")
    del broken["message"]["chat"]
    server.push("after it")
    await adapter.start(sink)
    try:
        await eventually(lambda: [m.text for m in sink.accepted] == ["before it", "after it"])
    finally:
        await adapter.stop()
    [(ref, reason, tries)] = sink.dead
    assert (ref, tries) == (str(broken["update_id"]), 1) and reason.startswith("chat")
    assert broken not in server.updates  # confirmed: Telegram will not send it again
