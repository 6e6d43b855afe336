"""Label corrections: a moderator's "Not right?" on a card (the right intent, or the tone),
kept with its author; the classifier learns the intents beside the policy's examples."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from bot.store import schema as t
from bot.store.database import Database

label = t.learned_labels.c
FIELDS = ("intent", "tone")
TONES = ("toxic", "not_toxic", "sarcastic")


@dataclass(frozen=True, slots=True)
class Correction:
    """A correction as a moderator made it."""

    message_id: int
    text: str
    language: str
    field: str  # intent | tone
    value: str  # the right intent, or toxic | not_toxic | sarcastic
    previous: str
    author: str
    policy_version: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Learned:
    id: int
    correction: Correction


async def add(db: Database, correction: Correction) -> int:
    """Record a correction; its id."""
    c = correction
    async with db.transaction() as conn:
        new_id = await conn.execute(
            t.learned_labels.insert()
            .values(
                message_id=c.message_id,
                text=c.text,
                language=c.language,
                field=c.field,
                value=c.value,
                previous=c.previous,
                author=c.author,
                policy_version=c.policy_version,
                at=c.at,
            )
            .returning(label.id)
        )
        return int(new_id.scalar_one())


async def listing(db: Database, *, field: str | None = None) -> list[Learned]:
    """Every correction, oldest first; only the latest per message and field counts."""
    query = select(t.learned_labels).order_by(label.id)
    if field is not None:
        query = query.where(label.field == field)
    async with db.read() as conn:
        rows = (await conn.execute(query)).all()
    return [
        Learned(
            r.id,
            Correction(
                r.message_id,
                r.text,
                r.language,
                r.field,
                r.value,
                r.previous,
                r.author,
                r.policy_version,
                r.at,
            ),
        )
        for r in rows
    ]


def latest(learned: Sequence[Learned]) -> list[Learned]:
    """The last correction of each (message, field): a moderator may correct a correction."""
    last: dict[tuple[int, str], Learned] = {}
    for item in learned:
        last[(item.correction.message_id, item.correction.field)] = item
    return sorted(last.values(), key=lambda i: i.id)


async def forget(db: Database, ids: Sequence[int]) -> int:
    """Delete these corrections: the classifier no longer learns from them."""
    if not ids:
        return 0
    async with db.transaction() as conn:
        gone = await conn.execute(delete(t.learned_labels).where(label.id.in_(ids)))
    return int(gone.rowcount or 0)
