"""Approval in Slack: cards, one-click decisions, reminders."""

from bot.slack_approval.app import ApprovalTiming, SlackApproval, SlackCredentials

__all__ = ["ApprovalTiming", "SlackApproval", "SlackCredentials"]
