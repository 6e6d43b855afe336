"""Ask the Telegram Bot API what stops a bot from working in a group: whether the token works
(``getMe``), whether privacy mode hides group messages from it (``can_read_all_group_messages``)
and whether the webhook is set as config.toml says (``getWebhookInfo``: polling wants none)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.config import TelegramAdapterConfig
from bot.golive.checklist import Result, failed, passed, warned
from bot.redact import exception_text

DEFAULT_API = "https://api.telegram.org/bot"
TOKEN, PRIVACY, WEBHOOK = "telegram token", "telegram privacy mode", "telegram webhook"


@dataclass(frozen=True, slots=True)
class BotApiAnswer:
    """A Bot API result, or its error: Telegram's description, or why it could not be asked."""

    result: Any = None
    error: str | None = None


async def bot_api(http: aiohttp.ClientSession, base: str, token: str, method: str) -> BotApiAnswer:
    """Call ``method`` (no arguments) at ``{base}{token}/{method}``, as the adapter does."""
    try:
        async with http.post(f"{base}{token}/{method}") as resp:
            body = await resp.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
        why = exception_text(exc, (token,))
        return BotApiAnswer(error=f"unreachable: {exc.__class__.__name__}: {why}")
    if not isinstance(body, dict):
        return BotApiAnswer(error=f"HTTP {resp.status}: not a Bot API answer")
    if body.get("ok"):
        return BotApiAnswer(result=body.get("result"))
    return BotApiAnswer(error=f"{body.get('error_code', resp.status)} {body.get('description')}")


def token_result(me: BotApiAnswer, config: TelegramAdapterConfig) -> Result:
    base = config.api_base_url or DEFAULT_API
    if me.error is None and isinstance(me.result, dict):
        return passed(TOKEN, f"bot @{me.result.get('username')} (id {me.result.get('id')})")
    if me.error and me.error.startswith("unreachable"):
        return failed(
            TOKEN, f"cannot reach {base}: {me.error}", "check the network and api_base_url"
        )
    return failed(
        TOKEN,
        f"getMe refused the token ({me.error})",
        f"put the token @BotFather gave (/mybots > your bot > API Token) in {config.token_env}",
    )


def privacy_result(me: Mapping[str, Any]) -> Result:
    if me.get("can_read_all_group_messages"):
        return passed(PRIVACY, "off: the bot reads every message of its groups")
    return failed(
        PRIVACY,
        "on: in groups the bot sees only commands and replies to its own messages",
        f"@BotFather > /setprivacy > @{me.get('username')} > Disable, then remove the bot from "
        "each group and add it again (the setting applies when it joins), or make it a group "
        "admin",
    )


def _webhook_mode(url: str, error: str, config: TelegramAdapterConfig) -> Result:
    wanted = config.webhook_url
    if not wanted or not config.signing_secret_env:
        return failed(
            WEBHOOK,
            "mode is webhook but webhook_url or signing_secret_env is not set",
            "set [adapters.telegram] webhook_url (public https URL) and signing_secret_env",
        )
    if url and url != wanted:
        return warned(
            WEBHOOK,
            f"set to {url}, config.toml says {wanted}",
            "`tactline run` sets it at start; stop any other program using this bot token",
        )
    if error:
        return failed(
            WEBHOOK,
            f"Telegram's last delivery to {url} failed: {error}",
            f"{wanted} must reach {config.listen_host}:{config.listen_port}/telegram over HTTPS",
        )
    if not url:
        return warned(WEBHOOK, f"not set yet: `tactline run` sets it to {wanted} at start")
    return passed(WEBHOOK, f"set to {url}, as configured")


def _polling_mode(url: str) -> Result:
    if not url:
        return passed(WEBHOOK, "none set: polling receives the updates")
    return warned(
        WEBHOOK,
        f"set to {url}, but config.toml polls (getUpdates answers 409 while a webhook is set)",
        "`tactline run` deletes it at start; if another program set it, stop that program, "
        'or set [adapters.telegram] mode = "webhook"',
    )


def webhook_result(info: Mapping[str, Any], config: TelegramAdapterConfig) -> Result:
    url = str(info.get("url") or "")
    if config.mode == "webhook":
        return _webhook_mode(url, str(info.get("last_error_message") or ""), config)
    return _polling_mode(url)


async def telegram_results(
    http: aiohttp.ClientSession, config: TelegramAdapterConfig, token: str
) -> list[Result]:
    """The token, privacy mode and webhook checks; the last two only once the token works."""
    base = config.api_base_url or DEFAULT_API
    me = await bot_api(http, base, token, "getMe")
    first = token_result(me, config)
    if me.error is not None or not isinstance(me.result, dict):
        return [first]
    info = await bot_api(http, base, token, "getWebhookInfo")
    if info.error is not None or not isinstance(info.result, dict):
        hook = failed(WEBHOOK, f"getWebhookInfo failed ({info.error})", "try again later")
    else:
        hook = webhook_result(info.result, config)
    return [first, privacy_result(me.result), hook]


def missing_token(config: TelegramAdapterConfig) -> Result:
    return failed(
        TOKEN,
        f"{config.token_env} is not set",
        f"put the token @BotFather gave (/newbot, or /mybots > API Token) in {config.token_env}",
    )
