"""The store: every state change of a message's life, by compare-and-set where it matters.

One ``Store`` per process. All methods are coroutines and each runs in its own short
transaction, so a crash between two calls loses nothing that was returned as done.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, event, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.domain import (
    ApprovalDecision,
    Author,
    Classification,
    ContextMessage,
    ConversationRef,
    Decision,
    DeliveryReceipt,
    Draft,
    DraftStatus,
    InboundMessage,
    OutboundReply,
    Platform,
    Sentiment,
    Verdict,
)
from bot.errors import TactlineError
from bot.redact import redact, safe_url
from bot.store import schema as t

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


class StoreError(TactlineError):
    """The database could not be reached or refused an operation."""


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: int
    message: InboundMessage
    classification: Classification | None
    action: str | None
    group: str | None
    policy_version: str | None
    matched_rules: tuple[dict[str, str], ...]
    received_at: datetime
    edited: bool
    deleted: bool
    # The recorded decision's urgency and strategy: shown again without recomputing them.
    urgent: bool = False
    strategy: str | None = None
    joined_to: int | None = None  # part of a burst answered on that message's card


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    id: int
    kind: str
    ref_id: int
    attempts: int
    token: str
    created_at: datetime | None = None  # when the job was first queued (drafting's patience)


@dataclass(frozen=True, slots=True)
class JobRow:
    """A job as ``tactline jobs`` lists it."""

    id: int
    kind: str
    ref_id: int
    status: str
    attempts: int
    run_after: datetime
    created_at: datetime
    claimed_by: str | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class ApprovalOutcome:
    """What a moderator's click did. ``applied`` False: someone (or something) was first."""

    applied: bool
    status: DraftStatus  # the draft's status after the call
    outbox_id: int | None = None
    new_draft_id: int | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    draft_id: int
    message_id: int
    reply: OutboundReply
    status: str
    attempts: int
    source_edited: bool
    source_deleted: bool
    created_at: datetime  # when the approved reply entered the outbox


@dataclass(frozen=True, slots=True)
class PendingDraft:
    draft: Draft
    group: str
    notes: tuple[str, ...]
    stored: StoredMessage


def _conversation_json(ref: ConversationRef) -> dict[str, Any]:
    return {
        "platform": str(ref.platform),
        "channel_id": ref.channel_id,
        "thread_id": ref.thread_id,
        "reply_to_message_id": ref.reply_to_message_id,
        "channel_name": ref.channel_name,
    }


def _conversation_from(data: dict[str, Any]) -> ConversationRef:
    return ConversationRef(
        platform=Platform(data["platform"]),
        channel_id=data["channel_id"],
        thread_id=data.get("thread_id"),
        reply_to_message_id=data.get("reply_to_message_id"),
        channel_name=data.get("channel_name"),
    )


def _json_safe(value: Any) -> Any:
    """The raw payload as JSON: unknown objects become strings, lone surrogates and NUL
    (which PostgreSQL refuses in text) are replaced."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, str):
        safe = value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        return safe.replace("\x00", "\ufffd")
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)


def clean_text(text: str) -> str:
    """Text safe to store on every backend: lone surrogates replaced, NUL removed."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace").replace("\x00", "")


