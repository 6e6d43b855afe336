"""Small builders for test inputs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from bot.domain import Author, ConversationRef, InboundMessage, Platform


def make_message(
    text: str = "How do I export my notes?",
    *,
    platform: Platform = Platform.DISCORD,
    message_id: str | None = None,
    channel: str = "help",
    author: str = "maya",
    thread: str | None = None,
    sent_at: datetime | None = None,
    is_bot: bool = False,
) -> InboundMessage:
    return InboundMessage(
        platform=platform,
        platform_message_id=message_id or uuid.uuid4().hex[:12],
        conversation=ConversationRef(
            platform=platform, channel_id=channel, thread_id=thread, channel_name=channel
        ),
        author=Author(id=author, name=author, is_bot=is_bot),
        text=text,
        sent_at=sent_at or datetime.now(UTC),
        raw={"text": text},
    )
