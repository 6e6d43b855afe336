"""Reads for topics: a period's messages worth grouping, and the links of the few shown.

Spam, bots' messages and messages deleted at the source are left out: they say nothing about
the product. An edited message is read as edited.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from bot.store import schema as t
from bot.store.database import Database
from bot.store.vectors import CHUNK

Rows = list[dict[str, Any]]

SKIPPED_INTENTS = ("spam",)


async def topic_messages(db: Database, since: datetime, until: datetime) -> Rows:
    """Messages received in [since, until) to group into topics, in id order: id, platform,
    channel_name, text, sent_at, received_at, language, intent, sentiment, group."""
    m = t.messages.c
    stmt = (
        select(
            m.id,
            m.platform,
            func.coalesce(m.channel_name, m.channel_id).label("channel_name"),
            func.coalesce(m.edited_text, m.text).label("text"),
            m.sent_at,
            m.received_at,
            m.language,
            m.intent,
            m.sentiment,
            m.group,
        )
        .where(
            m.received_at >= since,
            m.received_at < until,
            m.author_is_bot.is_(False),
            m.deleted_at.is_(None),
            or_(m.intent.is_(None), m.intent.not_in(SKIPPED_INTENTS)),
        )
        .order_by(m.id)
    )
    async with db.read() as conn:
        return [dict(r._mapping) for r in await conn.execute(stmt)]


async def permalinks(db: Database, message_ids: Sequence[int]) -> dict[int, str]:
    """The platform link of each message that has one (``raw["permalink"]``)."""
    m = t.messages.c
    out: dict[int, str] = {}
    async with db.read() as conn:
        for i in range(0, len(message_ids), CHUNK):
            chunk = message_ids[i : i + CHUNK]
            for mid, raw in await conn.execute(select(m.id, m.raw).where(m.id.in_(chunk))):
                link = raw.get("permalink") if isinstance(raw, dict) else None
                if isinstance(link, str) and link:
                    out[int(mid)] = link
    return out
