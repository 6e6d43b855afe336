"""`tactline run` in a hostile world: two listeners on one port, a poison update, a clean
stop. One adapter's trouble is one line and an unhealthy row; the others go on."""

from __future__ import annotations

import asyncio
import logging
import socket
from pathlib import Path

import aiohttp
import pytest

from adapters.base import Adapter
from adapters.slack import SlackCommunityAdapter
from adapters.telegram import POISON_TRIES, TelegramAdapter
from bot.app import AppParts, build_app
from bot.cli import main
from bot.config import Config, SlackAdapterConfig, TelegramAdapterConfig
from bot.domain import InboundMessage
from bot.runtime import serve
from tests.adapters.test_slack_community import SECRET
from tests.doubles import TemplateDrafter
from tests.servers.slack import SlackServer
from tests.servers.telegram import TelegramServer
from tests.spine.test_end_to_end import RecordingChannel, classifier_factory
from tests.spine.test_three_platforms import migrated_config
from tests.waiting import eventually


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def status_lines(config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[database]\nurl = "{config.database.url}"\n')
    assert await asyncio.to_thread(main, ["-c", str(cfg), "status"]) == 0
    return capsys.readouterr().out


async def test_two_listeners_on_one_port_one_line_error_and_the_other_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    telegram, slack = TelegramServer(), SlackServer(token="xoxb-community")
    await telegram.start()
    await slack.start()
    port = free_port()  # both listeners get it, as both default to 8443
    tg = TelegramAdapter(
        TelegramAdapterConfig(
            enabled=True,
            api_base_url=telegram.base_url,
            mode="webhook",
            webhook_url="https://bot.example.invalid/telegram",
            listen_port=port,
        ),
        token=telegram.token,
        webhook_secret="hook-secret",
    )
    sl = SlackCommunityAdapter(
        SlackAdapterConfig(
            enabled=True, api_base_url=slack.base_url, mode="http", listen_port=port
        ),
        token="xoxb-community",
        signing_secret=SECRET,
    )
    adapters: list[Adapter] = [tg, sl]
    config = await migrated_config(tmp_path)
    channel = RecordingChannel()
    stop = asyncio.Event()
    try:
        parts = AppParts(
            adapters=adapters,
            approvals=channel,
            drafter=TemplateDrafter(),
            classifier_factory=classifier_factory,
        )
        async with build_app(config, parts) as app:
            with caplog.at_level(logging.INFO):
                running = asyncio.create_task(serve(app, stop))

                async def both_reported() -> bool:
                    names = {h["name"] for h in await app.store.health_rows()}
                    return names >= {"telegram", "slack"}

                await eventually(both_reported, within=30)
                update = telegram.push("How do I export my notes?")
                async with aiohttp.ClientSession() as http:
                    answer = await http.post(
                        f"http://127.0.0.1:{port}/telegram",
                        json=update,
                        headers={"X-Telegram-Bot-Api-Secret-Token": "hook-secret"},
                    )
                assert answer.status == 200  # Telegram goes on

                async def stored() -> bool:
                    return bool((await app.store.status_counts()).get("messages"))

                await eventually(stored, within=30)
                during = await status_lines(config, tmp_path, capsys)
                stop.set()
                await asyncio.wait_for(running, 30)
            after = await status_lines(config, tmp_path, capsys)
    finally:
        stop.set()
        await telegram.stop()
        await slack.stop()

    [(slack_line)] = [ln for ln in during.splitlines() if "adapter   slack" in ln]
    assert "slack: DOWN" in slack_line and "cannot listen" in slack_line
    assert "telegram: connected" in during
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.exc_info for r in errors] == [None] * len(errors)  # no traceback
    assert any("adapter slack cannot start" in r.getMessage() for r in errors)
    assert all("\n" not in r.getMessage() for r in errors)
    assert any("adapter slack is down" in a for a in channel.alerts)
    # After a clean stop nothing says "connected".
    assert "telegram: stopped" in after and "connected" not in after


async def test_a_poison_update_goes_to_dead_letters_with_an_alert_and_later_ones_flow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    telegram = TelegramServer()
    await telegram.start()
    adapter = TelegramAdapter(
        TelegramAdapterConfig(enabled=True, api_base_url=telegram.base_url),
        token=telegram.token,
        poll_timeout=1,
        retry_pause=0.05,
    )
    config = await migrated_config(tmp_path)
    channel = RecordingChannel()
    stop = asyncio.Event()
    try:
        parts = AppParts(
            adapters=[adapter],
            approvals=channel,
            drafter=TemplateDrafter(),
            classifier_factory=classifier_factory,
        )
        async with build_app(config, parts) as app:
            real_accept = app.store.accept

            async def accept(message: InboundMessage) -> int | None:
                if message.text == "poison":
                    raise ValueError("the store cannot take this one")
                return await real_accept(message)

            monkeypatch.setattr(app.store, "accept", accept)
            bad = telegram.push("poison")
            telegram.push("How do I export my notes?")
            running = asyncio.create_task(serve(app, stop))

            async def one_stored() -> bool:
                return bool((await app.store.status_counts()).get("messages"))

            await eventually(one_stored, within=30)
            dead = await app.store.dead_letters()
            alerts = await app.listener.open_alerts()
            stop.set()
            await asyncio.wait_for(running, 30)
    finally:
        stop.set()
        await telegram.stop()
    fetched = [a for m, a in telegram.calls if m == "getUpdates"]
    assert len(fetched) < POISON_TRIES + 6  # not fetched again and again
    assert [(d["platform"], d["ref"], d["tries"]) for d in dead] == [
        ("telegram", str(bad["update_id"]), POISON_TRIES)
    ]
    assert dead[0]["payload"]["message"]["text"] == "poison"
    assert "the store cannot take this one" in dead[0]["reason"]
    assert [(a["kind"], a["key"]) for a in alerts] == [
        ("dead_letter", f"telegram:{bad['update_id']}")
    ]
    assert any("dead_letters" in a for a in channel.alerts)
