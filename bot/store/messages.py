"""Messages: what the communities said, stored once, then classified and decided.

A message is kept as it arrived (Tactline never removes anything); an edit or deletion at the
source is recorded beside it and makes its unposted drafts stale. A member's burst of
messages is joined to its first message, whose card and draft answer them all.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update

from bot.domain import (
    Author,
    Classification,
    ContextMessage,
    ConversationRef,
    Decision,
    InboundMessage,
    Platform,
    Sentiment,
)
from bot.store import audit, drafts, jobs, outbox
from bot.store import schema as t
from bot.store.database import Database, StoreError, insert
from bot.store.values import MAX_ID_CHARS, clean_text, json_safe, utcnow

msg = t.messages.c


class MessageStage(enum.StrEnum):
    RECEIVED = "received"
    CLASSIFIED = "classified"
    DECIDED = "decided"


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
class SourceChange:
    """A message edited or deleted on its platform (``channel_id`` None: in any channel)."""

    platform: Platform
    platform_message_id: str
    deleted: bool
    new_text: str | None = None
    channel_id: str | None = None


# -- reading rows ---------------------------------------------------------------------------


def stored_message(row: Any) -> StoredMessage:
    return stored_message_from(dict(row._mapping))


def _inbound(m: dict[str, Any]) -> InboundMessage:
    platform = Platform(m["platform"])
    return InboundMessage(
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


def _classification(m: dict[str, Any]) -> Classification | None:
    if m["intent"] is None:
        return None
    return Classification(
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


def stored_message_from(m: dict[str, Any]) -> StoredMessage:
    """A stored message from a ``messages`` row as a mapping of column name to value."""
    return StoredMessage(
        id=m["id"],
        message=_inbound(m),
        classification=_classification(m),
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


# -- arrival --------------------------------------------------------------------------------


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


def _row_of(message: InboundMessage, now: datetime) -> dict[str, Any]:
    ref = message.conversation
    return {
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
        "raw": json_safe(dict(message.raw)),
        "stage": MessageStage.RECEIVED,
    }


async def accept(db: Database, message: InboundMessage) -> int | None:
    """Store a new message and queue its processing. Returns its id, or None if already
    stored. Raises :class:`StoreError` for ids longer than the store keeps (a malformed
    payload): the same on SQLite and PostgreSQL, so the adapter sets the update aside, whole."""
    now = utcnow()
    _check_ids(message)
    async with db.transaction() as conn:
        message_id = (
            await conn.execute(
                insert(conn, t.messages)
                .values(**_row_of(message, now))
                .on_conflict_do_nothing(
                    index_elements=["platform", "channel_id", "platform_message_id"]
                )
                .returning(msg.id)
            )
        ).scalar_one_or_none()
        if message_id is None:
            return None
        await jobs.enqueue(conn, jobs.JobKind.PROCESS, message_id, now)
        received = audit.AuditEvent(
            "received",
            "adapter:" + str(message.platform),
            now,
            message_id=message_id,
            detail={"platform_message_id": message.platform_message_id},
        )
        await audit.record(conn, received)
    return int(message_id)


async def source_changed(db: Database, change: SourceChange) -> list[int]:
    """Record the source edited/deleted and make every unposted draft of it stale (their
    pending replies too). The message itself is kept as it arrived. Returns the ids of the
    drafts that went stale."""
    now = utcnow()
    cond = and_(
        msg.platform == str(change.platform),
        msg.platform_message_id == change.platform_message_id,
    )
    if change.channel_id is not None:
        cond = and_(cond, msg.channel_id == change.channel_id)
    async with db.transaction() as conn:
        ids = list((await conn.execute(select(msg.id).where(cond))).scalars().all())
        if not ids:
            return []
        edit: dict[str, Any] = (
            {"deleted_at": now}
            if change.deleted
            else {"edited_at": now, "edited_text": clean_text(change.new_text or "")}
        )
        await conn.execute(update(t.messages).where(msg.id.in_(ids)).values(edit))
        stale = await drafts.stale_for(conn, ids, now)
        if stale:
            await outbox.stale_for(conn, stale)
        event = "source_deleted" if change.deleted else "source_edited"
        for message_id in ids:
            changed = audit.AuditEvent(
                event, "platform", now, message_id=message_id, detail={"stale_drafts": stale}
            )
            await audit.record(conn, changed)
    return stale


async def last_seen(db: Database, platform: Platform, channel_id: str) -> str | None:
    """The platform id of the newest message stored from a channel."""
    stmt = (
        select(msg.platform_message_id)
        .where(msg.platform == str(platform), msg.channel_id == channel_id)
        .order_by(msg.sent_at.desc(), msg.id.desc())
        .limit(1)
    )
    async with db.read() as conn:
        newest: str | None = (await conn.execute(stmt)).scalar_one_or_none()
        return newest


# -- reading --------------------------------------------------------------------------------


async def one(db: Database, message_id: int) -> StoredMessage:
    async with db.read() as conn:
        row = (await conn.execute(select(t.messages).where(msg.id == message_id))).one()
    return stored_message(row)


async def several(db: Database, message_ids: Sequence[int]) -> list[StoredMessage]:
    """Several messages in one read, in the order asked (missing ids are left out)."""
    async with db.read() as conn:
        rows = (await conn.execute(select(t.messages).where(msg.id.in_(list(message_ids))))).all()
    by_id = {r.id: stored_message(r) for r in rows}
    return [by_id[i] for i in message_ids if i in by_id]


async def since(db: Database, when: datetime) -> list[StoredMessage]:
    """Every message received since ``when``, in order of arrival."""
    async with db.read() as conn:
        rows = (
            await conn.execute(select(t.messages).where(msg.received_at >= when).order_by(msg.id))
        ).all()
    return [stored_message(r) for r in rows]


# -- classification and decision -----------------------------------------------------------


async def save_classification(db: Database, message_id: int, c: Classification) -> None:
    now = utcnow()
    async with db.transaction() as conn:
        await conn.execute(
            update(t.messages)
            .where(msg.id == message_id)
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
                stage=MessageStage.CLASSIFIED,
            )
        )
        classified = audit.AuditEvent(
            "classified",
            "classifier:" + c.model,
            now,
            message_id=message_id,
            detail=c.as_json(),
        )
        await audit.record(conn, classified)


async def save_decision(db: Database, message_id: int, d: Decision) -> None:
    now = utcnow()
    rules = [{"rule": r.rule, "reason": r.reason} for r in d.matched_rules]
    async with db.transaction() as conn:
        await conn.execute(
            update(t.messages)
            .where(msg.id == message_id)
            .values(
                action=str(d.action),
                group=d.group,
                strategy=d.strategy,
                policy_version=d.policy_version,
                matched_rules=rules,
                urgent=d.urgent,
                decided_at=now,
                stage=MessageStage.DECIDED,
            )
        )
        decided = audit.AuditEvent(
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
        await audit.record(conn, decided)


# -- the drafter's context ------------------------------------------------------------------


def _related(m: Any) -> ColumnElement[bool]:
    """Messages of m's thread or reply chain, and the author's own messages."""
    related = [msg.thread_id == (m.thread_id or m.platform_message_id)]
    if m.thread_id:
        related.append(msg.platform_message_id == m.thread_id)
    if m.reply_to_message_id:
        related.append(msg.platform_message_id == m.reply_to_message_id)
    same_thread = and_(msg.platform == m.platform, msg.channel_id == m.channel_id, or_(*related))
    by_author = and_(msg.platform == m.platform, msg.author_id == m.author_id)
    return or_(same_thread, by_author)


async def context_for(
    db: Database, message_id: int, *, limit: int = 6
) -> tuple[ContextMessage, ...]:
    """Earlier messages of the same thread or reply chain, the brand's posted replies
    there, and the author's recent messages: what the drafter needs for "still broken"."""
    async with db.read() as conn:
        m = (await conn.execute(select(t.messages).where(msg.id == message_id))).one()
        rows = (
            await conn.execute(
                select(msg.id, msg.author_name, msg.text, msg.sent_at)
                .where(_related(m), msg.id != m.id, msg.sent_at <= m.sent_at)
                .order_by(msg.sent_at.desc(), msg.id.desc())
                .limit(limit)
            )
        ).all()
        replies = await outbox.sent_replies(conn, [r.id for r in rows])
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


