"""The job queue: what is due, who holds it, and how a claim ends (done, dead or later).

Jobs are claimed by compare-and-set with a claim token; PostgreSQL claims with
``FOR UPDATE SKIP LOCKED`` so any number of workers share the queue, and an expired lease
(a crashed worker) is claimed again.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Exists, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store import schema as t
from bot.store.database import Database, insert
from bot.store.values import MAX_ERROR_CHARS, utcnow


class JobKind(enum.StrEnum):
    PROCESS = "process"  # classify, route, card
    DRAFT = "draft"  # a message's draft
    DELIVER = "deliver"  # an outbox row


class JobStatus(enum.StrEnum):
    READY = "ready"
    CLAIMED = "claimed"
    DONE = "done"
    DEAD = "dead"


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
class Claim:
    """What a worker asks for: up to ``limit`` due jobs of these kinds, leased ``lease`` s."""

    worker: str
    kinds: Sequence[str]
    limit: int
    lease: float


job = t.jobs.c


async def enqueue(
    conn: AsyncConnection, kind: JobKind, ref_id: int, now: datetime, priority: int = 0
) -> None:
    """Queue a job in the caller's unit of work; a job already queued is left as it is."""
    await conn.execute(
        insert(conn, t.jobs)
        .values(
            kind=kind,
            ref_id=ref_id,
            status=JobStatus.READY,
            attempts=0,
            priority=priority,
            run_after=now,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["kind", "ref_id"])
    )


async def enqueue_drafts(db: Database, messages: Sequence[tuple[int, bool]]) -> None:
    """Queue the drafting of decided messages, ``(message id, urgent)``, in one unit of
    work; urgent ones are claimed first, the others in order."""
    if not messages:
        return
    now = utcnow()
    async with db.transaction() as conn:
        for message_id, urgent in messages:
            await enqueue(conn, JobKind.DRAFT, message_id, now, priority=1 if urgent else 0)


def draft_not_started(message_id: ColumnElement[int] | int) -> Exists:
    """The message's draft job is queued and has never been claimed."""
    return (
        select(job.id)
        .where(
            job.kind == JobKind.DRAFT,
            job.ref_id == message_id,
            job.status == JobStatus.READY,
            job.attempts == 0,
        )
        .exists()
    )


