"""The Discord invite: the OAuth2 URL that adds the bot to a server with exactly the
permissions the Discord adapter uses, and the intent it must have turned on.

What ``adapters/discord.py`` does, and the permission each needs:
- sees the watched channels and their threads, and receives their messages: View Channels;
- backfills and reconciles from channel history: Read Message History (replying to a
  message, as every reply does, needs it too);
- posts replies in channels: Send Messages; in threads: Send Messages in Threads.
It mentions nobody (``allowed_mentions`` none), embeds nothing, creates no threads.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlencode

from bot.errors import TactlineError

AUTHORIZE = "https://discord.com/oauth2/authorize"

# Discord's permission bits (developer docs, "Permissions"), the ones Tactline needs.
PERMISSIONS: dict[str, int] = {
    "View Channels": 1 << 10,
    "Send Messages": 1 << 11,
    "Read Message History": 1 << 16,
    "Send Messages in Threads": 1 << 38,
}
MESSAGE_CONTENT_ADVICE = (
    "turn on the Message Content intent: Discord developer portal > your application > "
    "Bot > Privileged Gateway Intents > Message Content Intent (without it every message "
    "arrives empty and Tactline refuses to start)"
)


def permission_bits() -> int:
    bits = 0
    for bit in PERMISSIONS.values():
        bits |= bit
    return bits


def invite_url(client_id: str) -> str:
    """The URL that adds the bot with :data:`PERMISSIONS` to a server the admin picks."""
    if not client_id.isdigit():
        raise TactlineError(
            f"--client-id must be the application id (digits), not {client_id!r}: developer "
            "portal > your application > General Information > Application ID"
        )
    query = urlencode({"client_id": client_id, "scope": "bot", "permissions": permission_bits()})
    return f"{AUTHORIZE}?{query}"


def client_id_from_token(token: str) -> str | None:
    """The bot's user id, which a bot token starts with (base64), and which is the
    application id for every bot made in the developer portal; None if it is not there."""
    head = token.split(".", 1)[0]
    try:
        decoded = base64.b64decode(head + "=" * (-len(head) % 4), validate=False).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return decoded if decoded.isdigit() else None
