"""The store: every state change of a message's life, by compare-and-set where it matters.

``Store`` is the facade the rest of Tactline uses: one per process, every method a coroutine
in its own short unit of work, so a crash between two calls loses nothing that was returned
as done. The work is done by one module per aggregate (messages, jobs, drafts, approvals,
outbox, audit, health, reporting) on the :class:`~bot.store.database.Database`; this class
only delegates to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Any, NotRequired, TypedDict, Unpack

from sqlalchemy.exc import NoResultFound
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.domain import (
    ApprovalDecision,
    Classification,
    ContextMessage,
    Decision,
    DeliveryReceipt,
    Draft,
    InboundMessage,
    Platform,
)
from bot.store import (
    approvals,
    audit,
    drafts,
    health,
    jobs,
    messages,
    outbox,
    outcomes,
    reporting,
)
from bot.store.approvals import AUTOSEND_ACTOR, ApprovalOutcome, PendingDraft
from bot.store.database import Database, NotFound, StoreError, open_database
from bot.store.jobs import ClaimedJob, JobRow
from bot.store.messages import StoredMessage
from bot.store.outbox import OutboxItem
from bot.store.outcomes import NewAudience, NewReaction
from bot.store.values import MAX_ID_CHARS, clean_text, utcnow


class DraftFields(TypedDict):
    """``Store.add_draft``'s keywords: a :class:`~bot.store.drafts.NewDraft`."""

    message_id: int
    text: str | None
    group: str
    model: str
    notes: NotRequired[Sequence[str]]
    seconds: NotRequired[float | None]
    version: NotRequired[int]


