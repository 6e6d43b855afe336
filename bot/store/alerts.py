"""The alerts table: one row per storm, updated while it lasts, re-notified when it grows.

An alert for (kind, key) stays open while its events come within the cooldown of its last
one; a later event closes it and opens a new one. Two workers opening the same alert at once:
the database keeps one (a unique index on open alerts) and the loser updates it instead.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store import schema as t
from bot.store.database import Database

alert = t.alerts.c


class AlertStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class AlertSpec:
    """An event that raises (or feeds) an alert: ``count`` events of ``kind`` about ``key``
    at ``at``; the team is told again once it has grown by ``grow_factor``."""

    kind: str
    key: str
    at: datetime
    count: int
    summary: str
    detail: dict[str, Any]
    cooldown: timedelta
    grow_factor: float = 2.0


@dataclass(frozen=True, slots=True)
class Raised:
    """What one ``raise_alert`` call did: a new alert, a grown one, or a silent update."""

    alert_id: int
    kind: str
    key: str
    count: int
    notified: bool


@dataclass(frozen=True, slots=True)
class Upserted:
    """The alert raised, and whether it was the open one, updated (``growing``), or new."""

    raised: Raised
    growing: bool


async def raise_alert(db: Database, spec: AlertSpec) -> Upserted:
    """Open an alert, or update the open one for (kind, key) if it is within cooldown."""
    try:
        return await _upsert(db, spec)
    except IntegrityError:  # another worker opened it first: update theirs
        return await _upsert(db, spec)


async def _upsert(db: Database, spec: AlertSpec) -> Upserted:
    async with db.transaction() as conn:
        row = (
            await conn.execute(
                select(t.alerts)
                .where(
                    alert.kind == spec.kind,
                    alert.key == spec.key,
                    alert.status == AlertStatus.OPEN,
                )
                .order_by(alert.id.desc())
                .limit(1)
                .with_for_update()
            )
        ).first()
        if row is not None and spec.at - row.last_at <= spec.cooldown:
            raised = await _feed(conn, row, spec)
            return Upserted(raised, growing=True)
        if row is not None:
            await conn.execute(
                update(t.alerts).where(alert.id == row.id).values(status=AlertStatus.CLOSED)
            )
        return Upserted(await _open(conn, spec), growing=False)


async def _feed(conn: AsyncConnection, row: Any, spec: AlertSpec) -> Raised:
    """Update the open alert; notify when it has grown by the factor since last told."""
    notified_at = int(row.detail.get("notified_count", row.count))
    grown = spec.count >= notified_at * spec.grow_factor
    detail = {**spec.detail, "notified_count": spec.count if grown else notified_at}
    count = max(spec.count, row.count)
    await conn.execute(
        update(t.alerts)
        .where(alert.id == row.id)
        .values(last_at=max(spec.at, row.last_at), count=count, summary=spec.summary, detail=detail)
    )
    return Raised(row.id, spec.kind, spec.key, count, grown)


async def _open(conn: AsyncConnection, spec: AlertSpec) -> Raised:
    alert_id = (
        await conn.execute(
            insert(t.alerts)
            .values(
                kind=spec.kind,
                key=spec.key,
                status=AlertStatus.OPEN,
                first_at=spec.at,
                last_at=spec.at,
                count=spec.count,
                summary=spec.summary,
                detail={**spec.detail, "notified_count": spec.count},
            )
            .returning(alert.id)
        )
    ).scalar_one()
    return Raised(alert_id, spec.kind, spec.key, spec.count, True)


async def open_alerts(db: Database) -> list[dict[str, Any]]:
    """The open alerts, oldest first."""
    async with db.read() as conn:
        rows = await conn.execute(
            select(t.alerts).where(alert.status == AlertStatus.OPEN).order_by(alert.id)
        )
        return [dict(r._mapping) for r in rows]
