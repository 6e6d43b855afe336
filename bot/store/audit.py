"""The audit trail: an append-only record of every step of a message's life."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store import schema as t
from bot.store.database import Database


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One line of the trail: what happened, who did it, when, and to what."""

    event: str
    actor: str
    at: datetime
    message_id: int | None = None
    draft_id: int | None = None
    policy_version: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


async def record(conn: AsyncConnection, entry: AuditEvent) -> None:
    """Append to the trail, inside the unit of work whose step it records."""
    await conn.execute(
        t.audit.insert().values(
            at=entry.at,
            message_id=entry.message_id,
            draft_id=entry.draft_id,
            event=entry.event,
            actor=entry.actor,
            policy_version=entry.policy_version,
            detail=entry.detail or {},
        )
    )


async def trail(db: Database, message_id: int) -> list[dict[str, Any]]:
    """A message's trail, oldest first."""
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(t.audit).where(t.audit.c.message_id == message_id).order_by(t.audit.c.id)
            )
        ).all()
    return [dict(r._mapping) for r in rows]
