"""Outcomes of a reply: reactions on our posted replies, and the reads the report's outcome
figures are computed from (our replies, the members' later messages, the reactions).

A reaction is kept only when it is on a message Tactline posted (a sent outbox row whose
receipt holds that platform message id): the platforms tell a bot about reactions on any
message, and the rest is not Tactline's to keep. A member's later messages are stored as
messages already; the report links them to our reply by thread and reply-to ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, String, cast, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain import Platform
from bot.store import schema as t
from bot.store.database import Database, insert
from bot.store.values import MAX_ID_CHARS, clean_text, utcnow

Rows = list[dict[str, Any]]
out, rc, m = t.outbox.c, t.reactions.c, t.messages.c


@dataclass(frozen=True, slots=True)
class NewReaction:
    """Someone reacted to a message (``removed``: took a reaction back), as the platform
    said: the channel and id of the message reacted to, who, which emoji, when."""

    platform: Platform
    channel_id: str
    message_id: str
    user_id: str
    emoji: str
    at: datetime
    removed: bool = False


@dataclass(frozen=True, slots=True)
class NewAudience:
    """A channel (or thread) had ``members`` members at ``at``, as the platform said."""

    platform: Platform
    channel_id: str
    members: int
    at: datetime


@dataclass(frozen=True, slots=True)
class OutcomeRows:
    """Our replies to the period's messages, the members' messages after them, the
    reactions on those replies up to the end of the period, and the member counts of the
    channels they were posted in."""

    replies: Rows
    later: Rows
    reactions: Rows
    audiences: Rows = field(default_factory=list)


async def _our_post(conn: AsyncConnection, r: NewReaction) -> int | None:
    """The sent outbox row that posted message ``r.message_id`` in ``r.channel_id`` (its
    thread, for a reply posted in one), or None when the message is not ours."""
    rows = (
        await conn.execute(
            select(out.id, out.receipt, out.conversation).where(
                out.platform == str(r.platform),
                out.status == "sent",
                cast(out.receipt, String).contains(f'"{r.message_id}"', autoescape=True),
            )
        )
    ).all()
    for row in rows:
        ids = (row.receipt or {}).get("platform_message_ids") or []
        conv = row.conversation or {}
        if r.message_id in ids and r.channel_id in (conv.get("channel_id"), conv.get("thread_id")):
            return int(row.id)
    return None


async def record_reaction(db: Database, r: NewReaction) -> bool:
    """Keep a reaction on one of our posted replies; False when the message is not ours or
    the same event was kept already (a redelivery)."""
    fields = (r.channel_id, r.message_id, r.user_id)
    if not r.message_id or any(len(v) > MAX_ID_CHARS for v in fields):
        return False
    async with db.transaction() as conn:
        outbox_id = await _our_post(conn, r)
        if outbox_id is None:
            return False
        kept = await conn.execute(
            insert(conn, t.reactions)
            .values(
                outbox_id=outbox_id,
                platform=str(r.platform),
                channel_id=r.channel_id,
                platform_message_id=r.message_id,
                user_id=r.user_id,
                emoji=clean_text(r.emoji)[:128],
                removed=r.removed,
                at=r.at,
                received_at=utcnow(),
            )
            .on_conflict_do_nothing(
                index_elements=[
                    "platform",
                    "channel_id",
                    "platform_message_id",
                    "user_id",
                    "emoji",
                    "removed",
                    "at",
                ]
            )
            .returning(rc.id)  # rowcount is not reliable here (-1 with psycopg)
        )
        return kept.scalar_one_or_none() is not None


async def record_audience(db: Database, a: NewAudience) -> None:
    """Keep a channel's member count (one row per reply posted there)."""
    if len(a.channel_id) > MAX_ID_CHARS or a.members < 0:
        return
    async with db.transaction() as conn:
        await conn.execute(
            t.audiences.insert().values(
                platform=str(a.platform), channel_id=a.channel_id, members=a.members, at=a.at
            )
        )


async def _dicts(conn: AsyncConnection, stmt: Select[Any]) -> Rows:
    return [dict(r._mapping) for r in await conn.execute(stmt)]


def _replies(since: datetime, until: datetime) -> Select[Any]:
    """Our replies posted before ``until`` to messages received in [since, until), with what
    the report groups them by."""
    d = t.drafts.c
    return (
        select(
            out.id.label("outbox_id"),
            out.sent_at.label("posted_at"),
            out.receipt,
            m.id.label("message_id"),
            m.platform,
            m.channel_id,
            m.thread_id,
            m.platform_message_id,
            m.author_id,
            m.sent_at,
            m.intent,
            m.sentiment,
            m.group,
        )
        .join(t.drafts, d.id == out.draft_id)
        .join(t.messages, m.id == d.message_id)
        .where(
            out.status == "sent",
            out.sent_at.is_not(None),
            out.sent_at < until,
            m.received_at >= since,
            m.received_at < until,
        )
        .order_by(out.id)
    )


def _later(authors: Sequence[str], after: datetime, until: datetime) -> Select[Any]:
    """Messages these members wrote in (after, until): their answers and next messages."""
    return (
        select(
            m.id,
            m.platform,
            m.channel_id,
            m.thread_id,
            m.reply_to_message_id,
            m.author_id,
            m.text,
            m.intent,
            m.sentiment,
            m.sent_at,
        )
        .where(m.author_id.in_(list(authors)), m.sent_at > after, m.sent_at < until)
        .order_by(m.sent_at, m.id)
    )


def _audiences(channels: Sequence[str], until: datetime) -> Select[Any]:
    au = t.audiences.c
    return (
        select(au.platform, au.channel_id, au.members, au.at)
        .where(au.channel_id.in_(list(channels)), au.at < until)
        .order_by(au.at, au.id)
    )


def _reactions(outbox_ids: Sequence[int], until: datetime) -> Select[Any]:
    return (
        select(rc.outbox_id, rc.platform_message_id, rc.user_id, rc.emoji, rc.removed, rc.at)
        .where(rc.outbox_id.in_(list(outbox_ids)), rc.at < until)
        .order_by(rc.at, rc.id)
    )


async def outcome_rows(db: Database, since: datetime, until: datetime) -> OutcomeRows:
    """What the outcomes of the period's replies are computed from, in one read."""
    async with db.read() as conn:
        replies = await _dicts(conn, _replies(since, until))
        if not replies:
            return OutcomeRows([], [], [])
        authors = sorted({row["author_id"] for row in replies})
        # Telegram and Slack give whole seconds: a message in the second of our reply counts
        first = min(row["posted_at"] for row in replies) - timedelta(seconds=1)
        later = await _dicts(conn, _later(authors, first, until))
        ids = [row["outbox_id"] for row in replies]
        reactions = await _dicts(conn, _reactions(ids, until))
        channels = sorted({row["channel_id"] for row in replies})
        audiences = await _dicts(conn, _audiences(channels, until))
    return OutcomeRows(replies, later, reactions, audiences)
