"""The reply bank: what moderators decided on drafts (sent replies and rejected drafts), each
with the message it answered and its embedding, and which banked decisions each draft used.

Rows are written from the append-only approvals table (``unbanked`` → ``bank``): every
decision path (Slack, ``tactline drafts``) teaches without a hook of its own. An admin's
``forget`` deletes a row and its uses and remembers only the approval's id, so it is never
banked again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain import DraftStatus, Verdict
from bot.store import schema as t
from bot.store.approvals import AUTOSEND_ACTOR
from bot.store.database import Database, insert
from bot.store.values import utcnow

bank = t.reply_bank.c
SENT = (Verdict.APPROVE, Verdict.EDIT, Verdict.TAKE_OVER)
REJECTED = Verdict.REJECT
# A banked reply teaches only while its draft was sent or is being sent: one that went stale
# (its source changed) or failed for good was never read by the member.
_LIVE = (DraftStatus.APPROVED, DraftStatus.POSTED)


@dataclass(frozen=True, slots=True)
class Decided:
    """A moderator's decision not yet banked, with what it was about."""

    approval_id: int
    message_id: int
    draft_id: int
    verdict: str
    actor: str
    at: datetime
    reply: str  # the sent text (the draft's, or the moderator's own), or the rejected draft
    reason: str | None
    message_text: str
    language: str
    intent: str
    platform: str
    policy_version: str
    member_id: str
    member_name: str


@dataclass(frozen=True, slots=True)
class NewBanked:
    """A decision as the bank keeps it: the decision, its vectors and the facts it used."""

    decided: Decided
    facts: Mapping[str, str]  # fact id -> hash of its text
    model: str
    vector: bytes
    reply_vector: bytes | None = None


@dataclass(frozen=True, slots=True)
class Banked:
    id: int
    approval_id: int
    message_id: int
    draft_id: int
    verdict: str
    message_text: str
    reply: str
    reason: str | None
    language: str
    intent: str
    platform: str
    policy_version: str
    facts: Mapping[str, str]
    approver: str
    member_id: str
    member_name: str
    edited: bool
    model: str
    vector: bytes
    reply_vector: bytes | None
    at: datetime
    # The strategy its message was answered under (sent replies' candidates only).
    strategy: str | None = None


@dataclass(frozen=True, slots=True)
class Use:
    """A banked decision a draft was shown (``example``) or found close to (``rejected``)."""

    bank_id: int
    kind: str
    similarity: float
    message_text: str
    approver: str
    reason: str | None


def _banked(row: Any) -> Banked:
    m = row._mapping
    return Banked(**{k: m[k] for k in Banked.__slots__ if k in m})


async def unbanked(db: Database, *, limit: int = 500) -> list[Decided]:
    """Human decisions (sent or rejected) not yet in the bank nor forgotten, oldest first."""
    a, d, m = t.approvals.c, t.drafts.c, t.messages.c
    verdicts = [str(v) for v in (*SENT, REJECTED)]
    query = (
        select(
            a.id.label("approval_id"),
            d.message_id,
            a.draft_id,
            a.verdict,
            a.actor,
            a.at,
            a.edited_text,
            a.reason,
            d.text.label("draft_text"),
            m.text.label("message_text"),
            m.language,
            m.intent,
            m.platform,
            m.policy_version,
            m.author_id,
            m.author_name,
        )
        .join(t.drafts, d.id == a.draft_id)
        .join(t.messages, m.id == d.message_id)
        .outerjoin(t.reply_bank, bank.approval_id == a.id)
        .outerjoin(t.reply_bank_forgotten, t.reply_bank_forgotten.c.approval_id == a.id)
        .where(
            a.verdict.in_(verdicts),
            a.actor != AUTOSEND_ACTOR,
            bank.id.is_(None),
            t.reply_bank_forgotten.c.approval_id.is_(None),
            m.language.is_not(None),
        )
        .order_by(a.id)
        .limit(limit)
    )
    async with db.read() as conn:
        rows = (await conn.execute(query)).all()
    return [found for r in rows if (found := _decided(r._mapping)) is not None]


def _decided(r: Any) -> Decided | None:
    rejected = r["verdict"] == str(REJECTED)
    reply = r["draft_text"] if rejected or r["verdict"] == str(Verdict.APPROVE) else None
    reply = reply if reply is not None else r["edited_text"]
    if not (reply or "").strip():
        return None  # a rejected empty draft teaches nothing
    return Decided(
        approval_id=r["approval_id"],
        message_id=r["message_id"],
        draft_id=r["draft_id"],
        verdict=r["verdict"],
        actor=r["actor"],
        at=r["at"],
        reply=str(reply),
        reason=r["reason"],
        message_text=r["message_text"],
        language=r["language"],
        intent=r["intent"] or "",
        platform=r["platform"],
        policy_version=r["policy_version"] or "",
        member_id=r["author_id"],
        member_name=r["author_name"],
    )


