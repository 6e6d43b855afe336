"""Stored messages for topic tests, written straight into the messages table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from bot.store import Store
from bot.store import schema as t

T0 = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)  # the end of the period the tests look at
WEEK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Said:
    """A message to store: its text and how it was classified and routed."""

    text: str
    intent: str = "question"
    sentiment: str = "neutral"
    language: str = "en"
    platform: str = "discord"
    group: str | None = None
    days_ago: float = 1.0  # before T0
    raw: dict[str, Any] = field(default_factory=dict)


async def store_messages(
    store: Store, said: Sequence[Said], *, first_id: int = 1, end: datetime = T0
) -> list[int]:
    """Store ``said`` as received messages (``days_ago`` before ``end``); their ids."""
    ids = []
    async with store.begin() as conn:
        for n, s in enumerate(said):
            mid = first_id + n
            at = end - timedelta(days=s.days_ago, minutes=n % 60)
            await conn.execute(
                insert(t.messages).values(
                    id=mid,
                    platform=s.platform,
                    channel_id="general",
                    channel_name="general",
                    platform_message_id=f"p{mid}",
                    author_id=f"a{n}",
                    author_name=f"member {n}",
                    author_is_bot=False,
                    text=s.text,
                    sent_at=at,
                    received_at=at,
                    raw=s.raw,
                    stage="decided",
                    language=s.language,
                    intent=s.intent,
                    sentiment=s.sentiment,
                    toxic=False,
                    group=s.group,
                )
            )
            ids.append(mid)
    return ids
