"""Ask the approval workspace about the channel and the approver groups: ``conversations.info``
(the channel exists, the bot is in it) and ``usergroups.users.list`` (a group has members)."""

from __future__ import annotations

from bot.golive.slack_probe import SlackAnswer, answer, client


async def channel(base_url: str, token: str, channel_id: str) -> SlackAnswer:
    return await answer(client(base_url, token).conversations_info(channel=channel_id))


async def group_members(base_url: str, token: str, usergroup: str) -> SlackAnswer:
    return await answer(client(base_url, token).usergroups_users_list(usergroup=usergroup))
