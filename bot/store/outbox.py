"""The outbox: approved replies on their way to the platform, each sent at most once.

An item goes ``pending`` → ``sending`` (committed before the platform call) → ``sent``, or
ends ``failed`` or ``stale``; the draft it carries is settled with it in the same unit of work.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain import ConversationRef, DeliveryReceipt, DraftStatus, OutboundReply, Platform
from bot.store import audit, drafts, jobs
from bot.store import schema as t
from bot.store.database import Database
from bot.store.values import MAX_ERROR_CHARS, utcnow

out = t.outbox.c


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # the platform call may have happened: reconcile before a retry
    SENT = "sent"
    FAILED = "failed"
    STALE = "stale"


# Approved but not yet confirmed posted.
UNCONFIRMED = (OutboxStatus.PENDING, OutboxStatus.SENDING)


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
class Approved:
    """An approved reply to queue: the draft it comes from, its message and its text."""

    draft_id: int
    message_id: int
    text: str
    at: datetime


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


async def add(conn: AsyncConnection, reply: Approved) -> int:
    """Queue an approved reply (and its delivery job) in the approval's unit of work; the
    reply answers its message, in its thread."""
    m = (await conn.execute(select(t.messages).where(t.messages.c.id == reply.message_id))).one()
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
                draft_id=reply.draft_id,
                idempotency_key=f"tl-{reply.draft_id}-{secrets.token_hex(4)}",
                platform=m.platform,
                conversation=_conversation_json(ref),
                text=reply.text,
                status=OutboxStatus.PENDING,
                attempts=0,
                created_at=reply.at,
            )
            .returning(out.id)
        )
    ).scalar_one()
    await jobs.enqueue(conn, jobs.JobKind.DELIVER, outbox_id, reply.at)
    return int(outbox_id)


async def stale_for(conn: AsyncConnection, draft_ids: Sequence[int]) -> None:
    """Pending replies of these (stale) drafts are never sent."""
    await conn.execute(
        update(t.outbox)
        .where(out.draft_id.in_(draft_ids), out.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.STALE)
    )


async def item(db: Database, outbox_id: int) -> OutboxItem:
    """An outbox item with what delivery must know of its source message."""
    async with db.read() as conn:
        r = (
            await conn.execute(
                select(
                    t.outbox,
                    t.drafts.c.message_id,
                    t.messages.c.edited_at,
                    t.messages.c.deleted_at,
                )
                .join(t.drafts, t.drafts.c.id == out.draft_id)
                .join(t.messages, t.messages.c.id == t.drafts.c.message_id)
                .where(out.id == outbox_id)
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


async def mark_sending(db: Database, outbox_id: int) -> bool:
    """pending|sending -> sending (attempts + 1), committed *before* the platform call, so
    a crash during the call leaves ``sending``: an unknown outcome to reconcile."""
    async with db.transaction() as conn:
        res = await conn.execute(
            update(t.outbox)
            .where(out.id == outbox_id, out.status.in_(UNCONFIRMED))
            .values(status=OutboxStatus.SENDING, attempts=out.attempts + 1)
        )
    return bool(res.rowcount)


async def mark_sent(
    db: Database, outbox_id: int, receipt: DeliveryReceipt, *, reconciled: bool = False
) -> bool:
    """sending -> sent with the platform's receipt, and the draft posted; ``reconciled``:
    the outcome was found after a crash. False: the item was not sending."""
    proof = {
        "platform_message_ids": list(receipt.platform_message_ids),
        "permalink": receipt.permalink,
    }
    async with db.transaction() as conn:
        draft_id = (
            await conn.execute(
                update(t.outbox)
                .where(out.id == outbox_id, out.status == OutboxStatus.SENDING)
                .values(
                    status=OutboxStatus.SENT,
                    sent_at=receipt.sent_at,
                    receipt=proof,
                    last_error=None,
                )
                .returning(out.draft_id)
            )
        ).scalar_one_or_none()
        if draft_id is None:
            return False
        message_id = await drafts.settle(conn, draft_id, DraftStatus.POSTED)
        event = audit.AuditEvent(
            "posted",
            "adapter:" + str(receipt.platform),
            utcnow(),
            message_id=message_id,
            draft_id=draft_id,
            detail={**proof, "reconciled": reconciled},
        )
        await audit.record(conn, event)
    return True


async def mark_final(db: Database, outbox_id: int, *, status: str, error: str) -> None:
    """Final states other than sent: ``failed`` (admins told) or ``stale``; the draft
    follows."""
    now = utcnow()
    error = error[:MAX_ERROR_CHARS]
    async with db.transaction() as conn:
        draft_id = (
            await conn.execute(
                update(t.outbox)
                .where(out.id == outbox_id)
                .values(status=status, last_error=error)
                .returning(out.draft_id)
            )
        ).scalar_one()
        settled = DraftStatus.STALE if status == OutboxStatus.STALE else DraftStatus.FAILED
        message_id = await drafts.settle(conn, draft_id, settled)
        event = audit.AuditEvent(
            "delivery_" + status,
            "worker",
            now,
            message_id=message_id,
            draft_id=draft_id,
            detail={"error": error},
        )
        await audit.record(conn, event)


async def reset_to_pending(db: Database, outbox_id: int) -> None:
    """The platform refused the send (it did not happen): a plain retry is safe."""
    async with db.transaction() as conn:
        await conn.execute(
            update(t.outbox)
            .where(out.id == outbox_id, out.status == OutboxStatus.SENDING)
            .values(status=OutboxStatus.PENDING)
        )


async def note_error(db: Database, outbox_id: int, error: str) -> None:
    """Keep the last delivery error of an item that will be tried again."""
    async with db.transaction() as conn:
        await conn.execute(
            update(t.outbox).where(out.id == outbox_id).values(last_error=error[:MAX_ERROR_CHARS])
        )


async def backlog(db: Database) -> dict[str, int]:
    """Replies approved but not yet confirmed posted, per platform."""
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(out.platform, func.count())
                .where(out.status.in_(UNCONFIRMED))
                .group_by(out.platform)
            )
        ).all()
    return {str(r[0]): int(r[1]) for r in rows}


async def sent_replies(conn: AsyncConnection, message_ids: Sequence[int]) -> Sequence[Any]:
    """The brand's posted replies to these messages: (message_id, text, sent_at) rows."""
    rows = await conn.execute(
        select(t.drafts.c.message_id, out.text, out.sent_at)
        .join(t.outbox, out.draft_id == t.drafts.c.id)
        .where(t.drafts.c.message_id.in_(message_ids), out.status == OutboxStatus.SENT)
    )
    return rows.all()