class Store:
    def __init__(self, *, engine: AsyncEngine) -> None:
        self.db = Database(engine)
        self.engine = engine
        self.dialect = self.db.dialect

    @property
    def is_sqlite(self) -> bool:
        return self.db.is_sqlite

    async def aclose(self) -> None:
        await self.db.dispose()

    def begin(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A unit of work (see :meth:`Database.transaction`), for tests and tools."""
        return self.db.transaction()

    def connect(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A connection for reads (see :meth:`Database.read`), for tests and tools."""
        return self.db.read()

    # -- schema -------------------------------------------------------------------------

    async def upgrade(self) -> None:
        """Run the Alembic migrations up to head."""
        from bot.migrations import upgrade_connection

        async with self.db.transaction() as conn:
            await conn.run_sync(upgrade_connection)

    async def current_revision(self) -> str | None:
        from bot.migrations import current_revision

        async with self.db.read() as conn:
            revision: str | None = await conn.run_sync(current_revision)
            return revision

    # -- messages -----------------------------------------------------------------------

    async def accept(self, message: InboundMessage) -> int | None:
        """Store a new message and queue it. Returns its id, or None if already stored.
        Raises :class:`StoreError` for ids longer than the store keeps (a malformed payload):
        the same on SQLite and PostgreSQL, so the adapter sets the update aside, whole."""
        return await messages.accept(self.db, message)

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
        change = messages.SourceChange(
            platform, platform_message_id, deleted, new_text=new_text, channel_id=channel_id
        )
        return await messages.source_changed(self.db, change)

    async def last_seen(self, platform: Platform, channel_id: str) -> str | None:
        return await messages.last_seen(self.db, platform, channel_id)

    async def message(self, message_id: int) -> StoredMessage:
        return await messages.one(self.db, message_id)

    async def messages(self, message_ids: Sequence[int]) -> list[StoredMessage]:
        """Several messages in one read, in the order asked (missing ids are left out)."""
        return await messages.several(self.db, message_ids)

    async def messages_since(self, since: datetime) -> list[StoredMessage]:
        return await messages.since(self.db, since)

    async def save_classification(self, message_id: int, c: Classification) -> None:
        await messages.save_classification(self.db, message_id, c)

    async def save_decision(self, message_id: int, d: Decision) -> None:
        await messages.save_decision(self.db, message_id, d)

    async def context_for(self, message_id: int, *, limit: int = 6) -> tuple[ContextMessage, ...]:
        """Earlier messages of the same thread or reply chain, the brand's posted replies
        there, and the author's recent messages: what the drafter needs for "still broken"."""
        return await messages.context_for(self.db, message_id, limit=limit)

    async def burst_leader(self, stored: StoredMessage, *, since: datetime) -> int | None:
        """The first message of this author's burst in this conversation that still waits
        for its draft; None when there is none (see :func:`messages.burst_leader`)."""
        return await messages.burst_leader(self.db, stored, since=since)

    async def join_burst(self, message_id: int, leader_id: int, *, queued: bool) -> bool:
        """Join a message to its burst's first message; False: it keeps a card of its own
        (see :func:`messages.join_burst`)."""
        return await messages.join_burst(self.db, message_id, leader_id, queued=queued)

    async def burst_of(self, leader_id: int) -> list[StoredMessage]:
        """The later messages of a burst, in order (empty for a message alone)."""
        return await messages.burst_of(self.db, leader_id)

    # -- jobs ---------------------------------------------------------------------------

    async def enqueue_drafts(self, messages: Sequence[tuple[int, bool]]) -> None:
        """Queue the drafting of decided messages, ``(message id, urgent)``, in one
        transaction; urgent ones are claimed first, the others in order."""
        await jobs.enqueue_drafts(self.db, messages)

    async def claim(
        self, *, worker: str, kinds: Sequence[str], limit: int, lease: float
    ) -> list[ClaimedJob]:
        """Claim up to ``limit`` due jobs. PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so any
        number of workers share the queue; expired leases (a crashed worker) are reclaimed."""
        return await jobs.claim(self.db, jobs.Claim(worker, kinds, limit, lease))

    async def finish(
        self, job: ClaimedJob, *, dead: bool = False, error: str | None = None
    ) -> bool:
        """Mark a claimed job done (or dead). False if the claim was lost meanwhile."""
        return await jobs.finish(self.db, job, dead=dead, error=error)

    async def retry_later(self, job: ClaimedJob, *, delay: float, error: str) -> bool:
        return await jobs.retry_later(self.db, job, delay=delay, error=error)

    async def due_jobs(self, kinds: Sequence[str] | None = None) -> int:
        """Jobs ready now or claimed (in progress): zero means the queue is drained."""
        return await jobs.due_jobs(self.db, kinds)

    async def jobs(self, *, stuck_after: timedelta) -> list[JobRow]:
        """Jobs that need a look: dead ones, those failing and waiting for a retry, and those
        claimed or due for longer than ``stuck_after``."""
        return await jobs.needing_a_look(self.db, stuck_after=stuck_after)

    async def requeue(self, job_ids: Sequence[int] | None = None) -> int:
        """Put dead jobs (all, or those listed) back in the queue, due now, with their
        attempts reset; the reason stays until they run again."""
        return await jobs.requeue(self.db, job_ids)

    async def claim_owners(self) -> list[str]:
        """The workers that hold claimed jobs."""
        return await jobs.claim_owners(self.db)

    async def release_claims(
        self, *, worker: str | None = None, worker_prefix: str | None = None
    ) -> int:
        """Return claimed jobs to the queue (all, one worker's, or those of workers whose
        name starts with a prefix): a worker died mid-job. On PostgreSQL, leases expire."""
        return await jobs.release_claims(self.db, worker=worker, worker_prefix=worker_prefix)

    # -- drafts and approval ------------------------------------------------------------

    async def add_draft(self, **fields: Unpack[DraftFields]) -> Draft:
        """Insert a draft version; if that version exists (a retried job), return it."""
        return await drafts.add(self.db, drafts.NewDraft(**fields))

    async def drafts_of(self, message_id: int) -> list[Draft]:
        return await drafts.of_message(self.db, message_id)

    async def draft(self, draft_id: int) -> Draft:
        """Raises :class:`NotFound` for a draft that does not exist."""
        try:
            return await drafts.one(self.db, draft_id)
        except NoResultFound:
            raise NotFound(f"no draft {draft_id}") from None

    async def decide_draft(self, decision: ApprovalDecision) -> ApprovalOutcome:
        """Apply a human (or autosend) decision once: compare-and-set from ``pending``.

        A second click, a second moderator or a retried request gets ``applied=False`` and
        posts nothing.
        """
        try:
            return await approvals.decide(self.db, decision)
        except NoResultFound:
            raise NotFound(f"no draft {decision.draft_id}") from None

    async def pending_drafts(self, *, limit: int = 100) -> list[PendingDraft]:
        return await approvals.pending(self.db, limit=limit)

    async def auto_sends_since(self, channel_id: str, since: datetime) -> int:
        return await approvals.auto_sends_since(self.db, channel_id, since)

    # -- delivery -----------------------------------------------------------------------

    async def outbox_item(self, outbox_id: int) -> OutboxItem:
        return await outbox.item(self.db, outbox_id)

    async def mark_sending(self, outbox_id: int) -> bool:
        """pending|sending -> sending (attempts + 1), committed *before* the platform call, so
        a crash during the call leaves ``sending``: an unknown outcome to reconcile."""
        return await outbox.mark_sending(self.db, outbox_id)

    async def mark_sent(
        self, outbox_id: int, receipt: DeliveryReceipt, *, reconciled: bool = False
    ) -> bool:
        return await outbox.mark_sent(self.db, outbox_id, receipt, reconciled=reconciled)

    async def mark_outbox(self, outbox_id: int, *, status: str, error: str) -> None:
        """Final states other than sent: ``failed`` (admins told) or ``stale``."""
        await outbox.mark_final(self.db, outbox_id, status=status, error=error)

    async def reset_to_pending(self, outbox_id: int) -> None:
        """The platform refused the send (it did not happen): a plain retry is safe."""
        await outbox.reset_to_pending(self.db, outbox_id)

    async def note_delivery_error(self, outbox_id: int, error: str) -> None:
        await outbox.note_error(self.db, outbox_id, error)

    async def outbox_backlog(self) -> dict[str, int]:
        """Replies approved but not yet confirmed posted, per platform."""
        return await outbox.backlog(self.db)

    # -- outcomes of a reply -----------------------------------------------------------

    async def record_reaction(self, reaction: NewReaction) -> bool:
        """Keep a reaction on one of our posted replies; False when the message is not ours
        or the event was kept already (see :func:`outcomes.record_reaction`)."""
        return await outcomes.record_reaction(self.db, reaction)

    async def record_audience(self, audience: NewAudience) -> None:
        """Keep how many members a channel we posted in had, as its platform said."""
        await outcomes.record_audience(self.db, audience)

    # -- status, audit, operations --------------------------------------------------------

    async def status_counts(self) -> dict[str, dict[str, int]]:
        """Backlog per state: jobs by kind/status, drafts and outbox by status."""
        return await reporting.status_counts(self.db)

    async def audit_trail(self, message_id: int) -> list[dict[str, Any]]:
        return await audit.trail(self.db, message_id)

    async def save_health(
        self,
        *,
        name: str,
        worker: str,
        connected: bool,
        last_event_at: datetime | None,
        last_error: str | None,
    ) -> None:
        row = health.AdapterHealth(name, worker, connected, last_event_at, last_error)
        await health.save(self.db, row)

    async def health_rows(self) -> list[dict[str, Any]]:
        return await health.rows(self.db)

    async def add_dead_letter(
        self, *, platform: Platform, ref: str, payload: dict[str, Any], reason: str, tries: int
    ) -> bool:
        """Set aside a platform update that could not be stored; False if it already was."""
        letter = health.DeadLetter(platform, ref, payload, reason, tries)
        return await health.add_dead_letter(self.db, letter)

    async def dead_letters(self) -> list[dict[str, Any]]:
        """Every update set aside, oldest first."""
        return await health.dead_letters(self.db)


async def open_store(url: str, *, upgrade: bool = False) -> Store:
    """Open the database at ``url``; with ``upgrade`` run the migrations first."""
    store = Store(engine=open_database(url).engine)
    if upgrade:
        await store.upgrade()
    return store


__all__ = [
    "AUTOSEND_ACTOR",
    "MAX_ID_CHARS",
    "ApprovalOutcome",
    "ClaimedJob",
    "JobRow",
    "NewAudience",
    "NewReaction",
    "NotFound",
    "OutboxItem",
    "PendingDraft",
    "Store",
    "StoreError",
    "StoredMessage",
    "clean_text",
    "open_store",
    "utcnow",
]
