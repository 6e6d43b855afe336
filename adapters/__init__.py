"""Platform adapters: one module per platform; only that module imports its SDK."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.config import AdaptersConfig, secret

if TYPE_CHECKING:
    from adapters.base import Adapter


def build_adapters(config: AdaptersConfig) -> list[Adapter]:
    """The adapters enabled in ``config``; tokens come from the variables it names."""
    out: list[Adapter] = []
    if config.telegram.enabled:
        from adapters.telegram import TelegramAdapter

        c = config.telegram
        token = secret(c.token_env, what="the Telegram bot token")
        hook = (
            secret(c.signing_secret_env, what="the Telegram webhook secret")
            if c.mode == "webhook" and c.signing_secret_env
            else None
        )
        out.append(TelegramAdapter(c, token=token, webhook_secret=hook))
    if config.slack.enabled:
        from adapters.slack import SlackCommunityAdapter

        sc = config.slack
        token = secret(sc.token_env, what="the Slack community bot token")
        if sc.mode == "socket":
            app_token = secret(
                sc.app_token_env or "TACTLINE_SLACK_COMMUNITY_APP_TOKEN",
                what="the Slack community app-level token",
            )
            out.append(SlackCommunityAdapter(sc, token=token, app_token=app_token))
        else:
            signing = secret(
                sc.signing_secret_env or "TACTLINE_SLACK_COMMUNITY_SIGNING_SECRET",
                what="the Slack community signing secret",
            )
            out.append(SlackCommunityAdapter(sc, token=token, signing_secret=signing))
    if config.discord.enabled:
        from adapters.discord import DiscordAdapter

        token = secret(config.discord.token_env, what="the Discord bot token")
        out.append(DiscordAdapter(config.discord, token=token))
    return out
