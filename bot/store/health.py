"""Operations' own records: each adapter's health, and platform updates set aside unread."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.domain import Platform
from bot.store import schema as t
from bot.store.database import Database, insert
from bot.store.values import MAX_ERROR_CHARS, MAX_ID_CHARS, clean_text, json_safe, utcnow


@dataclass(frozen=True, slots=True)
class AdapterHealth:
    """An adapter's connection as its worker last saw it."""

    name: str
    worker: str
    connected: bool
    last_event_at: datetime | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A platform update that could not be stored, with the reason and the tries made."""

    platform: Platform
    ref: str
    payload: dict[str, Any]
    reason: str
    tries: int


async def save(db: Database, health: AdapterHealth) -> None:
    """Upsert an adapter's row (one per adapter name)."""
    values = {
        "worker": health.worker,
        "connected": health.connected,
        "last_event_at": health.last_event_at,
        "last_error": health.last_error,
        "updated_at": utcnow(),
    }
    async with db.transaction() as conn:
        await conn.execute(
            insert(conn, t.adapter_health)
            .values(name=health.name, **values)
            .on_conflict_do_update(index_elements=["name"], set_=values)
        )


async def rows(db: Database) -> list[dict[str, Any]]:
    """Every adapter's row, by name."""
    async with db.read() as conn:
        found = (
            await conn.execute(select(t.adapter_health).order_by(t.adapter_health.c.name))
        ).all()
    return [dict(r._mapping) for r in found]


async def add_dead_letter(db: Database, letter: DeadLetter) -> bool:
    """Set aside a platform update that could not be stored; False if it already was."""
    async with db.transaction() as conn:
        result = await conn.execute(
            insert(conn, t.dead_letters)
            .values(
                platform=letter.platform.value,
                ref=clean_text(letter.ref)[:MAX_ID_CHARS],
                payload=json_safe(letter.payload),
                reason=clean_text(letter.reason)[:MAX_ERROR_CHARS],
                tries=letter.tries,
                at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["platform", "ref"])
        )
    return bool(result.rowcount)


async def dead_letters(db: Database) -> list[dict[str, Any]]:
    """Every update set aside, oldest first."""
    async with db.read() as conn:
        found = (await conn.execute(select(t.dead_letters).order_by(t.dead_letters.c.id))).all()
    return [dict(r._mapping) for r in found]
