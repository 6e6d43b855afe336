"""Secrets never shown, adapter by adapter: an error whose text carries a configured token (a
proxy or an SDK echoing the request) is recorded, logged and raised without it.

The log redaction filter is deliberately not installed here: each adapter must clean the text
it builds by itself (``tests/spine/test_secrets.py`` checks the filter end to end)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web

from adapters.fake import FakeAdapter
from adapters.slack import SlackCommunityAdapter
from bot.config import SlackAdapterConfig
from bot.delivery import Deliverer
from bot.domain import ConversationRef, OutboundReply, Platform
from bot.errors import AdapterUnhealthy, DeliveryFailed, DeliveryUnknown
from bot.redact import forget_all, remember
from tests.adapters.test_delivery_unknown import Env
from tests.adapters.test_delivery_unknown import env as env
from tests.adapters.test_discord import HistorySink, adapter_for
from tests.adapters.test_slack_community import SECRET
from tests.adapters.test_telegram import Sink
from tests.adapters.test_telegram import adapter_for as telegram_adapter_for
from tests.servers.discord import DiscordServer, _json
from tests.servers.slack import SlackServer
from tests.servers.telegram import TelegramServer

SLACK_TOKEN = "xoxb-community-0123456789"


@pytest.fixture(autouse=True)
def _forget() -> Iterator[None]:
    forget_all()
    yield
    forget_all()


def adapter_lines(caplog: pytest.LogCaptureFixture) -> str:
    """What Tactline itself logged (the SDKs' own records are the log filter's business)."""
    return "\n".join(
        r.getMessage() for r in caplog.records if r.name.startswith(("adapters", "bot"))
    )


class EchoingDiscord(DiscordServer):
    """Behind a proxy that quotes the request's Authorization header in its 403 page."""

    async def _post(self, channel: str, body: dict[str, Any]) -> web.Response:
        return _json({"message": f"Missing Access for Bot {self.token}", "code": 50001}, 403)


async def test_discord_send_refused_with_the_token_in_the_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = EchoingDiscord(token="MTA5ODc2NTQzMjEwOTg3NjU0Mw.GhIjKl.aBcDeFgHiJkLmNoPqRsTuVwX")
    await server.start()
    adapter = adapter_for(server)
    caplog.set_level(logging.DEBUG)
    try:
        await adapter.start(HistorySink())
        with pytest.raises(DeliveryFailed) as exc:
            await adapter.send(OutboundReply(ConversationRef(Platform.DISCORD, "10"), "hi", "k"))
    finally:
        await adapter.stop()
        await server.stop()
    assert "Missing Access" in exc.value.reason and "[redacted]" in exc.value.reason
    for text in (exc.value.reason, str(adapter.health().last_error), adapter_lines(caplog)):
        assert server.token not in text


async def test_slack_error_code_with_the_token_in_it() -> None:
    server = SlackServer(token=SLACK_TOKEN)
    await server.start()
    config = SlackAdapterConfig(
        enabled=True, api_base_url=server.base_url, mode="http", listen_port=0
    )
    adapter = SlackCommunityAdapter(config, token=SLACK_TOKEN, signing_secret=SECRET)
    reply = OutboundReply(ConversationRef(Platform.SLACK, "C1"), "hi", "k")
    try:
        await adapter.start(Sink())
        server.fail("chat.postMessage", 200, error=f"bad_request_for_{SLACK_TOKEN}")
        with pytest.raises(DeliveryUnknown) as unknown:
            await adapter.send(reply)
        server.fail("conversations.history", 200, error=f"denied_{SLACK_TOKEN}")
        with pytest.raises(DeliveryUnknown) as history:
            await adapter.find_sent(reply)
    finally:
        await adapter.stop()
        await server.stop()
    for text in (str(unknown.value), str(history.value)):
        assert "[redacted]" in text and SLACK_TOKEN not in text


async def test_slack_unreachable_at_start_hides_the_token() -> None:
    # The Web API URL carries the token (a proxy keyed by it) and has a typo: aiohttp's error
    # quotes the whole URL.
    config = SlackAdapterConfig(
        enabled=True,
        api_base_url=f"http://127.0.0.1:99999/{SLACK_TOKEN}/api/",
        mode="http",
        listen_port=0,
    )
    adapter = SlackCommunityAdapter(config, token=SLACK_TOKEN, signing_secret=SECRET)
    with pytest.raises(AdapterUnhealthy) as exc:
        await adapter.start(Sink())
    assert "cannot reach the Web API" in str(exc.value) and "[redacted]" in str(exc.value)
    for text in (str(exc.value), str(adapter.health().last_error)):
        assert SLACK_TOKEN not in text


async def test_telegram_bad_request_quoting_the_token(caplog: pytest.LogCaptureFixture) -> None:
    server = TelegramServer(token="123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1")
    await server.start()
    adapter = telegram_adapter_for(server)
    caplog.set_level(logging.DEBUG)
    try:
        await adapter.start(Sink())
        server.fail("sendMessage", 400, f"Bad Request: no chat for token {server.token}")
        with pytest.raises(DeliveryFailed) as exc:
            await adapter.send(
                OutboundReply(ConversationRef(Platform.TELEGRAM, "-100200"), "hi", "k")
            )
    finally:
        await adapter.stop()
        await server.stop()
    assert "chat for token [redacted]" in exc.value.reason
    for text in (exc.value.reason, adapter_lines(caplog)):
        assert server.token not in text and server.token.split(":")[1] not in text


async def test_fake_adapter_health_hides_a_remembered_token() -> None:
    remember(SLACK_TOKEN)  # as bot.config.secret does for every token it reads
    fake = FakeAdapter(platform=Platform.SLACK)
    fake.fail_next(DeliveryFailed(f"refused {SLACK_TOKEN}", permanent=True))
    with pytest.raises(DeliveryFailed):
        await fake.send(OutboundReply(ConversationRef(Platform.SLACK, "C1"), "hi", "k"))
    assert SLACK_TOKEN not in str(fake.health().last_error)
    assert "[redacted]" in str(fake.health().last_error)


async def test_delivery_errors_are_redacted_everywhere(
    env: Env,
    caplog: pytest.LogCaptureFixture,
) -> None:
    remember(SLACK_TOKEN)
    outbox_id = await env.approved("s1")
    deliverer = Deliverer(
        store=env.app.store,
        adapters={Platform.TELEGRAM: env.fake},
        approvals=env.channel,
        patience=timedelta(0),
    )
    env.fake.fail_next(DeliveryUnknown(f"proxy said: token {SLACK_TOKEN} is wrong"))
    caplog.set_level(logging.DEBUG)
    outcome = await deliverer.deliver(outbox_id)
    assert outcome.done and outcome.error is not None and "[redacted]" in outcome.error
    [(_, _, error)] = env.channel.results
    stored = (await env.app.store.outbox_item(outbox_id)).status
    assert stored == "failed"
    for text in (outcome.error, str(error), *env.channel.alerts, adapter_lines(caplog)):
        assert SLACK_TOKEN not in text