class Store:
    def __init__(self, *, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    async def aclose(self) -> None:
        await self.engine.dispose()

    # -- schema -------------------------------------------------------------------------

    async def upgrade(self) -> None:
        """Run the Alembic migrations up to head."""
        from bot.migrations import upgrade_connection

        async with self._begin() as conn:
            await conn.run_sync(upgrade_connection)

    async def current_revision(self) -> str | None:
        from bot.migrations import current_revision

        async with self._connect() as conn:
            revision: str | None = await conn.run_sync(current_revision)
            return revision

    # -- inbound ------------------------------------------------------------------------

    def _insert(self, table: Any) -> Any:
        if self.dialect == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    async def accept(self, message: InboundMessage) -> int | None:
        """Store a new message and queue it. Returns its id, or None if already stored.
        Raises :class:`StoreError` for ids longer than the store keeps (a malformed payload):
        the same on SQLite and PostgreSQL, so the adapter sets the update aside, whole."""
        now = utcnow()
        ref = message.conversation
        _check_ids(message)
        values = {
            "platform": str(message.platform),
            "channel_id": ref.channel_id,
            "platform_message_id": message.platform_message_id,
            "thread_id": ref.thread_id,
            "reply_to_message_id": ref.reply_to_message_id,
            "channel_name": ref.channel_name,
            "author_id": message.author.id,
            "author_name": clean_text(message.author.name)[:256],
            "author_is_bot": message.author.is_bot,
            "author_joined_at": message.author.joined_at,
            "text": clean_text(message.text),
            "sent_at": message.sent_at,
            "received_at": now,
            "raw": _json_safe(dict(message.raw)),
            "stage": "received",
        }
        stmt = (
            self._insert(t.messages)
            .values(**values)
            .on_conflict_do_nothing(
                index_elements=["platform", "channel_id", "platform_message_id"]
            )
            .returning(t.messages.c.id)
        )
        async with self._begin() as conn:
            message_id = (await conn.execute(stmt)).scalar_one_or_none()
            if message_id is None:
                return None
            await self._enqueue(conn, "process", message_id, now)
            await self._audit(
                conn,
                "received",
                "adapter:" + str(message.platform),
                now,
                message_id=message_id,
                detail={"platform_message_id": message.platform_message_id},
            )
        return int(message_id)

    async def source_changed(
        self,
        platform: Platform,
        platform_message_id: str,
        *,
        deleted: bool,
        new_text: str | None = None,
        channel_id: str | None = None,
    ) -> list[int]:
        """Mark the source edited/deleted and every unposted draft of it stale.

        The message itself is kept as it arrived: Tactline never removes anything.
        Returns the ids of drafts that went stale.
        """
        now = utcnow()
        cond = and_(
            t.messages.c.platform == str(platform),
            t.messages.c.platform_message_id == platform_message_id,
        )
        if channel_id is not None:
            cond = and_(cond, t.messages.c.channel_id == channel_id)
        async with self._begin() as conn:
            ids = (await conn.execute(select(t.messages.c.id).where(cond))).scalars().all()
            if not ids:
                return []
            change: dict[str, Any] = (
                {"deleted_at": now}
                if deleted
                else {"edited_at": now, "edited_text": clean_text(new_text or "")}
            )
            await conn.execute(update(t.messages).where(t.messages.c.id.in_(ids)).values(change))
            stale = (
                (
                    await conn.execute(
                        update(t.drafts)
                        .where(
                            t.drafts.c.message_id.in_(ids),
                            t.drafts.c.status.in_([DraftStatus.PENDING, DraftStatus.APPROVED]),
                        )
                        .values(status=DraftStatus.STALE, decided_at=now)
                        .returning(t.drafts.c.id)
                    )
                )
                .scalars()
                .all()
            )
            if stale:
                await conn.execute(
                    update(t.outbox)
                    .where(t.outbox.c.draft_id.in_(stale), t.outbox.c.status == "pending")
                    .values(status="stale")
                )
            for mid in ids:
                await self._audit(
                    conn,
                    "source_deleted" if deleted else "source_edited",
                    "platform",
                    now,
                    message_id=mid,
                    detail={"stale_drafts": list(stale)},
                )
        return list(stale)

    async def last_seen(self, platform: Platform, channel_id: str) -> str | None:
        stmt = (
            select(t.messages.c.platform_message_id)
            .where(t.messages.c.platform == str(platform), t.messages.c.channel_id == channel_id)
            .order_by(t.messages.c.sent_at.desc(), t.messages.c.id.desc())
            .limit(1)
        )
        async with self._connect() as conn:
            newest: str | None = (await conn.execute(stmt)).scalar_one_or_none()
            return newest

    # -- jobs ---------------------------------------------------------------------------

    async def _enqueue(
        self, conn: AsyncConnection, kind: str, ref_id: int, now: datetime, priority: int = 0
    ) -> None:
        await conn.execute(
            self._insert(t.jobs)
            .values(
                kind=kind,
                ref_id=ref_id,
                status="ready",
                attempts=0,
                priority=priority,
                run_after=now,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["kind", "ref_id"])
        )

    async def enqueue_drafts(self, messages: Sequence[tuple[int, bool]]) -> None:
        """Queue the drafting of decided messages, ``(message id, urgent)``, in one
        transaction; urgent ones are claimed first, the others in order."""
        if not messages:
            return
        now = utcnow()
        async with self._begin() as conn:
            for message_id, urgent in messages:
                await self._enqueue(conn, "draft", message_id, now, priority=1 if urgent else 0)

    async def claim(
        self, *, worker: str, kinds: Sequence[str], limit: int, lease: float
    ) -> list[ClaimedJob]:
        """Claim up to ``limit`` due jobs. PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so any
        number of workers share the queue; expired leases (a crashed worker) are reclaimed."""
        now = utcnow()
        token = secrets.token_hex(8)
        due = or_(
            and_(t.jobs.c.status == "ready", t.jobs.c.run_after <= now),
            and_(t.jobs.c.status == "claimed", t.jobs.c.lease_until < now),
        )
        candidates = (
            select(t.jobs.c.id)
            .where(due, t.jobs.c.kind.in_(list(kinds)))
            .order_by(t.jobs.c.priority.desc(), t.jobs.c.run_after, t.jobs.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        stmt = (
            update(t.jobs)
            .where(t.jobs.c.id.in_(candidates))
            .values(
                status="claimed",
                claimed_by=worker,
                claim_token=token,
                lease_until=now + timedelta(seconds=lease),
                attempts=t.jobs.c.attempts + 1,
            )
            .returning(
                t.jobs.c.id, t.jobs.c.kind, t.jobs.c.ref_id, t.jobs.c.attempts, t.jobs.c.created_at
            )
        )
        async with self._begin() as conn:
            rows = (await conn.execute(stmt)).all()
        return sorted(
            (
                ClaimedJob(
                    id=r.id,
                    kind=r.kind,
                    ref_id=r.ref_id,
                    attempts=r.attempts,
                    token=token,
                    created_at=r.created_at,
                )
                for r in rows
            ),
            key=lambda j: j.id,
        )

    async def finish(
        self, job: ClaimedJob, *, dead: bool = False, error: str | None = None
    ) -> bool:
        """Mark a claimed job done (or dead). False if the claim was lost meanwhile."""
        async with self._begin() as conn:
            res = await conn.execute(
                update(t.jobs)
                .where(
                    t.jobs.c.id == job.id,
                    t.jobs.c.claim_token == job.token,
                    t.jobs.c.status == "claimed",
                )
                .values(
                    status="dead" if dead else "done",
                    finished_at=utcnow(),
                    last_error=error,
                    lease_until=None,
                )
            )
        return bool(res.rowcount)

    async def retry_later(self, job: ClaimedJob, *, delay: float, error: str) -> bool:
        async with self._begin() as conn:
            res = await conn.execute(
                update(t.jobs)
                .where(
                    t.jobs.c.id == job.id,
                    t.jobs.c.claim_token == job.token,
                    t.jobs.c.status == "claimed",
                )
                .values(
                    status="ready",
                    run_after=utcnow() + timedelta(seconds=delay),
                    last_error=error[:2000],
                    lease_until=None,
                    claim_token=None,
                )
            )
        return bool(res.rowcount)

    async def due_jobs(self, kinds: Sequence[str] | None = None) -> int:
        """Jobs ready now or claimed (in progress): zero means the queue is drained."""
        now = utcnow()
        due = or_(
            and_(t.jobs.c.status == "ready", t.jobs.c.run_after <= now),
            t.jobs.c.status == "claimed",
        )
        if kinds is not None:
            due = and_(due, t.jobs.c.kind.in_(list(kinds)))
        async with self._connect() as conn:
            n = (
                await conn.execute(select(func.count()).select_from(t.jobs).where(due))
            ).scalar_one()
        return int(n)

    async def jobs(self, *, stuck_after: timedelta) -> list[JobRow]:
        """Jobs that need a look: dead ones, those failing and waiting for a retry, and those
        claimed or due for longer than ``stuck_after``."""
        now = utcnow()
        cond = or_(
            t.jobs.c.status == "dead",
            and_(t.jobs.c.status == "ready", t.jobs.c.last_error.is_not(None)),
            and_(t.jobs.c.status == "ready", t.jobs.c.run_after < now - stuck_after),
            and_(t.jobs.c.status == "claimed", t.jobs.c.lease_until < now),
            and_(t.jobs.c.status == "claimed", t.jobs.c.created_at < now - stuck_after),
        )
        async with self._connect() as conn:
            rows = (await conn.execute(select(t.jobs).where(cond).order_by(t.jobs.c.id))).all()
        return [
            JobRow(
                id=r.id,
                kind=r.kind,
                ref_id=r.ref_id,
                status=r.status,
                attempts=r.attempts,
                run_after=r.run_after,
                created_at=r.created_at,
                claimed_by=r.claimed_by,
                last_error=r.last_error,
            )
            for r in rows
        ]

    async def requeue(self, job_ids: Sequence[int] | None = None) -> int:
        """Put dead jobs (all, or those listed) back in the queue, due now, with their
        attempts reset; the reason stays until they run again."""
        cond = t.jobs.c.status == "dead"
        if job_ids is not None:
            cond = and_(cond, t.jobs.c.id.in_(list(job_ids)))
        async with self._begin() as conn:
            res = await conn.execute(
                update(t.jobs)
                .where(cond)
                .values(
                    status="ready",
                    attempts=0,
                    run_after=utcnow(),
                    created_at=utcnow(),
                    finished_at=None,
                    claim_token=None,
                )
            )
        return int(res.rowcount)

    async def claim_owners(self) -> list[str]:
        """The workers that hold claimed jobs."""
        async with self._connect() as conn:
            rows = await conn.execute(
                select(t.jobs.c.claimed_by).where(t.jobs.c.status == "claimed").distinct()
            )
            return [str(r[0]) for r in rows if r[0] is not None]

    async def release_claims(
        self, *, worker: str | None = None, worker_prefix: str | None = None
    ) -> int:
        """Return claimed jobs to the queue (all, one worker's, or those of workers whose
        name starts with a prefix): a worker died mid-job. On PostgreSQL, leases expire."""
        cond = t.jobs.c.status == "claimed"
        if worker is not None:
            cond = and_(cond, t.jobs.c.claimed_by == worker)
        if worker_prefix is not None:
            cond = and_(cond, t.jobs.c.claimed_by.startswith(worker_prefix))
        async with self._begin() as conn:
            res = await conn.execute(
                update(t.jobs)
                .where(cond)
                .values(status="ready", claim_token=None, lease_until=None)
            )
        return int(res.rowcount)

    # -- processing ---------------------------------------------------------------------

    async def message(self, message_id: int) -> StoredMessage:
        async with self._connect() as conn:
            row = (
                await conn.execute(select(t.messages).where(t.messages.c.id == message_id))
            ).one()
        return _stored_message(row)

    async def messages(self, message_ids: Sequence[int]) -> list[StoredMessage]:
        """Several messages in one read, in the order asked (missing ids are left out)."""
        async with self._connect() as conn:
            rows = (
                await conn.execute(select(t.messages).where(t.messages.c.id.in_(list(message_ids))))
            ).all()
        by_id = {r.id: _stored_message(r) for r in rows}
        return [by_id[i] for i in message_ids if i in by_id]

    async def save_classification(self, message_id: int, c: Classification) -> None:
        now = utcnow()
        async with self._begin() as conn:
            await conn.execute(
                update(t.messages)
                .where(t.messages.c.id == message_id)
                .values(
                    language=c.language,
                    intent=c.intent,
                    sentiment=str(c.sentiment),
                    toxic=c.toxic,
                    toxicity=float(c.toxicity),
                    flags=sorted(c.flags),
                    confidence=float(c.confidence),
                    classifier=c.model,
                    evidence=c.evidence or None,
                    classified_at=now,
                    stage="classified",
                )
            )
            await self._audit(
                conn,
                "classified",
                "classifier:" + c.model,
                now,
                message_id=message_id,
                detail=c.as_json(),
            )

    async def save_decision(self, message_id: int, d: Decision) -> None:
        now = utcnow()
        rules = [{"rule": r.rule, "reason": r.reason} for r in d.matched_rules]
        async with self._begin() as conn:
            await conn.execute(
                update(t.messages)
                .where(t.messages.c.id == message_id)
                .values(
                    action=str(d.action),
                    group=d.group,
                    strategy=d.strategy,
                    policy_version=d.policy_version,
                    matched_rules=rules,
                    urgent=d.urgent,
                    decided_at=now,
                    stage="decided",
                )
            )
            await self._audit(
                conn,
                "decided",
                "policy",
                now,
                message_id=message_id,
                policy_version=d.policy_version,
                detail={
                    "action": str(d.action),
                    "group": d.group,
                    "rules": rules,
                    "auto_send": d.auto_send,
                    "urgent": d.urgent,
                    "ticket": d.ticket,
                },
            )

    async def add_draft(
        self,
        *,
        message_id: int,
        text: str | None,
        group: str,
        model: str,
        notes: Sequence[str] = (),
        seconds: float | None = None,
        version: int = 1,
    ) -> Draft:
        """Insert a draft version; if that version exists (a retried job), return it."""
        now = utcnow()
        stmt = (
            self._insert(t.drafts)
            .values(
                message_id=message_id,
                version=version,
                text=text,
                status=DraftStatus.PENDING,
                group=group,
                model=model,
                notes=list(notes),
                seconds=seconds,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["message_id", "version"])
            .returning(t.drafts.c.id)
        )
        async with self._begin() as conn:
            new_id = (await conn.execute(stmt)).scalar_one_or_none()
            if new_id is not None:
                await self._audit(
                    conn,
                    "drafted",
                    "drafter:" + model,
                    now,
                    message_id=message_id,
                    draft_id=new_id,
                    detail={
                        "text": text,
                        "version": version,
                        "notes": list(notes),
                        "seconds": seconds,
                    },
                )
            row = (
                await conn.execute(
                    select(t.drafts).where(
                        t.drafts.c.message_id == message_id, t.drafts.c.version == version
                    )
                )
            ).one()
        return _draft(row)

    async def drafts_of(self, message_id: int) -> list[Draft]:
        async with self._connect() as conn:
            rows = (
                await conn.execute(
                    select(t.drafts)
                    .where(t.drafts.c.message_id == message_id)
                    .order_by(t.drafts.c.version)
                )
            ).all()
        return [_draft(r) for r in rows]

    async def draft(self, draft_id: int) -> Draft:
        async with self._connect() as conn:
            row = (await conn.execute(select(t.drafts).where(t.drafts.c.id == draft_id))).one()
        return _draft(row)

    async def context_for(self, message_id: int, *, limit: int = 6) -> tuple[ContextMessage, ...]:
        """Earlier messages of the same thread or reply chain, the brand's posted replies
        there, and the author's recent messages: what the drafter needs for "still broken"."""
        async with self._connect() as conn:
            m = (await conn.execute(select(t.messages).where(t.messages.c.id == message_id))).one()
            related = [t.messages.c.thread_id == (m.thread_id or m.platform_message_id)]
            if m.thread_id:
                related.append(t.messages.c.platform_message_id == m.thread_id)
            if m.reply_to_message_id:
                related.append(t.messages.c.platform_message_id == m.reply_to_message_id)
            same_thread = and_(
                t.messages.c.platform == m.platform,
                t.messages.c.channel_id == m.channel_id,
                or_(*related),
            )
            by_author = and_(
                t.messages.c.platform == m.platform, t.messages.c.author_id == m.author_id
            )
            rows = (
                await conn.execute(
                    select(
                        t.messages.c.id,
                        t.messages.c.author_name,
                        t.messages.c.text,
                        t.messages.c.sent_at,
                    )
                    .where(
                        or_(same_thread, by_author),
                        t.messages.c.id != m.id,
                        t.messages.c.sent_at <= m.sent_at,
                    )
                    .order_by(t.messages.c.sent_at.desc(), t.messages.c.id.desc())
                    .limit(limit)
                )
            ).all()
            ids = [r.id for r in rows]
            replies = (
                await conn.execute(
                    select(t.drafts.c.message_id, t.outbox.c.text, t.outbox.c.sent_at)
                    .join(t.outbox, t.outbox.c.draft_id == t.drafts.c.id)
                    .where(t.drafts.c.message_id.in_(ids), t.outbox.c.status == "sent")
                )
            ).all()
        items: list[tuple[datetime, ContextMessage]] = [
            (r.sent_at, ContextMessage(author=r.author_name, text=r.text, from_brand=False))
            for r in rows
        ]
        items += [
            (r.sent_at, ContextMessage(author="brand", text=r.text, from_brand=True))
            for r in replies
            if r.sent_at is not None
        ]
        items.sort(key=lambda it: it[0])
        return tuple(c for _, c in items)

    # -- bursts ---------------------------------------------------------------------------

    async def burst_leader(self, stored: StoredMessage, *, since: datetime) -> int | None:
        """The first message of this author's burst in this conversation that still waits
        for its draft (its draft job not yet started), received since ``since``; None when
        there is none. Messages of the same batch are joined by the caller."""
        m = stored.message
        ref = m.conversation
        waiting = (
            select(t.jobs.c.id)
            .where(
                t.jobs.c.kind == "draft",
                t.jobs.c.ref_id == t.messages.c.id,
                t.jobs.c.status == "ready",
                t.jobs.c.attempts == 0,
            )
            .exists()
        )
        thread = (
            t.messages.c.thread_id.is_(None)
            if ref.thread_id is None
            else t.messages.c.thread_id == ref.thread_id
        )
        stmt = (
            select(t.messages.c.id)
            .where(
                t.messages.c.platform == str(m.platform),
                t.messages.c.channel_id == ref.channel_id,
                thread,
                t.messages.c.author_id == m.author.id,
                t.messages.c.id < stored.id,
                t.messages.c.received_at >= since,
                t.messages.c.joined_to.is_(None),
                waiting,
            )
            .order_by(t.messages.c.id)
            .limit(1)
        )
        async with self._connect() as conn:
            leader: int | None = (await conn.execute(stmt)).scalar_one_or_none()
        return leader

    async def join_burst(self, message_id: int, leader_id: int, *, queued: bool) -> bool:
        """Join a message to its burst's first message. ``queued``: the leader's draft job
        exists and must still be waiting (not started) for the join to hold, checked in the
        same statement, so a draft that has begun is never said to answer a message it never
        read. False: the message keeps a card of its own."""
        cond = [t.messages.c.id == message_id, t.messages.c.joined_to.is_(None)]
        if queued:
            cond.append(
                select(t.jobs.c.id)
                .where(
                    t.jobs.c.kind == "draft",
                    t.jobs.c.ref_id == leader_id,
                    t.jobs.c.status == "ready",
                    t.jobs.c.attempts == 0,
                )
                .exists()
            )
        now = utcnow()
        async with self._begin() as conn:
            res = await conn.execute(update(t.messages).where(*cond).values(joined_to=leader_id))
            if not res.rowcount:
                return False
            await self._audit(
                conn,
                "joined",
                "policy",
                now,
                message_id=message_id,
                detail={"burst_of": leader_id},
            )
        return True

    async def burst_of(self, leader_id: int) -> list[StoredMessage]:
        """The later messages of a burst, in order (empty for a message alone)."""
        async with self._connect() as conn:
            rows = (
                await conn.execute(
                    select(t.messages)
                    .where(t.messages.c.joined_to == leader_id)
                    .order_by(t.messages.c.id)
                )
            ).all()
        return [_stored_message(r) for r in rows]

    async def auto_sends_since(self, channel_id: str, since: datetime) -> int:
        async with self._connect() as conn:
            n = (
                await conn.execute(
                    select(func.count())
                    .select_from(
                        t.approvals.join(t.drafts, t.drafts.c.id == t.approvals.c.draft_id).join(
                            t.messages, t.messages.c.id == t.drafts.c.message_id
                        )
                    )
                    .where(
                        t.approvals.c.actor == AUTOSEND_ACTOR,
                        t.approvals.c.at >= since,
                        t.messages.c.channel_id == channel_id,
                    )
                )
            ).scalar_one()
        return int(n)

    # -- approval -----------------------------------------------------------------------

    async def decide_draft(self, decision: ApprovalDecision) -> ApprovalOutcome:
        """Apply a human (or autosend) decision once: compare-and-set from ``pending``.

        A second click, a second moderator or a retried request gets ``applied=False`` and
        posts nothing.
        """
        verdict = decision.verdict
        new_status = {
            Verdict.APPROVE: DraftStatus.APPROVED,
            Verdict.EDIT: DraftStatus.APPROVED,
            Verdict.TAKE_OVER: DraftStatus.APPROVED,
            Verdict.REJECT: DraftStatus.REJECTED,
            Verdict.ESCALATE: DraftStatus.ESCALATED,
        }[verdict]
        needs_text = verdict in (Verdict.EDIT, Verdict.TAKE_OVER)
        if needs_text and not (decision.edited_text or "").strip():
            raise TactlineError(f"{verdict} needs the reply text")
        if verdict == Verdict.ESCALATE and not decision.target_group:
            raise TactlineError("escalate needs a target group")
        now = decision.at
        async with self._begin() as conn:
            res = await conn.execute(
                update(t.drafts)
                .where(t.drafts.c.id == decision.draft_id, t.drafts.c.status == DraftStatus.PENDING)
                .values(status=new_status, decided_at=now)
                .returning(
                    t.drafts.c.message_id, t.drafts.c.text, t.drafts.c.version, t.drafts.c.model
                )
            )
            row = res.one_or_none()
            if row is None:
                current = (
                    await conn.execute(
                        select(t.drafts.c.status).where(t.drafts.c.id == decision.draft_id)
                    )
                ).scalar_one_or_none()
                if current is None:
                    raise TactlineError(f"no draft with id {decision.draft_id}")
                return ApprovalOutcome(
                    applied=False,
                    status=DraftStatus(current),
                    reason=f"already {current}",
                )
            await conn.execute(
                t.approvals.insert().values(
                    draft_id=decision.draft_id,
                    actor=decision.actor,
                    at=now,
                    verdict=str(verdict),
                    edited_text=decision.edited_text,
                    reason=decision.reason,
                    target_group=decision.target_group,
                )
            )
            await self._audit(
                conn,
                str(verdict),
                decision.actor,
                now,
                message_id=row.message_id,
                draft_id=decision.draft_id,
                detail={
                    "edited_text": decision.edited_text,
                    "reason": decision.reason,
                    "target_group": decision.target_group,
                },
            )
            outbox_id = new_draft_id = None
            if new_status == DraftStatus.APPROVED:
                text = decision.edited_text if verdict != Verdict.APPROVE else row.text
                if not (text or "").strip():
                    raise TactlineError("this draft has no text: edit or take over instead")
                outbox_id = await self._add_outbox(
                    conn, decision.draft_id, row.message_id, str(text), now
                )
            elif new_status == DraftStatus.ESCALATED:
                new_draft_id = (
                    await conn.execute(
                        t.drafts.insert()
                        .values(
                            message_id=row.message_id,
                            version=row.version + 1,
                            text=row.text,
                            status=DraftStatus.PENDING,
                            group=decision.target_group,
                            model=row.model,
                            notes=[f"escalated by {decision.actor}"],
                            created_at=now,
                        )
                        .returning(t.drafts.c.id)
                    )
                ).scalar_one()
        return ApprovalOutcome(
            applied=True, status=new_status, outbox_id=outbox_id, new_draft_id=new_draft_id
        )

    async def _add_outbox(
        self, conn: AsyncConnection, draft_id: int, message_id: int, text: str, now: datetime
    ) -> int:
        m = (await conn.execute(select(t.messages).where(t.messages.c.id == message_id))).one()
        ref = ConversationRef(
            platform=Platform(m.platform),
            channel_id=m.channel_id,
            thread_id=m.thread_id,
            reply_to_message_id=m.platform_message_id,
            channel_name=m.channel_name,
        )
        outbox_id = (
            await conn.execute(
                t.outbox.insert()
                .values(
                    draft_id=draft_id,
                    idempotency_key=f"tl-{draft_id}-{secrets.token_hex(4)}",
                    platform=m.platform,
                    conversation=_conversation_json(ref),
                    text=text,
                    status="pending",
                    attempts=0,
                    created_at=now,
                )
                .returning(t.outbox.c.id)
            )
        ).scalar_one()
        await self._enqueue(conn, "deliver", outbox_id, now)
        return int(outbox_id)

    async def pending_drafts(self, *, limit: int = 100) -> list[PendingDraft]:
        async with self._connect() as conn:
            rows = (
                await conn.execute(
                    select(t.drafts, t.messages)
                    .join(t.messages, t.messages.c.id == t.drafts.c.message_id)
                    .where(t.drafts.c.status == DraftStatus.PENDING)
                    .order_by(t.drafts.c.id)
                    .limit(limit)
                )
            ).all()
        out = []
        for r in rows:
            m = r._mapping
            draft = Draft(
                id=m[t.drafts.c.id],
                message_id=m[t.drafts.c.message_id],
                version=m[t.drafts.c.version],
                text=m[t.drafts.c.text],
                status=DraftStatus(m[t.drafts.c.status]),
                created_at=m[t.drafts.c.created_at],
                model=m[t.drafts.c.model],
            )
            stored = _stored_message_from_mapping({c.name: m[c] for c in t.messages.c})
            out.append(
                PendingDraft(
                    draft=draft,
                    group=m[t.drafts.c.group],
                    notes=tuple(m[t.drafts.c.notes] or ()),
                    stored=stored,
                )
            )
        return out

    # -- delivery -----------------------------------------------------------------------

    async def outbox_item(self, outbox_id: int) -> OutboxItem:
        async with self._connect() as conn:
            r = (
                await conn.execute(
                    select(
                        t.outbox,
                        t.drafts.c.message_id,
                        t.messages.c.edited_at,
                        t.messages.c.deleted_at,
                    )
                    .join(t.drafts, t.drafts.c.id == t.outbox.c.draft_id)
                    .join(t.messages, t.messages.c.id == t.drafts.c.message_id)
                    .where(t.outbox.c.id == outbox_id)
                )
            ).one()
        return OutboxItem(
            id=r.id,
            draft_id=r.draft_id,
            message_id=r.message_id,
            reply=OutboundReply(
                conversation=_conversation_from(r.conversation),
                text=r.text,
                idempotency_key=r.idempotency_key,
            ),
            status=r.status,
            attempts=r.attempts,
            source_edited=r.edited_at is not None,
            source_deleted=r.deleted_at is not None,
            created_at=r.created_at,
        )

    async def mark_sending(self, outbox_id: int) -> bool:
        """pending|sending -> sending (attempts + 1), committed *before* the platform call, so
        a crash during the call leaves ``sending``: an unknown outcome to reconcile."""
        async with self._begin() as conn:
            res = await conn.execute(
                update(t.outbox)
                .where(t.outbox.c.id == outbox_id, t.outbox.c.status.in_(["pending", "sending"]))
                .values(status="sending", attempts=t.outbox.c.attempts + 1)
            )
        return bool(res.rowcount)

    async def mark_sent(
        self, outbox_id: int, receipt: DeliveryReceipt, *, reconciled: bool = False
    ) -> bool:
        now = utcnow()
        async with self._begin() as conn:
            res = await conn.execute(
                update(t.outbox)
                .where(t.outbox.c.id == outbox_id, t.outbox.c.status == "sending")
                .values(
                    status="sent",
                    sent_at=receipt.sent_at,
                    receipt={
                        "platform_message_ids": list(receipt.platform_message_ids),
                        "permalink": receipt.permalink,
                    },
                    last_error=None,
                )
                .returning(t.outbox.c.draft_id)
            )
            draft_id = res.scalar_one_or_none()
            if draft_id is None:
                return False
            mid = (
                await conn.execute(
                    update(t.drafts)
                    .where(t.drafts.c.id == draft_id)
                    .values(status=DraftStatus.POSTED)
                    .returning(t.drafts.c.message_id)
                )
            ).scalar_one()
            await self._audit(
                conn,
                "posted",
                "adapter:" + str(receipt.platform),
                now,
                message_id=mid,
                draft_id=draft_id,
                detail={
                    "platform_message_ids": list(receipt.platform_message_ids),
                    "permalink": receipt.permalink,
                    "reconciled": reconciled,
                },
            )
        return True

    async def mark_outbox(self, outbox_id: int, *, status: str, error: str) -> None:
        """Final states other than sent: ``failed`` (admins told) or ``stale``."""
        now = utcnow()
        async with self._begin() as conn:
            draft_id = (
                await conn.execute(
                    update(t.outbox)
                    .where(t.outbox.c.id == outbox_id)
                    .values(status=status, last_error=error[:2000])
                    .returning(t.outbox.c.draft_id)
                )
            ).scalar_one()
            draft_status = DraftStatus.STALE if status == "stale" else DraftStatus.FAILED
            mid = (
                await conn.execute(
                    update(t.drafts)
                    .where(t.drafts.c.id == draft_id)
                    .values(status=draft_status)
                    .returning(t.drafts.c.message_id)
                )
            ).scalar_one()
            await self._audit(
                conn,
                "delivery_" + status,
                "worker",
                now,
                message_id=mid,
                draft_id=draft_id,
                detail={"error": error[:2000]},
            )

    async def reset_to_pending(self, outbox_id: int) -> None:
        """The platform refused the send (it did not happen): a plain retry is safe."""
        async with self._begin() as conn:
            await conn.execute(
                update(t.outbox)
                .where(t.outbox.c.id == outbox_id, t.outbox.c.status == "sending")
                .values(status="pending")
            )

    async def note_delivery_error(self, outbox_id: int, error: str) -> None:
        async with self._begin() as conn:
            await conn.execute(
                update(t.outbox).where(t.outbox.c.id == outbox_id).values(last_error=error[:2000])
            )

    # -- reading --------------------------------------------------------------------------

    async def messages_since(self, since: datetime) -> list[StoredMessage]:
        async with self._connect() as conn:
            rows = (
                await conn.execute(
                    select(t.messages)
                    .where(t.messages.c.received_at >= since)
                    .order_by(t.messages.c.id)
                )
            ).all()
        return [_stored_message(r) for r in rows]

    async def status_counts(self) -> dict[str, dict[str, int]]:
        """Backlog per state: jobs by kind/status, drafts and outbox by status."""
        out: dict[str, dict[str, int]] = {}
        async with self._connect() as conn:
            for name, cols in (
                ("messages", (t.messages.c.stage,)),
                ("jobs", (t.jobs.c.kind, t.jobs.c.status)),
                ("drafts", (t.drafts.c.status,)),
                ("outbox", (t.outbox.c.status,)),
            ):
                rows = (await conn.execute(select(*cols, func.count()).group_by(*cols))).all()
                out[name] = {"/".join(str(v) for v in r[:-1]): int(r[-1]) for r in rows}
        return out

    async def outbox_backlog(self) -> dict[str, int]:
        """Replies approved but not yet confirmed posted, per platform."""
        async with self._connect() as conn:
            rows = (
                await conn.execute(
                    select(t.outbox.c.platform, func.count())
                    .where(t.outbox.c.status.in_(("pending", "sending")))
                    .group_by(t.outbox.c.platform)
                )
            ).all()
        return {str(r[0]): int(r[1]) for r in rows}

    async def audit_trail(self, message_id: int) -> list[dict[str, Any]]:
        async with self._connect() as conn:
            rows = (
                await conn.execute(
                    select(t.audit).where(t.audit.c.message_id == message_id).order_by(t.audit.c.id)
                )
            ).all()
        return [dict(r._mapping) for r in rows]

    async def save_health(
        self,
        *,
        name: str,
        worker: str,
        connected: bool,
        last_event_at: datetime | None,
        last_error: str | None,
    ) -> None:
        now = utcnow()
        values = {
            "worker": worker,
            "connected": connected,
            "last_event_at": last_event_at,
            "last_error": last_error,
            "updated_at": now,
        }
        async with self._begin() as conn:
            await conn.execute(
                self._insert(t.adapter_health)
                .values(name=name, **values)
                .on_conflict_do_update(index_elements=["name"], set_=values)
            )

    async def health_rows(self) -> list[dict[str, Any]]:
        async with self._connect() as conn:
            rows = (
                await conn.execute(select(t.adapter_health).order_by(t.adapter_health.c.name))
            ).all()
        return [dict(r._mapping) for r in rows]

    async def add_dead_letter(
        self, *, platform: Platform, ref: str, payload: dict[str, Any], reason: str, tries: int
    ) -> bool:
        """Set aside a platform update that could not be stored; False if it already was."""
        async with self._begin() as conn:
            result = await conn.execute(
                self._insert(t.dead_letters)
                .values(
                    platform=platform.value,
                    ref=clean_text(ref)[:MAX_ID_CHARS],
                    payload=_json_safe(payload),
                    reason=clean_text(reason)[:2000],
                    tries=tries,
                    at=utcnow(),
                )
                .on_conflict_do_nothing(index_elements=["platform", "ref"])
            )
        return bool(result.rowcount)

    async def dead_letters(self) -> list[dict[str, Any]]:
        """Every update set aside, oldest first."""
        async with self._connect() as conn:
            rows = (await conn.execute(select(t.dead_letters).order_by(t.dead_letters.c.id))).all()
        return [dict(r._mapping) for r in rows]

    # -- helpers --------------------------------------------------------------------------

    def _begin(self) -> Any:
        return _Guarded(self.engine.begin())

    def _connect(self) -> Any:
        return _Guarded(self.engine.connect())

    # For sibling modules with their own queries (approval cards, alerts, reports): a
    # transaction, or a plain connection for reads; connection failures become StoreError.
    begin = _begin
    connect = _connect

    async def _audit(
        self,
        conn: AsyncConnection,
        event_name: str,
        actor: str,
        at: datetime,
        *,
        message_id: int | None = None,
        draft_id: int | None = None,
        policy_version: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        await conn.execute(
            t.audit.insert().values(
                at=at,
                message_id=message_id,
                draft_id=draft_id,
                event=event_name,
                actor=actor,
                policy_version=policy_version,
                detail=detail or {},
            )
        )


AUTOSEND_ACTOR = "policy:autosend"


class _Guarded:
    """A connection context whose connection failures become a clear StoreError."""

    def __init__(self, cm: Any) -> None:
        self._cm = cm

    async def __aenter__(self) -> AsyncConnection:
        try:
            conn: AsyncConnection = await self._cm.__aenter__()
            return conn
        except (DBAPIError, OSError) as exc:
            raise StoreError(f"database unavailable: {exc.__class__.__name__}: {exc}") from exc

    async def __aexit__(self, *exc: Any) -> bool | None:
        suppress: bool | None = await self._cm.__aexit__(*exc)
        return suppress


def _draft(row: Any) -> Draft:
    return Draft(
        id=row.id,
        message_id=row.message_id,
        version=row.version,
        text=row.text,
        status=DraftStatus(row.status),
        created_at=row.created_at,
        model=row.model,
    )


def _stored_message(row: Any) -> StoredMessage:
    return _stored_message_from_mapping(dict(row._mapping))


def _stored_message_from_mapping(m: dict[str, Any]) -> StoredMessage:
    platform = Platform(m["platform"])
    message = InboundMessage(
        platform=platform,
        platform_message_id=m["platform_message_id"],
        conversation=ConversationRef(
            platform=platform,
            channel_id=m["channel_id"],
            thread_id=m["thread_id"],
            reply_to_message_id=m["reply_to_message_id"],
            channel_name=m["channel_name"],
        ),
        author=Author(
            id=m["author_id"],
            name=m["author_name"],
            is_bot=m["author_is_bot"],
            joined_at=m["author_joined_at"],
        ),
        text=m["text"],
        sent_at=m["sent_at"],
        raw=m["raw"] or {},
    )
    classification = None
    if m["intent"] is not None:
        classification = Classification(
            language=m["language"],
            intent=m["intent"],
            sentiment=Sentiment(m["sentiment"]),
            toxic=bool(m["toxic"]),
            toxicity=float(m["toxicity"]),
            flags=frozenset(m["flags"] or ()),
            confidence=float(m["confidence"]),
            model=m["classifier"] or "",
            evidence=m["evidence"] or "",
        )
    return StoredMessage(
        id=m["id"],
        message=message,
        classification=classification,
        action=m["action"],
        group=m["group"],
        policy_version=m["policy_version"],
        matched_rules=tuple(m["matched_rules"] or ()),
        received_at=m["received_at"],
        edited=m["edited_at"] is not None,
        deleted=m["deleted_at"] is not None,
        urgent=bool(m["urgent"]),
        strategy=m["strategy"],
        joined_to=m["joined_to"],
    )


# The longest platform id the store keeps (schema: String(128)); real ids are far shorter.
MAX_ID_CHARS = 128


def _check_ids(message: InboundMessage) -> None:
    ref = message.conversation
    for what, value in (
        ("message id", message.platform_message_id),
        ("channel id", ref.channel_id),
        ("thread id", ref.thread_id),
        ("reply-to id", ref.reply_to_message_id),
        ("author id", message.author.id),
    ):
        if value is not None and len(value) > MAX_ID_CHARS:
            raise StoreError(
                f"{message.platform} {what} is {len(value)} characters long (at most "
                f"{MAX_ID_CHARS} are kept): not a real platform id, the update is malformed"
            )


def _create_private(database: str | None) -> None:
    """Create a new SQLite file readable by its owner only (0600): it holds every message.
    SQLite gives its -wal and -shm files the same mode. An existing file is left as it is."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    with contextlib.suppress(FileExistsError, FileNotFoundError):  # no folder: SQLite says so
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


async def open_store(url: str, *, upgrade: bool = False) -> Store:
    """Open the database at ``url``; with ``upgrade`` run the migrations first."""
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs.update(pool_pre_ping=True, pool_size=5, max_overflow=5)
    try:
        engine = create_async_engine(url, **kwargs)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        shown = safe_url(url)
        raise StoreError(f"bad database url {shown!r}: {redact(str(exc), [url])}") from exc
    if engine.dialect.name == "sqlite":
        _create_private(engine.url.database)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    store = Store(engine=engine)
    if upgrade:
        await store.upgrade()
    return store


__all__ = [
    "AUTOSEND_ACTOR",
    "ApprovalOutcome",
    "ClaimedJob",
    "OutboxItem",
    "PendingDraft",
    "Store",
    "StoreError",
    "StoredMessage",
    "open_store",
    "utcnow",
]