async def add(db: Database, rows: Sequence[NewBanked]) -> int:
    """Bank decisions (a decision banked by another worker meanwhile is skipped)."""
    added = 0
    async with db.transaction() as conn:
        for new in rows:
            d = new.decided
            done = await conn.execute(
                insert(conn, t.reply_bank)
                .values(
                    approval_id=d.approval_id,
                    message_id=d.message_id,
                    draft_id=d.draft_id,
                    verdict=d.verdict,
                    message_text=d.message_text,
                    reply=d.reply,
                    reason=d.reason,
                    language=d.language,
                    intent=d.intent,
                    platform=d.platform,
                    policy_version=d.policy_version,
                    facts=dict(new.facts),
                    approver=d.actor,
                    member_id=d.member_id,
                    member_name=d.member_name,
                    edited=d.verdict in (str(Verdict.EDIT), str(Verdict.TAKE_OVER)),
                    model=new.model,
                    vector=new.vector,
                    reply_vector=new.reply_vector,
                    at=d.at,
                )
                .on_conflict_do_nothing(index_elements=["approval_id"])
            )
            added += done.rowcount or 0
    return added


async def candidates(db: Database, *, language: str, rejected: bool = False) -> list[Banked]:
    """The banked replies still sent (or rejected drafts) in ``language``, newest first."""
    d, m = t.drafts.c, t.messages.c
    query = select(t.reply_bank).where(bank.language == language)
    if rejected:
        query = query.where(bank.verdict == str(REJECTED))
    else:
        query = (
            query.add_columns(m.strategy)
            .join(t.drafts, d.id == bank.draft_id)
            .join(t.messages, m.id == bank.message_id)
            .where(bank.verdict.in_([str(v) for v in SENT]), d.status.in_([str(s) for s in _LIVE]))
        )
    async with db.read() as conn:
        rows = (await conn.execute(query.order_by(bank.id.desc()))).all()
    return [_banked(r) for r in rows]


async def record_uses(db: Database, draft_id: int, uses: Sequence[tuple[int, str, float]]) -> None:
    """What a draft was shown or compared with: (bank id, kind, similarity)."""
    if not uses:
        return
    async with db.transaction() as conn:
        for bank_id, kind, similarity in uses:
            await conn.execute(
                insert(conn, t.learned_uses)
                .values(draft_id=draft_id, bank_id=bank_id, kind=kind, similarity=similarity)
                .on_conflict_do_nothing(index_elements=["draft_id", "bank_id"])
            )


async def uses_of(db: Database, draft_id: int) -> list[Use]:
    """The banked decisions a draft used, most similar first."""
    u = t.learned_uses.c
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(u.bank_id, u.kind, u.similarity, bank.message_text, bank.approver)
                .add_columns(bank.reason)
                .join(t.reply_bank, bank.id == u.bank_id)
                .where(u.draft_id == draft_id)
                .order_by(u.similarity.desc())
            )
        ).all()
    return [
        Use(r.bank_id, r.kind, r.similarity, r.message_text, r.approver, r.reason) for r in rows
    ]


async def listing(db: Database, *, limit: int = 50) -> list[Banked]:
    """The newest banked decisions."""
    async with db.read() as conn:
        rows = (
            await conn.execute(select(t.reply_bank).order_by(bank.id.desc()).limit(limit))
        ).all()
    return [_banked(r) for r in rows]


async def one(db: Database, bank_id: int) -> Banked | None:
    async with db.read() as conn:
        row = (await conn.execute(select(t.reply_bank).where(bank.id == bank_id))).first()
    return _banked(row) if row is not None else None


async def times_used(db: Database, bank_id: int) -> int:
    """How many drafts were shown this banked reply (or compared with it)."""
    u = t.learned_uses.c
    async with db.read() as conn:
        n = await conn.scalar(select(func.count()).where(u.bank_id == bank_id))
    return int(n or 0)


async def forget(db: Database, bank_ids: Sequence[int]) -> int:
    """Delete these banked decisions and their uses; they are never banked again."""
    async with db.transaction() as conn:
        return await _forget(conn, bank_ids)


async def forget_author(db: Database, author: str) -> int:
    """Forget everything learned from a member's messages (their id or name) or approved by
    a moderator (their id): a member's data removal removes what was learned from it."""
    async with db.transaction() as conn:
        ids = (
            await conn.execute(
                select(bank.id).where(
                    or_(
                        bank.member_id == author,
                        bank.member_name == author,
                        bank.approver == author,
                    )
                )
            )
        ).scalars()
        return await _forget(conn, list(ids))


async def _forget(conn: AsyncConnection, bank_ids: Sequence[int]) -> int:
    if not bank_ids:
        return 0
    approvals = (
        await conn.execute(select(bank.approval_id).where(bank.id.in_(bank_ids)))
    ).scalars()
    now = utcnow()
    for approval_id in list(approvals):
        await conn.execute(
            insert(conn, t.reply_bank_forgotten)
            .values(approval_id=approval_id, at=now)
            .on_conflict_do_nothing(index_elements=["approval_id"])
        )
    await conn.execute(delete(t.learned_uses).where(t.learned_uses.c.bank_id.in_(bank_ids)))
    gone = await conn.execute(delete(t.reply_bank).where(bank.id.in_(bank_ids)))
    return int(gone.rowcount or 0)
