"""Ask Slack whether a token works: ``auth.test`` for a bot token, ``apps.connections.open``
for an app-level (Socket Mode) token. Used for both Slack apps; the error is Slack's code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.redact import exception_text

TIMEOUT = 10  # seconds: a check waits no longer for Slack
DEFAULT_API = "https://slack.com/api/"


@dataclass(frozen=True, slots=True)
class SlackAnswer:
    """Slack's answer to one call: its data, or its error code (``invalid_auth``), or why it
    could not be asked (``unreachable: …``)."""

    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def client(base_url: str, token: str) -> AsyncWebClient:
    """A client that fails fast (no retries): a check reports, it does not insist."""
    return AsyncWebClient(token=token, base_url=base_url, timeout=TIMEOUT)


def _error(exc: SlackApiError) -> str:
    data = exc.response.data
    if isinstance(data, dict) and data.get("error"):
        needed = f" (needs {data['needed']})" if data.get("needed") else ""
        return f"{data['error']}{needed}"
    return f"HTTP {exc.response.status_code}"


async def answer(call: Any) -> SlackAnswer:
    """Await one Web API call (a coroutine of the client) as a :class:`SlackAnswer`."""
    try:
        response = await call
    except SlackApiError as exc:
        return SlackAnswer(error=_error(exc))
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        return SlackAnswer(error=f"unreachable: {exc.__class__.__name__}: {exception_text(exc)}")
    data = response.data if isinstance(response.data, dict) else {}
    return SlackAnswer(data=data)


async def bot_token(base_url: str, token: str) -> SlackAnswer:
    """``auth.test``: whether the bot token works, and whose it is."""
    return await answer(client(base_url, token).auth_test())


async def app_token(base_url: str, token: str) -> SlackAnswer:
    """``apps.connections.open``: whether the app-level token may open Socket Mode. The URL it
    answers is never used (it expires unopened)."""
    return await answer(client(base_url, token).apps_connections_open(app_token=token))
