"""Where each message's approval card lives in Slack (channel, ts), per approver group."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NotRequired, TypedDict, Unpack

from sqlalchemy import insert, select, update

from bot.domain import DraftStatus
from bot.store import drafts
from bot.store import schema as t
from bot.store.store import Store
from bot.store.values import utcnow


@dataclass(frozen=True, slots=True)
class Card:
    id: int
    message_id: int
    draft_id: int | None
    group: str
    channel: str
    ts: str
    created_at: datetime
    reminded_at: datetime | None


def _card(row: object) -> Card:
    r = row._mapping  # type: ignore[attr-defined]
    return Card(
        r["id"],
        r["message_id"],
        r["draft_id"],
        r["group"],
        r["channel"],
        r["ts"],
        r["created_at"],
        r["reminded_at"],
    )


class CardFields(TypedDict):
    """Where a card was posted: for a message (and its draft, once there is one) and a group."""

    message_id: int
    group: str
    channel: str
    ts: str
    draft_id: NotRequired[int | None]


async def save_card(store: Store, **card: Unpack[CardFields]) -> Card:
    """Record a card just posted (one per message and approver group)."""
    now = utcnow()
    async with store.db.transaction() as conn:
        await conn.execute(
            insert(t.approval_cards).values(
                message_id=card["message_id"],
                group=card["group"],
                channel=card["channel"],
                ts=card["ts"],
                draft_id=card.get("draft_id"),
                created_at=now,
                updated_at=now,
            )
        )
        row = (
            await conn.execute(
                select(t.approval_cards).where(
                    t.approval_cards.c.message_id == card["message_id"],
                    t.approval_cards.c.group == card["group"],
                )
            )
        ).one()
    return _card(row)


async def card_for(store: Store, message_id: int, group: str) -> Card | None:
    async with store.db.read() as conn:
        row = (
            await conn.execute(
                select(t.approval_cards).where(
                    t.approval_cards.c.message_id == message_id, t.approval_cards.c.group == group
                )
            )
        ).first()
    return _card(row) if row else None


async def card_for_draft(store: Store, draft_id: int) -> Card | None:
    async with store.db.read() as conn:
        row = (
            await conn.execute(
                select(t.approval_cards).where(t.approval_cards.c.draft_id == draft_id)
            )
        ).first()
    return _card(row) if row else None


async def attach_draft(store: Store, card_id: int, draft_id: int) -> None:
    async with store.db.transaction() as conn:
        await conn.execute(
            update(t.approval_cards)
            .where(t.approval_cards.c.id == card_id)
            .values(draft_id=draft_id, updated_at=utcnow())
        )


async def waiting_cards(store: Store) -> list[tuple[Card, datetime]]:
    """Cards whose draft still awaits a human, with the draft's creation time."""
    c, d = t.approval_cards.c, t.drafts.c
    async with store.db.read() as conn:
        rows = (
            await conn.execute(
                select(t.approval_cards, d.created_at.label("draft_created_at"))
                .join(t.drafts, t.drafts.c.id == c.draft_id)
                .where(d.status == DraftStatus.PENDING)
            )
        ).all()
    return [(_card(r), r.draft_created_at) for r in rows]


async def mark_reminded(store: Store, card_id: int, at: datetime) -> None:
    async with store.db.transaction() as conn:
        await conn.execute(
            update(t.approval_cards).where(t.approval_cards.c.id == card_id).values(reminded_at=at)
        )


async def draft_group(store: Store, draft_id: int) -> str:
    return await drafts.group_of(store.db, draft_id)


async def last_verdict(
    store: Store, draft_id: int
) -> tuple[str, str, datetime, str | None, str | None] | None:
    """(actor, verdict, at, reason, target group) of the decision on a draft, if any."""
    a = t.approvals.c
    async with store.db.read() as conn:
        row = (
            await conn.execute(
                select(a.actor, a.verdict, a.at, a.reason, a.target_group)
                .where(a.draft_id == draft_id)
                .order_by(a.id.desc())
                .limit(1)
            )
        ).first()
    return (row.actor, row.verdict, row.at, row.reason, row.target_group) if row else None
