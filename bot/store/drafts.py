"""Drafts: the versions of a reply written for a message, and the status each one is in.

A draft is written by the drafter (``add``), decided once by a human or by autosend
(:mod:`bot.store.approvals`), then settled by its delivery or by a change of its source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain import Draft, DraftStatus
from bot.store import audit
from bot.store import schema as t
from bot.store.database import Database, insert
from bot.store.values import utcnow

draft = t.drafts.c

# A draft not yet posted: a change of its source makes it stale.
UNPOSTED = (DraftStatus.PENDING, DraftStatus.APPROVED)


@dataclass(frozen=True, slots=True)
class NewDraft:
    """A draft version as the drafter wrote it (``text`` None: it had nothing to say)."""

    message_id: int
    text: str | None
    group: str
    model: str
    notes: Sequence[str] = ()
    seconds: float | None = None
    version: int = 1


def as_draft(row: Any) -> Draft:
    return Draft(
        id=row.id,
        message_id=row.message_id,
        version=row.version,
        text=row.text,
        status=DraftStatus(row.status),
        created_at=row.created_at,
        model=row.model,
    )


async def add(db: Database, new: NewDraft) -> Draft:
    """Insert a draft version; if that version exists (a retried job), return it."""
    now = utcnow()
    async with db.transaction() as conn:
        new_id = (
            await conn.execute(
                insert(conn, t.drafts)
                .values(
                    message_id=new.message_id,
                    version=new.version,
                    text=new.text,
                    status=DraftStatus.PENDING,
                    group=new.group,
                    model=new.model,
                    notes=list(new.notes),
                    seconds=new.seconds,
                    created_at=now,
                )
                .on_conflict_do_nothing(index_elements=["message_id", "version"])
                .returning(draft.id)
            )
        ).scalar_one_or_none()
        if new_id is not None:
            await audit.record(conn, _drafted(new, new_id, now))
        row = (
            await conn.execute(
                select(t.drafts).where(
                    draft.message_id == new.message_id, draft.version == new.version
                )
            )
        ).one()
    return as_draft(row)


def _drafted(new: NewDraft, draft_id: int, at: datetime) -> audit.AuditEvent:
    return audit.AuditEvent(
        "drafted",
        "drafter:" + new.model,
        at,
        message_id=new.message_id,
        draft_id=draft_id,
        detail={
            "text": new.text,
            "version": new.version,
            "notes": list(new.notes),
            "seconds": new.seconds,
        },
    )


async def of_message(db: Database, message_id: int) -> list[Draft]:
    """A message's drafts, by version."""
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(t.drafts).where(draft.message_id == message_id).order_by(draft.version)
            )
        ).all()
    return [as_draft(r) for r in rows]


async def one(db: Database, draft_id: int) -> Draft:
    async with db.read() as conn:
        row = (await conn.execute(select(t.drafts).where(draft.id == draft_id))).one()
    return as_draft(row)


async def stale_for(conn: AsyncConnection, message_ids: Sequence[int], now: datetime) -> list[int]:
    """Every unposted draft of these messages goes stale (their source changed); their ids."""
    stale = await conn.execute(
        update(t.drafts)
        .where(draft.message_id.in_(message_ids), draft.status.in_(UNPOSTED))
        .values(status=DraftStatus.STALE, decided_at=now)
        .returning(draft.id)
    )
    return list(stale.scalars().all())


async def settle(conn: AsyncConnection, draft_id: int, status: DraftStatus) -> int:
    """Set the status its delivery gave a draft (posted, failed, stale); its message's id."""
    message_id = await conn.execute(
        update(t.drafts)
        .where(draft.id == draft_id)
        .values(status=status)
        .returning(draft.message_id)
    )
    return int(message_id.scalar_one())


async def group_of(db: Database, draft_id: int) -> str:
    """The approver group a draft is routed to ('' for no such draft)."""
    async with db.read() as conn:
        group = await conn.scalar(select(draft.group).where(draft.id == draft_id))
    return str(group or "")


async def waiting_for_a_human(db: Database) -> tuple[int, datetime | None]:
    """How many drafts await a human decision, and when the oldest was written."""
    async with db.read() as conn:
        pending, oldest = (
            await conn.execute(
                select(func.count(), func.min(draft.created_at)).where(
                    draft.status == DraftStatus.PENDING
                )
            )
        ).one()
    return int(pending or 0), oldest
