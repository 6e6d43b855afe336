"""Reads for status, reports and metrics: the rows and counts they are computed from.

Figures themselves are computed by their readers (:mod:`bot.reports`), in Python, so SQLite
and PostgreSQL give the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store import schema as t
from bot.store.alerts import AlertStatus
from bot.store.database import Database
from bot.store.values import utcnow

Rows = list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ReportRows:
    """The rows of a report's period: its messages and what became of them."""

    messages: Rows
    drafts: Rows
    approvals: Rows
    posts: Rows
    alerts: Rows
    cards: Rows = field(default_factory=list)  # approval cards of the period's messages
    corrections: Rows = field(default_factory=list)  # label corrections made in the period
    uses: Rows = field(default_factory=list)  # banked decisions the drafts were shown


@dataclass(frozen=True, slots=True)
class ScrapeFigures:
    """What a metrics scrape reads besides :func:`status_counts`."""

    messages_by_platform: list[tuple[str, int]]
    draft_seconds: list[float]  # drafting time of the drafts of the last hour
    delivery_errors: int  # outbox rows whose last attempt failed
    open_alerts_by_kind: list[tuple[str, int]]


async def status_counts(db: Database) -> dict[str, dict[str, int]]:
    """Backlog per state: messages by stage, jobs by kind/status, drafts and outbox by
    status."""
    out: dict[str, dict[str, int]] = {}
    async with db.read() as conn:
        for name, cols in (
            ("messages", (t.messages.c.stage,)),
            ("jobs", (t.jobs.c.kind, t.jobs.c.status)),
            ("drafts", (t.drafts.c.status,)),
            ("outbox", (t.outbox.c.status,)),
        ):
            rows = (await conn.execute(select(*cols, func.count()).group_by(*cols))).all()
            out[name] = {"/".join(str(v) for v in r[:-1]): int(r[-1]) for r in rows}
    return out


async def _dicts(conn: AsyncConnection, stmt: Select[Any]) -> Rows:
    return [dict(r._mapping) for r in await conn.execute(stmt)]


def _messages(since: datetime, until: datetime) -> Select[Any]:
    m = t.messages.c
    return (
        select(
            m.id,
            m.platform,
            m.channel_id,
            m.channel_name,
            m.sent_at,
            m.received_at,
            m.language,
            m.intent,
            m.sentiment,
            m.toxic,
            m.toxicity,
            m.action,
            m.group,
            m.urgent,
        )
        .where(m.received_at >= since, m.received_at < until)
        .order_by(m.id)
    )


def _drafts(message_ids: Sequence[int]) -> Select[Any]:
    d = t.drafts.c
    return (
        select(
            d.id,
            d.message_id,
            d.version,
            d.text,
            d.status,
            d.group,
            d.created_at,
            d.seconds,
            d.model,
        )
        .where(d.message_id.in_(message_ids))
        .order_by(d.id)
    )


def _approvals(draft_ids: Sequence[int]) -> Select[Any]:
    a = t.approvals.c
    return (
        select(a.id, a.draft_id, a.actor, a.at, a.verdict, a.edited_text, a.reason, a.target_group)
        .where(a.draft_id.in_(draft_ids))
        .order_by(a.id)
    )


def _posts(draft_ids: Sequence[int]) -> Select[Any]:
    o = t.outbox.c
    return (
        select(o.id, o.draft_id, o.platform, o.conversation, o.status, o.created_at, o.sent_at)
        .where(o.draft_id.in_(draft_ids))
        .order_by(o.id)
    )


def _alerts(since: datetime, until: datetime) -> Select[Any]:
    al = t.alerts.c
    return (
        select(al.id, al.kind, al.key, al.first_at, al.last_at, al.count, al.summary)
        .where(al.first_at >= since, al.first_at < until)
        .order_by(al.id)
    )


def _cards(message_ids: Sequence[int]) -> Select[Any]:
    c = t.approval_cards.c
    return (
        select(c.id, c.message_id, c.draft_id, c.group, c.created_at)
        .where(c.message_id.in_(message_ids))
        .order_by(c.id)
    )


def _corrections(since: datetime, until: datetime) -> Select[Any]:
    """Label corrections made in [since, until), with the intent the message has now."""
    lb, m = t.learned_labels.c, t.messages.c
    return (
        select(lb.id, lb.message_id, lb.field, lb.value, lb.previous, lb.author, lb.at)
        .add_columns(m.intent.label("message_intent"))
        .join(t.messages, m.id == lb.message_id)
        .where(lb.at >= since, lb.at < until)
        .order_by(lb.id)
    )


def _uses(draft_ids: Sequence[int]) -> Select[Any]:
    u = t.learned_uses.c
    return (
        select(u.id, u.draft_id, u.bank_id, u.kind, u.similarity)
        .where(u.draft_id.in_(draft_ids))
        .order_by(u.id)
    )


async def report_rows(db: Database, since: datetime, until: datetime) -> ReportRows:
    """Messages received in [since, until), their drafts, the decisions on those and the
    posts, the cards shown and the banked replies used for them, and the alerts opened and
    label corrections made in the period; in one read."""
    async with db.read() as conn:
        messages = await _dicts(conn, _messages(since, until))
        ids = [row["id"] for row in messages]
        drafts = await _dicts(conn, _drafts(ids)) if ids else []
        draft_ids = [row["id"] for row in drafts]
        approvals = await _dicts(conn, _approvals(draft_ids)) if draft_ids else []
        posts = await _dicts(conn, _posts(draft_ids)) if draft_ids else []
        alerts = await _dicts(conn, _alerts(since, until))
        cards = await _dicts(conn, _cards(ids)) if ids else []
        corrections = await _dicts(conn, _corrections(since, until))
        uses = await _dicts(conn, _uses(draft_ids)) if draft_ids else []
    return ReportRows(messages, drafts, approvals, posts, alerts, cards, corrections, uses)


async def scrape_figures(db: Database, *, draft_window: timedelta) -> ScrapeFigures:
    """Messages per platform, recent drafting times, failed deliveries and open alerts."""
    m, d, a = t.messages.c, t.drafts.c, t.alerts.c
    async with db.read() as conn:
        per_platform = (
            await conn.execute(select(m.platform, func.count()).group_by(m.platform))
        ).all()
        seconds = (
            (
                await conn.execute(
                    select(d.seconds).where(
                        d.created_at >= utcnow() - draft_window, d.seconds.is_not(None)
                    )
                )
            )
            .scalars()
            .all()
        )
        failed = await conn.scalar(
            select(func.count()).select_from(t.outbox).where(t.outbox.c.last_error.is_not(None))
        )
        alerts = (
            await conn.execute(
                select(a.kind, func.count()).where(a.status == AlertStatus.OPEN).group_by(a.kind)
            )
        ).all()
    return ScrapeFigures(
        messages_by_platform=[(str(p), int(n)) for p, n in per_platform],
        draft_seconds=[float(s) for s in seconds],
        delivery_errors=int(failed or 0),
        open_alerts_by_kind=[(str(k), int(n)) for k, n in alerts],
    )
