"""The local protocol servers, with the few answers ``doctor`` and ``telegram check`` ask for
that they lack (added by subclassing, through the handler lookup each server already does):
Slack ``conversations.info``; Telegram ``getWebhookInfo`` and a privacy-mode switch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.servers.slack import SlackServer
from tests.servers.telegram import TelegramServer


@dataclass
class SlackWithChannels(SlackServer):
    """``conversations.info``: channel id -> whether the bot is a member."""

    channels: dict[str, bool] = field(default_factory=dict)

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = args["channel"]
        if channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        return {
            "channel": {
                "id": channel,
                "name": f"approvals-{channel.lower()}",
                "is_channel": True,
                "is_member": self.channels[channel],
            }
        }


@dataclass
class TelegramWithWebhook(TelegramServer):
    """``getMe`` with the bot's privacy mode, and ``getWebhookInfo``."""

    privacy: bool = False  # True: can_read_all_group_messages is false
    webhook_url: str = ""
    webhook_error: str = ""

    async def _getMe(self, args: dict[str, Any]) -> Any:
        me = await super()._getMe(args)
        return {**me, "can_read_all_group_messages": not self.privacy}

    async def _getWebhookInfo(self, args: dict[str, Any]) -> Any:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }
        if self.webhook_error:
            info["last_error_date"] = 1_700_000_000
            info["last_error_message"] = self.webhook_error
        return info
