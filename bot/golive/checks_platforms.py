"""Doctor checks of the community platforms Tactline listens to on its own protocols:
Telegram (``getMe``, privacy mode, webhook) and Discord (``GET /users/@me`` and the Message
Content intent, as ``GET /oauth2/applications/@me`` reports it)."""

from __future__ import annotations

from typing import Any

import aiohttp

from bot.golive.checklist import Result, Status, failed, passed, skipped
from bot.golive.invite import MESSAGE_CONTENT_ADVICE
from bot.golive.probe import Probe
from bot.golive.telegram_check import missing_token, telegram_results
from bot.redact import exception_text

DISCORD_API = "https://discord.com/api/v10"
# application flags: GATEWAY_MESSAGE_CONTENT (verified bots) and _LIMITED (the others)
MESSAGE_CONTENT_FLAGS = (1 << 18) | (1 << 19)
DISCORD_TOKEN, DISCORD_INTENT = "discord token", "discord message content intent"


async def telegram(probe: Probe) -> list[Result]:
    c = probe.config.adapters.telegram
    if not c.enabled:
        return [skipped("telegram", "not enabled")]
    token = probe.secret(c.token_env)
    if not token:
        return [missing_token(c)]
    return await telegram_results(probe.http, c, token)


async def _discord_get(probe: Probe, token: str, path: str) -> tuple[int, Any]:
    """(HTTP status, JSON body) of a GET of the Discord REST API; (0, why) if unreachable."""
    api = (probe.config.adapters.discord.api_base_url or DISCORD_API).rstrip("/")
    try:
        async with probe.http.get(
            f"{api}/{path}", headers={"Authorization": f"Bot {token}"}
        ) as resp:
            return resp.status, await resp.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
        return 0, f"{exc.__class__.__name__}: {exception_text(exc, (token,))}"


def _discord_me(status: int, body: Any, env: str) -> Result:
    if status == 200 and isinstance(body, dict):
        return passed(DISCORD_TOKEN, f"bot @{body.get('username')} (id {body.get('id')})")
    if status == 0:
        return failed(DISCORD_TOKEN, f"cannot reach Discord: {body}", "check api_base_url")
    return failed(
        DISCORD_TOKEN,
        f"GET /users/@me answered {status}: the token was refused",
        f"developer portal > your application > Bot > Reset Token; put it in {env}",
    )


def _discord_intent(status: int, body: Any) -> Result:
    if status != 200 or not isinstance(body, dict):
        return failed(DISCORD_INTENT, f"GET /oauth2/applications/@me answered {status}", "retry")
    if int(body.get("flags") or 0) & MESSAGE_CONTENT_FLAGS:
        return passed(DISCORD_INTENT, "on: messages arrive with their text")
    return failed(DISCORD_INTENT, "off: every message would arrive empty", MESSAGE_CONTENT_ADVICE)


async def discord(probe: Probe) -> list[Result]:
    c = probe.config.adapters.discord
    if not c.enabled:
        return [skipped("discord", "not enabled")]
    token = probe.secret(c.token_env)
    if not token:
        fix = f"developer portal > your application > Bot > Reset Token; put it in {c.token_env}"
        return [failed(DISCORD_TOKEN, f"{c.token_env} is not set", fix)]
    me = _discord_me(*await _discord_get(probe, token, "users/@me"), c.token_env)
    if me.status is not Status.PASS:
        return [me]
    return [me, _discord_intent(*await _discord_get(probe, token, "oauth2/applications/@me"))]