# -- bursts ---------------------------------------------------------------------------------


async def burst_leader(db: Database, stored: StoredMessage, *, since: datetime) -> int | None:
    """The first message of this author's burst in this conversation that still waits
    for its draft (its draft job not yet started), received since ``since``; None when
    there is none. Messages of the same batch are joined by the caller."""
    m = stored.message
    ref = m.conversation
    thread = msg.thread_id.is_(None) if ref.thread_id is None else msg.thread_id == ref.thread_id
    stmt = (
        select(msg.id)
        .where(
            msg.platform == str(m.platform),
            msg.channel_id == ref.channel_id,
            thread,
            msg.author_id == m.author.id,
            msg.id < stored.id,
            msg.received_at >= since,
            msg.joined_to.is_(None),
            jobs.draft_not_started(msg.id),
        )
        .order_by(msg.id)
        .limit(1)
    )
    async with db.read() as conn:
        leader: int | None = (await conn.execute(stmt)).scalar_one_or_none()
    return leader


async def join_burst(db: Database, message_id: int, leader_id: int, *, queued: bool) -> bool:
    """Join a message to its burst's first message. ``queued``: the leader's draft job
    exists and must still be waiting (not started) for the join to hold, checked in the
    same statement, so a draft that has begun is never said to answer a message it never
    read. False: the message keeps a card of its own."""
    cond: list[ColumnElement[bool]] = [msg.id == message_id, msg.joined_to.is_(None)]
    if queued:
        cond.append(jobs.draft_not_started(leader_id))
    now = utcnow()
    async with db.transaction() as conn:
        res = await conn.execute(update(t.messages).where(*cond).values(joined_to=leader_id))
        if not res.rowcount:
            return False
        joined = audit.AuditEvent(
            "joined", "policy", now, message_id=message_id, detail={"burst_of": leader_id}
        )
        await audit.record(conn, joined)
    return True


async def burst_of(db: Database, leader_id: int) -> list[StoredMessage]:
    """The later messages of a burst, in order (empty for a message alone)."""
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(t.messages).where(msg.joined_to == leader_id).order_by(msg.id)
            )
        ).all()
    return [stored_message(r) for r in rows]
