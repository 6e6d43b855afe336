"""``tactline telegram check`` against the local Bot API server: privacy mode, the webhook
as configured (polling wants none), a refused token; the token never printed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.cli import main
from bot.config import TelegramAdapterConfig
from bot.golive.checklist import Result, Status
from bot.golive.telegram_check import telegram_results
from tests.golive.servers import TelegramWithWebhook

TOKEN = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
HOOK = "https://bot.example.com/telegram"


@pytest.fixture
async def server() -> AsyncIterator[TelegramWithWebhook]:
    s = TelegramWithWebhook(token=TOKEN)
    await s.start()
    yield s
    await s.stop()


def _config(server: TelegramWithWebhook, **kw: object) -> TelegramAdapterConfig:
    return TelegramAdapterConfig(enabled=True, api_base_url=server.base_url, **kw)  # type: ignore[arg-type]


async def _check(config: TelegramAdapterConfig, token: str = TOKEN) -> dict[str, Result]:
    async with aiohttp.ClientSession() as http:
        return {r.name: r for r in await telegram_results(http, config, token)}


async def test_a_bot_without_privacy_mode_and_no_webhook_passes(
    server: TelegramWithWebhook,
) -> None:
    found = await _check(_config(server))
    assert [r.status for r in found.values()] == [Status.PASS] * 3
    assert "@inkwell_bot" in found["telegram token"].detail
    assert [c[0] for c in server.calls] == ["getMe", "getWebhookInfo"]


async def test_privacy_mode_fails_with_the_botfather_fix(server: TelegramWithWebhook) -> None:
    server.privacy = True
    result = (await _check(_config(server)))["telegram privacy mode"]
    assert result.status is Status.FAIL
    assert "/setprivacy" in result.fix and "add it again" in result.fix


async def test_a_webhook_left_set_while_polling_is_a_warning(server: TelegramWithWebhook) -> None:
    server.webhook_url = "https://old.example.com/hook"
    result = (await _check(_config(server)))["telegram webhook"]
    assert result.status is Status.WARN
    assert "409" in result.detail and "deletes it" in result.fix


async def test_the_configured_webhook_passes(server: TelegramWithWebhook) -> None:
    server.webhook_url = HOOK
    config = _config(server, mode="webhook", webhook_url=HOOK, signing_secret_env="HOOK_SECRET")
    assert (await _check(config))["telegram webhook"].status is Status.PASS


async def test_a_failing_webhook_delivery_fails(server: TelegramWithWebhook) -> None:
    server.webhook_url, server.webhook_error = HOOK, "Connection refused"
    config = _config(server, mode="webhook", webhook_url=HOOK, signing_secret_env="HOOK_SECRET")
    result = (await _check(config))["telegram webhook"]
    assert result.status is Status.FAIL
    assert "Connection refused" in result.detail and "/telegram" in result.fix


async def test_webhook_mode_without_its_url_fails(server: TelegramWithWebhook) -> None:
    result = (await _check(_config(server, mode="webhook")))["telegram webhook"]
    assert result.status is Status.FAIL
    assert "webhook_url" in result.fix


async def test_a_refused_token_stops_at_the_token(server: TelegramWithWebhook) -> None:
    found = await _check(_config(server), token="999:wrong-token-wrong-token-wrong-tok")
    assert list(found) == ["telegram token"]
    assert found["telegram token"].status is Status.FAIL
    assert "TACTLINE_TELEGRAM_TOKEN" in found["telegram token"].fix


async def test_an_unreachable_api_fails_with_the_address() -> None:
    config = TelegramAdapterConfig(enabled=True, api_base_url="http://127.0.0.1:9/bot")
    result = (await _check(config))["telegram token"]
    assert result.status is Status.FAIL
    assert "cannot reach http://127.0.0.1:9/bot" in result.detail
    assert TOKEN not in result.detail


async def test_the_command_prints_a_checklist_without_the_token(
    server: TelegramWithWebhook,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server.privacy = True
    config = tmp_path / "config.toml"
    config.write_text(f'[adapters.telegram]\nenabled = true\napi_base_url = "{server.base_url}"\n')
    monkeypatch.setenv("TACTLINE_TELEGRAM_TOKEN", TOKEN)
    code = await asyncio.to_thread(main, ["-c", str(config), "telegram", "check"])
    out = capsys.readouterr().out
    assert code == 1
    assert "✓ telegram token: bot @inkwell_bot" in out
    assert "✗ telegram privacy mode: on" in out
    assert "    fix: @BotFather > /setprivacy" in out
    assert TOKEN not in out and "AAHdqTcv" not in out
