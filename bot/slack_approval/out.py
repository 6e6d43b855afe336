"""The one way out to the team's Slack: posts, updates and ephemeral notices, their text
always mrkdwn built by :mod:`bot.slack_approval.mrkdwn` (a plain ``str`` is escaped)."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_approval.mrkdwn import escape

log = logging.getLogger(__name__)


def slack_error(exc: SlackApiError) -> str:
    """Slack's error code (``missing_scope``), or the HTTP status when it gave none."""
    data = exc.response.data
    return str(data.get("error")) if isinstance(data, dict) else f"HTTP {exc.response.status_code}"


class SlackOut:
    """Every message the approval app sends, through ``client``."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def post(
        self,
        channel: str,
        text: str,
        *,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
    ) -> Any:
        """chat.postMessage with ``text`` as mrkdwn (a plain ``str`` is escaped)."""
        args: dict[str, Any] = {"channel": channel, "text": escape(text)}
        if blocks is not None:
            args["blocks"] = blocks
        if thread_ts is not None:
            args["thread_ts"] = thread_ts
        return await self.client.chat_postMessage(**args)

    async def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> Any:
        return await self.client.chat_update(
            channel=channel, ts=ts, text=escape(text), blocks=blocks
        )

    async def ephemeral(self, channel: str, user: str, text: str) -> None:
        """A notice only ``user`` sees; a failure is logged (the decision stands)."""
        try:
            await self.client.chat_postEphemeral(channel=channel, user=user, text=escape(text))
        except SlackApiError as exc:
            log.warning("ephemeral notice failed: %s", slack_error(exc))

    async def open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        await self.client.views_open(trigger_id=trigger_id, view=view)
