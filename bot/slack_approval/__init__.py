"""Approval in Slack: cards, one-click decisions, reminders."""

from bot.config import Config, secret
from bot.slack_approval.app import SlackApproval


def build_approval_channel(config: Config) -> SlackApproval:
    """The Slack approval app from ``config.toml``; tokens from the named variables."""
    a = config.approval
    token = secret(a.bot_token_env, what="the Slack bot token for approvals")
    if a.mode == "http":
        signing = secret(a.signing_secret_env, what="the Slack signing secret")
        return SlackApproval(a, token=token, signing_secret=signing)
    app_token = secret(a.app_token_env, what="the Slack app-level token (Socket Mode)")
    return SlackApproval(a, token=token, app_token=app_token)


__all__ = ["SlackApproval", "build_approval_channel"]
