"""Secrets never shown, end to end: tokens set, each adapter's error provoked against its
local server, and every sink searched (log, admin alerts, alerts table, adapter health,
`tactline status`, the CSV report): the tokens appear nowhere."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.base import Adapter
from adapters.discord import DiscordAdapter
from adapters.telegram import TelegramAdapter
from bot.app import open_app
from bot.cli import main
from bot.config import DiscordAdapterConfig, TelegramAdapterConfig
from bot.redact import RedactingFilter, forget_all, install_log_redaction
from bot.reports.metrics import build_report
from bot.reports.render import write_csv
from bot.runtime import RuntimeSink
from bot.store import schema as t
from bot.store.store import utcnow
from tests.doubles import TemplateDrafter
from tests.servers.discord import DiscordServer
from tests.servers.telegram import TelegramServer
from tests.spine.test_end_to_end import RecordingChannel, classifier_factory
from tests.spine.test_three_platforms import migrated_config

TELEGRAM_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
DISCORD_TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0Mw.GhIjKl.aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789ab"


@pytest.fixture(autouse=True)
def _redaction() -> Iterator[None]:
    forget_all()
    yield
    forget_all()
    for handler in logging.getLogger().handlers:
        for f in list(handler.filters):
            if isinstance(f, RedactingFilter):
                handler.removeFilter(f)


async def test_no_sink_shows_a_token_when_adapters_fail(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    install_log_redaction()  # as `tactline` does at start
    caplog.set_level(logging.DEBUG)
    telegram = TelegramServer(token=TELEGRAM_TOKEN)
    discord = DiscordServer()  # expects another token: ours is refused
    await telegram.start()
    await discord.start()
    # A wrong proxy path: the Bot API answers getMe with 404, and python-telegram-bot's
    # message for it quotes the token.
    telegram.fail("getMe", 404, "Not Found")
    config = await migrated_config(tmp_path)
    adapters: list[Adapter] = [
        TelegramAdapter(
            TelegramAdapterConfig(enabled=True, api_base_url=telegram.base_url),
            token=TELEGRAM_TOKEN,
        ),
        DiscordAdapter(
            DiscordAdapterConfig(
                enabled=True, api_base_url=discord.api, gateway_url=discord.gateway
            ),
            token=DISCORD_TOKEN,
            ready_timeout=5,
        ),
    ]
    channel = RecordingChannel()
    try:
        async with open_app(
            config,
            adapters=adapters,
            approvals=channel,
            drafter=TemplateDrafter(),
            classifier_factory=classifier_factory,
        ) as app:
            assert await app.supervisor.start_all(RuntimeSink(app=app)) == []
            # Down for long enough: the listener turns the health rows into alerts.
            raised = await app.listener.check_operations(utcnow() + timedelta(hours=1))
            assert {r.notified for r in raised} == {True}
            health = await app.store.health_rows()
            async with app.store.connect() as conn:
                alerts = [dict(r._mapping) for r in (await conn.execute(select(t.alerts))).all()]
            report = await build_report(app.store, utcnow() - timedelta(days=1), utcnow())
            csv_files = write_csv(report, tmp_path / "csv")
    finally:
        await telegram.stop()
        await discord.stop()
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[database]\nurl = "{config.database.url}"\n')
    assert await asyncio.to_thread(main, ["-c", str(cfg), "status"]) == 0
    status_out = capsys.readouterr().out

    assert len(health) == 2 and not any(h["connected"] for h in health)
    assert "token was refused" in " ".join(str(h["last_error"]) for h in health)
    assert len(alerts) == 2 and "telegram: DOWN" in status_out
    sinks = {
        "log": caplog.text,
        "admin alerts": "\n".join(channel.alerts),
        "adapter_health": repr(health),
        "alerts table": repr(alerts),
        "status": status_out,
        "csv": "\n".join(p.read_text() for p in csv_files),
    }
    assert "[redacted]" in sinks["admin alerts"]  # the token was there to leak
    for token in (TELEGRAM_TOKEN, DISCORD_TOKEN, TELEGRAM_TOKEN.split(":")[1]):
        leaks = [name for name, text in sinks.items() if token in text]
        assert leaks == []