async def claim(db: Database, ask: Claim) -> list[ClaimedJob]:
    """Claim up to ``ask.limit`` due jobs, ordered by priority then due time."""
    now = utcnow()
    token = secrets.token_hex(8)
    due = or_(
        and_(job.status == JobStatus.READY, job.run_after <= now),
        and_(job.status == JobStatus.CLAIMED, job.lease_until < now),
    )
    candidates = (
        select(job.id)
        .where(due, job.kind.in_(list(ask.kinds)))
        .order_by(job.priority.desc(), job.run_after, job.id)
        .limit(ask.limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    stmt = (
        update(t.jobs)
        .where(job.id.in_(candidates))
        .values(
            status=JobStatus.CLAIMED,
            claimed_by=ask.worker,
            claim_token=token,
            lease_until=now + timedelta(seconds=ask.lease),
            attempts=job.attempts + 1,
        )
        .returning(job.id, job.kind, job.ref_id, job.attempts, job.created_at)
    )
    async with db.transaction() as conn:
        rows = (await conn.execute(stmt)).all()
    claimed = (
        ClaimedJob(
            id=r.id,
            kind=r.kind,
            ref_id=r.ref_id,
            attempts=r.attempts,
            token=token,
            created_at=r.created_at,
        )
        for r in rows
    )
    return sorted(claimed, key=lambda j: j.id)


def _held(claimed: ClaimedJob) -> ColumnElement[bool]:
    """The job is still claimed with this claim's token (the claim was not lost)."""
    return and_(
        job.id == claimed.id,
        job.claim_token == claimed.token,
        job.status == JobStatus.CLAIMED,
    )


async def finish(
    db: Database, claimed: ClaimedJob, *, dead: bool = False, error: str | None = None
) -> bool:
    """Mark a claimed job done (or dead). False if the claim was lost meanwhile."""
    async with db.transaction() as conn:
        res = await conn.execute(
            update(t.jobs)
            .where(_held(claimed))
            .values(
                status=JobStatus.DEAD if dead else JobStatus.DONE,
                finished_at=utcnow(),
                last_error=error,
                lease_until=None,
            )
        )
    return bool(res.rowcount)


async def retry_later(db: Database, claimed: ClaimedJob, *, delay: float, error: str) -> bool:
    """Give a claimed job back to the queue, due in ``delay`` s. False if the claim was lost."""
    async with db.transaction() as conn:
        res = await conn.execute(
            update(t.jobs)
            .where(_held(claimed))
            .values(
                status=JobStatus.READY,
                run_after=utcnow() + timedelta(seconds=delay),
                last_error=error[:MAX_ERROR_CHARS],
                lease_until=None,
                claim_token=None,
            )
        )
    return bool(res.rowcount)


async def due_jobs(db: Database, kinds: Sequence[str] | None = None) -> int:
    """Jobs ready now or claimed (in progress): zero means the queue is drained."""
    now = utcnow()
    due = or_(
        and_(job.status == JobStatus.READY, job.run_after <= now),
        job.status == JobStatus.CLAIMED,
    )
    if kinds is not None:
        due = and_(due, job.kind.in_(list(kinds)))
    async with db.read() as conn:
        n = (await conn.execute(select(func.count()).select_from(t.jobs).where(due))).scalar_one()
    return int(n)


async def needing_a_look(db: Database, *, stuck_after: timedelta) -> list[JobRow]:
    """Dead jobs, those failing and waiting for a retry, and those claimed or due for longer
    than ``stuck_after``."""
    now = utcnow()
    ready, claimed = job.status == JobStatus.READY, job.status == JobStatus.CLAIMED
    cond = or_(
        job.status == JobStatus.DEAD,
        and_(ready, job.last_error.is_not(None)),
        and_(ready, job.run_after < now - stuck_after),
        and_(claimed, job.lease_until < now),
        and_(claimed, job.created_at < now - stuck_after),
    )
    async with db.read() as conn:
        rows = (await conn.execute(select(t.jobs).where(cond).order_by(job.id))).all()
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


async def requeue(db: Database, job_ids: Sequence[int] | None = None) -> int:
    """Put dead jobs (all, or those listed) back in the queue, due now, with their
    attempts reset; the reason stays until they run again."""
    cond = job.status == JobStatus.DEAD
    if job_ids is not None:
        cond = and_(cond, job.id.in_(list(job_ids)))
    async with db.transaction() as conn:
        res = await conn.execute(
            update(t.jobs)
            .where(cond)
            .values(
                status=JobStatus.READY,
                attempts=0,
                run_after=utcnow(),
                created_at=utcnow(),
                finished_at=None,
                claim_token=None,
            )
        )
    return int(res.rowcount)


async def claim_owners(db: Database) -> list[str]:
    """The workers that hold claimed jobs."""
    async with db.read() as conn:
        rows = await conn.execute(
            select(job.claimed_by).where(job.status == JobStatus.CLAIMED).distinct()
        )
        return [str(r[0]) for r in rows if r[0] is not None]


async def release_claims(
    db: Database, *, worker: str | None = None, worker_prefix: str | None = None
) -> int:
    """Return claimed jobs to the queue (all, one worker's, or those of workers whose
    name starts with a prefix): a worker died mid-job. On PostgreSQL, leases expire."""
    cond = job.status == JobStatus.CLAIMED
    if worker is not None:
        cond = and_(cond, job.claimed_by == worker)
    if worker_prefix is not None:
        cond = and_(cond, job.claimed_by.startswith(worker_prefix))
    async with db.transaction() as conn:
        res = await conn.execute(
            update(t.jobs)
            .where(cond)
            .values(status=JobStatus.READY, claim_token=None, lease_until=None)
        )
    return int(res.rowcount)
