"""Recent traffic as the alert checks read it: who posted what, where, in a time window.

Windows are half-open, ``(start, end]``, on the messages' sent time. Only what a check needs
is read: the raid check compares the start of each text, so only that much is fetched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select

from bot.store import schema as t
from bot.store.database import Database

msg = t.messages.c


@dataclass(frozen=True, slots=True)
class Window:
    """Messages sent after ``start`` and up to ``end``."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Channel:
    """One channel of one platform."""

    platform: str
    channel_id: str


@dataclass(frozen=True, slots=True)
class IntentScope:
    """Every message classified with this intent, in any channel."""

    intent: str


@dataclass(frozen=True, slots=True)
class Post:
    """A message as an alert check sees it (``text`` may be only its start)."""

    author_id: str
    author_name: str
    author_joined_at: datetime | None
    sent_at: datetime
    text: str


def _in(scope: Channel | IntentScope, window: Window) -> ColumnElement[bool]:
    where = (
        and_(msg.platform == scope.platform, msg.channel_id == scope.channel_id)
        if isinstance(scope, Channel)
        else msg.intent == scope.intent
    )
    return and_(where, msg.sent_at > window.start, msg.sent_at <= window.end)


def _negative() -> ColumnElement[bool]:
    return or_(msg.sentiment == "negative", msg.toxic.is_(True))


async def posts_by(db: Database, channel: Channel, window: Window, author_id: str) -> int:
    """How many messages one member posted in the channel in the window."""
    async with db.read() as conn:
        n = await conn.scalar(
            select(func.count())
            .select_from(t.messages)
            .where(_in(channel, window), msg.author_id == author_id)
        )
    return int(n or 0)


async def flagged(db: Database, channel: Channel, window: Window, flag: str) -> list[Post]:
    """The channel's messages in the window that the classifier flagged with ``flag``."""
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(*_post_columns(msg.text), msg.flags).where(_in(channel, window))
            )
        ).all()
    return [_post(r) for r in rows if flag in (r.flags or ())]


async def recent_posts(
    db: Database, channel: Channel, window: Window, text_chars: int
) -> list[Post]:
    """The channel's messages in the window, each text cut to its first ``text_chars``."""
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(*_post_columns(func.substr(msg.text, 1, text_chars).label("text"))).where(
                    _in(channel, window)
                )
            )
        ).all()
    return [_post(r) for r in rows]


def _post_columns(text: ColumnElement[str]) -> tuple[ColumnElement[Any], ...]:
    """What a :class:`Post` is read from (``text``: the whole text, or its start)."""
    return (msg.author_id, msg.author_name, msg.author_joined_at, msg.sent_at, text)


def _post(row: object) -> Post:
    r = row._mapping  # type: ignore[attr-defined]
    return Post(r["author_id"], r["author_name"], r["author_joined_at"], r["sent_at"], r["text"])


async def negative_count(db: Database, scope: Channel | IntentScope, window: Window) -> int:
    """Negative or abusive messages (spam aside) in the scope and window."""
    async with db.read() as conn:
        n = await conn.scalar(
            select(func.count())
            .select_from(t.messages)
            .where(
                _in(scope, window),
                _negative(),
                or_(msg.intent.is_(None), msg.intent != "spam"),
            )
        )
    return int(n or 0)


async def negative_examples(
    db: Database, scope: Channel | IntentScope, window: Window, limit: int = 3
) -> list[Post]:
    """The most toxic negative messages in the scope and window, latest first on a tie."""
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(*_post_columns(msg.text))
                .where(_in(scope, window), _negative())
                .order_by(msg.toxicity.desc(), msg.sent_at.desc())
                .limit(limit)
            )
        ).all()
    return [_post(r) for r in rows]
