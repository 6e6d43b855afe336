"""The store's guarantees, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.domain import (
    ApprovalDecision,
    Classification,
    DeliveryReceipt,
    DraftStatus,
    Platform,
    Sentiment,
    Verdict,
)
from bot.errors import TactlineError
from bot.store import Store
from bot.store import schema as t
from bot.store.store import StoreError
from tests.builders import make_message


def now() -> datetime:
    return datetime.now(UTC)


async def _drafted(store: Store, text: str = "Here is how.") -> tuple[int, int]:
    mid = await store.accept(make_message())
    assert mid is not None
    draft = await store.add_draft(message_id=mid, text=text, group="support", model="m")
    return mid, draft.id


async def test_redelivered_message_is_stored_and_queued_once(store: Store) -> None:
    msg = make_message(message_id="42")
    first = await store.accept(msg)
    again = await store.accept(msg)
    assert first is not None
    assert again is None
    counts = await store.status_counts()
    assert counts["jobs"] == {"process/ready": 1}
    assert counts["messages"] == {"received": 1}


async def test_same_id_in_another_channel_is_another_message(store: Store) -> None:
    a = await store.accept(make_message(message_id="7", channel="a", platform=Platform.TELEGRAM))
    b = await store.accept(make_message(message_id="7", channel="b", platform=Platform.TELEGRAM))
    assert a is not None and b is not None and a != b


async def test_odd_unicode_and_raw_payload_survive(store: Store) -> None:
    text = "مرحبا \u200b zero-width, emoji 🧪, lone surrogate \ud800 end"
    mid = await store.accept(make_message(text))
    assert mid is not None
    stored = await store.message(mid)
    assert "🧪" in stored.message.text and "مرحبا" in stored.message.text
    assert "\ud800" not in stored.message.text  # replaced, not crashing the driver
    assert stored.message.raw["text"].startswith("مرحبا")
    with pytest.raises(TypeError):
        stored.message.raw["text"] = "changed"  # type: ignore[index]


async def test_second_approval_of_a_draft_creates_no_second_post(store: Store) -> None:
    _, draft_id = await _drafted(store)
    first = await store.decide_draft(
        ApprovalDecision(draft_id=draft_id, actor="ana", at=now(), verdict=Verdict.APPROVE)
    )
    second = await store.decide_draft(
        ApprovalDecision(draft_id=draft_id, actor="ben", at=now(), verdict=Verdict.APPROVE)
    )
    assert first.applied and first.outbox_id is not None
    assert not second.applied
    assert second.status == DraftStatus.APPROVED
    assert "already approved" in second.reason
    async with store.engine.connect() as conn:
        outbox = (await conn.execute(select(t.outbox))).all()
        approvals = (await conn.execute(select(t.approvals))).all()
    assert len(outbox) == 1
    assert [a.actor for a in approvals] == ["ana"]


async def test_edit_posts_the_edited_text_and_records_it(store: Store) -> None:
    mid, draft_id = await _drafted(store, "draft text")
    outcome = await store.decide_draft(
        ApprovalDecision(
            draft_id=draft_id,
            actor="ana",
            at=now(),
            verdict=Verdict.EDIT,
            edited_text="Better text?",
        )
    )
    assert outcome.outbox_id is not None
    item = await store.outbox_item(outcome.outbox_id)
    assert item.reply.text == "Better text?"
    assert (
        item.reply.conversation.reply_to_message_id
        == (await store.message(mid)).message.platform_message_id
    )
    trail = [e["event"] for e in await store.audit_trail(mid)]
    assert trail == ["received", "drafted", "edit"]


async def test_edit_without_text_is_refused(store: Store) -> None:
    _, draft_id = await _drafted(store)
    with pytest.raises(TactlineError, match="needs the reply text"):
        await store.decide_draft(
            ApprovalDecision(
                draft_id=draft_id, actor="ana", at=now(), verdict=Verdict.EDIT, edited_text="  "
            )
        )
    assert (await store.draft(draft_id)).status == DraftStatus.PENDING


async def test_escalation_creates_a_new_pending_version_for_the_target_group(store: Store) -> None:
    mid, draft_id = await _drafted(store)
    outcome = await store.decide_draft(
        ApprovalDecision(
            draft_id=draft_id, actor="ana", at=now(), verdict=Verdict.ESCALATE, target_group="legal"
        )
    )
    assert outcome.new_draft_id is not None
    drafts = await store.drafts_of(mid)
    assert [(d.version, d.status) for d in drafts] == [
        (1, DraftStatus.ESCALATED),
        (2, DraftStatus.PENDING),
    ]
    pending = await store.pending_drafts()
    assert [(p.draft.id, p.group) for p in pending] == [(outcome.new_draft_id, "legal")]


async def test_retried_draft_insert_returns_the_existing_draft(store: Store) -> None:
    mid = await store.accept(make_message())
    assert mid is not None
    a = await store.add_draft(message_id=mid, text="one", group="support", model="m")
    b = await store.add_draft(message_id=mid, text="two", group="support", model="m")
    assert a.id == b.id and b.text == "one"


async def test_edit_at_the_source_makes_unposted_drafts_stale(store: Store) -> None:
    msg = make_message(message_id="99")
    mid = await store.accept(msg)
    assert mid is not None
    draft = await store.add_draft(message_id=mid, text="x", group="support", model="m")
    stale = await store.source_changed(Platform.DISCORD, "99", deleted=False, new_text="new")
    assert stale == [draft.id]
    stored = await store.message(mid)
    assert stored.edited and stored.message.text == msg.text  # the original is kept
    outcome = await store.decide_draft(
        ApprovalDecision(draft_id=draft.id, actor="ana", at=now(), verdict=Verdict.APPROVE)
    )
    assert not outcome.applied and outcome.status == DraftStatus.STALE


async def test_jobs_are_claimed_once_and_expired_leases_are_reclaimed(store: Store) -> None:
    for _ in range(3):
        await store.accept(make_message())
    a = await store.claim(worker="w1", kinds=["process"], limit=2, lease=60)
    b = await store.claim(worker="w2", kinds=["process"], limit=5, lease=60)
    assert len(a) == 2 and len(b) == 1
    assert {j.ref_id for j in a}.isdisjoint({j.ref_id for j in b})
    assert await store.claim(worker="w3", kinds=["process"], limit=5, lease=60) == []
    # w1 dies; with a lease already expired its jobs come back
    expired = await store.claim(worker="w9", kinds=["process"], limit=5, lease=-1)
    assert expired == []
    assert await store.release_claims(worker_prefix="w1") == 2
    again = await store.claim(worker="w4", kinds=["process"], limit=5, lease=60)
    assert sorted(j.ref_id for j in again) == sorted(j.ref_id for j in a)
    # the dead worker's late finish is refused: its claim was lost
    assert not await store.finish(a[0])
    assert await store.finish(again[0])


async def test_sent_outbox_marks_draft_posted_and_audits_post(store: Store) -> None:
    mid, draft_id = await _drafted(store)
    outcome = await store.decide_draft(
        ApprovalDecision(draft_id=draft_id, actor="ana", at=now(), verdict=Verdict.APPROVE)
    )
    assert outcome.outbox_id is not None
    assert await store.mark_sending(outcome.outbox_id)
    receipt = DeliveryReceipt(
        platform=Platform.DISCORD, platform_message_ids=("r1",), sent_at=now()
    )
    assert await store.mark_sent(outcome.outbox_id, receipt)
    assert not await store.mark_sent(outcome.outbox_id, receipt)
    assert (await store.draft(draft_id)).status == DraftStatus.POSTED
    events = [e["event"] for e in await store.audit_trail(mid)]
    assert events == ["received", "drafted", "approve", "posted"]


async def test_classification_round_trips(store: Store) -> None:
    mid = await store.accept(make_message())
    assert mid is not None
    c = Classification(
        language="fr",
        intent="complaint",
        sentiment=Sentiment.NEGATIVE,
        toxic=False,
        toxicity=0.12,
        flags=frozenset({"sarcasm"}),
        confidence=0.8,
        model="test",
    )
    await store.save_classification(mid, c)
    assert (await store.message(mid)).classification == c


async def test_an_id_longer_than_the_store_keeps_is_a_clear_error_on_every_database(
    store: Store,
) -> None:
    long = "9" * 129
    with pytest.raises(StoreError, match="author id is 129 characters long"):
        await store.accept(make_message("hello", author=long))
    assert await store.messages_since(datetime(2000, 1, 1, tzinfo=UTC)) == []
    assert await store.accept(make_message("hello", author="9" * 128)) is not None


async def test_a_dead_letter_keeps_a_payload_with_nul_and_a_huge_ref(store: Store) -> None:
    payload = {"text": "a\x00b", "nested": [{"k\x00": "\ud800"}], "n": 1}
    assert await store.add_dead_letter(
        platform=Platform.TELEGRAM, ref="9" * 500, payload=payload, reason="bad\x00", tries=1
    )
    [row] = await store.dead_letters()
    assert row["payload"]["text"] == "a\ufffdb" and row["payload"]["n"] == 1
    assert len(row["ref"]) == 128 and "\x00" not in row["reason"]
