"""Approvals: a human's (or autosend's) decision on a draft, applied exactly once.

The decision is a compare-and-set from ``pending``: a second click, a second moderator or a
retried request finds the draft decided and changes nothing. An approval queues the reply in
the outbox, an escalation writes the next draft version for the target group, all in the
decision's unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain import ApprovalDecision, Draft, DraftStatus, Verdict
from bot.errors import TactlineError
from bot.store import audit, outbox
from bot.store import schema as t
from bot.store.database import Database
from bot.store.messages import StoredMessage, stored_message_from

AUTOSEND_ACTOR = "policy:autosend"

_STATUS_AFTER = {
    Verdict.APPROVE: DraftStatus.APPROVED,
    Verdict.EDIT: DraftStatus.APPROVED,
    Verdict.TAKE_OVER: DraftStatus.APPROVED,
    Verdict.REJECT: DraftStatus.REJECTED,
    Verdict.ESCALATE: DraftStatus.ESCALATED,
}

draft = t.drafts.c


@dataclass(frozen=True, slots=True)
class ApprovalOutcome:
    """What a moderator's click did. ``applied`` False: someone (or something) was first."""

    applied: bool
    status: DraftStatus  # the draft's status after the call
    outbox_id: int | None = None
    new_draft_id: int | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class PendingDraft:
    draft: Draft
    group: str
    notes: tuple[str, ...]
    stored: StoredMessage


def _status_after(decision: ApprovalDecision) -> DraftStatus:
    """The draft's status once the decision applies; a decision missing its text or its
    target group is refused before anything changes."""
    verdict = decision.verdict
    needs_text = verdict in (Verdict.EDIT, Verdict.TAKE_OVER)
    if needs_text and not (decision.edited_text or "").strip():
        raise TactlineError(f"{verdict} needs the reply text")
    if verdict == Verdict.ESCALATE and not decision.target_group:
        raise TactlineError("escalate needs a target group")
    return _STATUS_AFTER[verdict]


async def decide(db: Database, decision: ApprovalDecision) -> ApprovalOutcome:
    """Apply a human (or autosend) decision once: compare-and-set from ``pending``.

    A second click, a second moderator or a retried request gets ``applied=False`` and
    posts nothing.
    """
    new_status = _status_after(decision)
    async with db.transaction() as conn:
        row = (
            await conn.execute(
                update(t.drafts)
                .where(draft.id == decision.draft_id, draft.status == DraftStatus.PENDING)
                .values(status=new_status, decided_at=decision.at)
                .returning(draft.message_id, draft.text, draft.version, draft.model)
            )
        ).one_or_none()
        if row is None:
            return await _already_decided(conn, decision.draft_id)
        await _record(conn, decision, row.message_id)
        outcome = ApprovalOutcome(applied=True, status=new_status)
        if new_status == DraftStatus.APPROVED:
            outbox_id = await _queue_reply(conn, decision, row)
            outcome = ApprovalOutcome(applied=True, status=new_status, outbox_id=outbox_id)
        elif new_status == DraftStatus.ESCALATED:
            new_draft_id = await _escalate(conn, decision, row)
            outcome = ApprovalOutcome(applied=True, status=new_status, new_draft_id=new_draft_id)
    return outcome


async def _already_decided(conn: AsyncConnection, draft_id: int) -> ApprovalOutcome:
    current = (
        await conn.execute(select(draft.status).where(draft.id == draft_id))
    ).scalar_one_or_none()
    if current is None:
        raise TactlineError(f"no draft with id {draft_id}")
    return ApprovalOutcome(applied=False, status=DraftStatus(current), reason=f"already {current}")


async def _record(conn: AsyncConnection, decision: ApprovalDecision, message_id: int) -> None:
    """The decision in the append-only approvals table and in the message's trail."""
    await conn.execute(
        t.approvals.insert().values(
            draft_id=decision.draft_id,
            actor=decision.actor,
            at=decision.at,
            verdict=str(decision.verdict),
            edited_text=decision.edited_text,
            reason=decision.reason,
            target_group=decision.target_group,
        )
    )
    event = audit.AuditEvent(
        str(decision.verdict),
        decision.actor,
        decision.at,
        message_id=message_id,
        draft_id=decision.draft_id,
        detail={
            "edited_text": decision.edited_text,
            "reason": decision.reason,
            "target_group": decision.target_group,
        },
    )
    await audit.record(conn, event)


async def _queue_reply(conn: AsyncConnection, decision: ApprovalDecision, row: Any) -> int:
    """The approved text (the draft's, or the moderator's own) into the outbox."""
    text = decision.edited_text if decision.verdict != Verdict.APPROVE else row.text
    if not (text or "").strip():
        raise TactlineError("this draft has no text: edit or take over instead")
    reply = outbox.Approved(decision.draft_id, row.message_id, str(text), decision.at)
    return await outbox.add(conn, reply)


async def _escalate(conn: AsyncConnection, decision: ApprovalDecision, row: Any) -> int:
    """The next version of the draft, pending for the target group."""
    new_id = await conn.execute(
        t.drafts.insert()
        .values(
            message_id=row.message_id,
            version=row.version + 1,
            text=row.text,
            status=DraftStatus.PENDING,
            group=decision.target_group,
            model=row.model,
            notes=[f"escalated by {decision.actor}"],
            created_at=decision.at,
        )
        .returning(draft.id)
    )
    return int(new_id.scalar_one())


async def pending(db: Database, *, limit: int = 100) -> list[PendingDraft]:
    """Drafts awaiting a human, oldest first, each with its message."""
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(t.drafts, t.messages)
                .join(t.messages, t.messages.c.id == draft.message_id)
                .where(draft.status == DraftStatus.PENDING)
                .order_by(draft.id)
                .limit(limit)
            )
        ).all()
    return [_pending(r._mapping) for r in rows]


def _pending(m: Any) -> PendingDraft:
    waiting = Draft(
        id=m[draft.id],
        message_id=m[draft.message_id],
        version=m[draft.version],
        text=m[draft.text],
        status=DraftStatus(m[draft.status]),
        created_at=m[draft.created_at],
        model=m[draft.model],
    )
    stored = stored_message_from({c.name: m[c] for c in t.messages.c})
    return PendingDraft(
        draft=waiting,
        group=m[draft.group],
        notes=tuple(m[draft.notes] or ()),
        stored=stored,
    )


async def auto_sends_since(db: Database, channel_id: str, since: datetime) -> int:
    """Replies autosend approved in a channel since ``since`` (its rate limit)."""
    a = t.approvals.c
    async with db.read() as conn:
        n = (
            await conn.execute(
                select(func.count())
                .select_from(
                    t.approvals.join(t.drafts, draft.id == a.draft_id).join(
                        t.messages, t.messages.c.id == draft.message_id
                    )
                )
                .where(
                    a.actor == AUTOSEND_ACTOR,
                    a.at >= since,
                    t.messages.c.channel_id == channel_id,
                )
            )
        ).scalar_one()
    return int(n)
