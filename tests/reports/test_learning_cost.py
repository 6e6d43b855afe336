"""The report's learning and cost figures, per week, from stored messages, drafts, approval
cards, decisions, label corrections and banked replies with known times."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from bot.reports.metrics import Report, build_report, changed_share
from bot.reports.render import digest, to_html, write_csv
from bot.store import Store, learned, open_store, replies
from bot.store import schema as t
from bot.store.replies import Decided, NewBanked
from tests.reports.test_report import _evaluate

W1 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
W2 = W1 + timedelta(days=7)
DRAFT = "We are sorry about the sync issue."
EDIT1 = "Sorry about the sync issue, fixed now."
DRAFT8 = "Thanks, the export is in Settings."
EDIT8 = "Thanks! Export lives under Settings > Data."


@dataclass(frozen=True)
class Case:
    mid: int
    week: datetime
    intent: str
    group: str
    verdict: str
    card_to_decision: int | None  # seconds; None: decided without a card (the CLI)
    actor: str = "U1"
    text: str = DRAFT
    edited: str | None = None


CASES = [
    Case(1, W1, "question", "community", "approve", 120),
    Case(2, W1, "question", "community", "edit", 600, edited=EDIT1),
    Case(3, W1, "legal_threat", "legal", "take_over", 1800, edited="Our lawyer will write."),
    Case(4, W1, "question", "community", "approve", 60),
    Case(5, W1, "praise", "community", "approve", None, actor="policy:autosend"),
    Case(6, W1, "question", "community", "approve", None),
    Case(7, W2, "question", "community", "reject", 300),
    Case(8, W2, "question", "community", "edit", 200, text=DRAFT8, edited=EDIT8),
]


def sent_at(c: Case) -> datetime:
    return c.week + timedelta(minutes=c.mid)


async def _insert_case(store: Store, c: Case) -> None:
    """A message, its draft (+60 s), its card (+90 s) and the decision on it."""
    sent = sent_at(c)
    card_at = sent + timedelta(seconds=90)
    decided_at = card_at + timedelta(seconds=c.card_to_decision or 300)
    async with store.begin() as conn:
        await conn.execute(
            insert(t.messages).values(
                id=c.mid,
                platform="discord",
                channel_id="help",
                channel_name="help",
                platform_message_id=f"p{c.mid}",
                author_id="a",
                author_name="a",
                author_is_bot=False,
                text=f"message {c.mid}",
                sent_at=sent,
                received_at=sent,
                raw={},
                stage="decided",
                language="en",
                intent=c.intent,
                sentiment="neutral",
                toxic=False,
                flags=[],
                action="reply",
                group=c.group,
                urgent=False,
            )
        )
        await conn.execute(
            insert(t.drafts).values(
                id=c.mid,
                message_id=c.mid,
                version=1,
                text=c.text,
                status="posted" if c.verdict != "reject" else "rejected",
                group=c.group,
                model="m",
                notes=[],
                created_at=sent + timedelta(seconds=60),
            )
        )
        if c.card_to_decision is not None:
            await conn.execute(
                insert(t.approval_cards).values(
                    message_id=c.mid,
                    draft_id=c.mid,
                    group=c.group,
                    channel="C1",
                    ts=f"{c.mid}.0",
                    created_at=card_at,
                    updated_at=card_at,
                )
            )
        await conn.execute(
            insert(t.approvals).values(
                draft_id=c.mid,
                actor=c.actor,
                at=decided_at,
                verdict=c.verdict,
                edited_text=c.edited,
                reason="tone" if c.verdict == "reject" else None,
            )
        )


async def _bank_and_use(store: Store) -> None:
    """Message 1's approval is banked; drafts 4 and 8 were shown it, draft 7 only compared."""
    async with store.begin() as conn:
        approval_id = (
            await conn.execute(select(t.approvals.c.id).where(t.approvals.c.draft_id == 1))
        ).scalar_one()
    decided = Decided(
        approval_id=approval_id,
        message_id=1,
        draft_id=1,
        verdict="approve",
        actor="U1",
        at=W1,
        reply=DRAFT,
        reason=None,
        message_text="message 1",
        language="en",
        intent="question",
        platform="discord",
        policy_version="v1",
        member_id="a",
        member_name="a",
    )
    await replies.add(store.db, [NewBanked(decided, {}, "enc", b"\0\0\0\0")])
    bank_id = (await replies.listing(store.db))[0].id
    await replies.record_uses(store.db, 4, [(bank_id, "example", 0.9)])
    await replies.record_uses(store.db, 8, [(bank_id, "example", 0.8)])
    await replies.record_uses(store.db, 7, [(bank_id, "rejected", 0.7)])


async def _correct(store: Store, mid: int, field: str, value: str, previous: str) -> None:
    at = sent_at(CASES[mid - 1]) + timedelta(hours=1)
    correction = learned.Correction(
        mid, f"message {mid}", "en", field, value, previous, "U1", "v1", at
    )
    await learned.add(store.db, correction)


async def seed(store: Store) -> None:
    for c in CASES:
        await _insert_case(store, c)
    await _bank_and_use(store)
    await _correct(store, 2, "intent", "complaint", "question")
    await _correct(store, 3, "tone", "toxic", "not_toxic")
    await _correct(store, 7, "intent", "feedback", "question")


@pytest.fixture
async def report(db_url: str) -> Report:
    store = await open_store(db_url, upgrade=True)
    try:
        await seed(store)
        return await build_report(store, W1 - timedelta(hours=1), W1 + timedelta(days=13))
    finally:
        await store.aclose()


async def test_learning_per_week(report: Report) -> None:
    w1, w2 = report.weeks
    assert (w1.start, w2.start) == (date(2026, 11, 2), date(2026, 11, 9))
    # week 1: first human verdicts on drafts 1, 2, 3, 4, 6 (5 was autosent); 1, 4, 6 as is.
    assert (w1.decided, w1.approved_unedited) == (5, 3)
    assert w1.unedited_share == pytest.approx(0.6)
    assert (w2.decided, w2.approved_unedited, w2.unedited_share) == (2, 0, 0.0)
    # the edit share reuses the report's "how much moderators edit" figure
    assert w1.edit_changes == [pytest.approx(changed_share(DRAFT, EDIT1))]
    assert w2.median_edit_change == pytest.approx(changed_share(DRAFT8, EDIT8))
    assert report.edit_change.count == 2
    # corrections by the intent Tactline had read (a tone correction: the message's intent)
    assert w1.corrections == {"question": 1, "legal_threat": 1}
    assert w2.corrections == {"question": 1}
    assert report.corrections == {"question": 2, "legal_threat": 1}
    # drafts whose prompt held a banked reply (a "rejected" comparison is not one)
    assert (w1.drafts, w1.drafts_shown_banked) == (6, 1)
    assert (w2.drafts, w2.drafts_shown_banked, w2.shown_share) == (2, 1, 0.5)


async def test_moderator_time_per_group_and_week(report: Report) -> None:
    c = report.cost
    # card → decision: 120, 600, 1800 (capped to 900), 60, 300, 200; 5 autosent, 6 no card
    assert (c.timed, c.untimed, c.capped) == (6, 1, 1)
    assert dict(c.seconds_by_group) == {"community": 120 + 600 + 60 + 300 + 200, "legal": 900}
    w1, w2 = report.weeks
    assert dict(w1.seconds_by_group) == {"community": 780, "legal": 900}
    assert w1.decisions_by_group == {"community": 3, "legal": 1}
    assert dict(w2.seconds_by_group) == {"community": 500}
    assert (w1.seconds, w2.seconds) == (1680, 500)
    # saved: (median of edits/take-overs 600, 900, 200 → 600 − median of approvals 120, 60
    # → 90) × 2 unedited approvals timed
    assert (c.slow_median, c.unedited_median, c.unedited) == (600, 90, 2)
    assert c.saved_seconds == 1020
    assert (w1.saved_seconds, w2.saved_seconds) == (1020, 0)


async def test_time_saved_is_never_negative(db_url: str) -> None:
    store = await open_store(db_url, upgrade=True)
    try:
        for c in (
            Case(1, W1, "question", "community", "approve", 800),
            Case(2, W1, "question", "community", "edit", 100, edited=EDIT1),
        ):
            await _insert_case(store, c)
        r = await build_report(store, W1 - timedelta(hours=1), W1 + timedelta(days=6))
    finally:
        await store.aclose()
    assert r.cost.saved_seconds == 0 and r.weeks[0].saved_seconds == 0
    assert len(r.weeks) == 1


async def test_html_csv_and_digest(report: Report, tmp_path: Path) -> None:
    html = to_html(report)
    assert "<h2>Learning</h2>" in html and "<h2>Cost of answering</h2>" in html
    assert "<td>Nov 02</td><td>5</td><td>60%</td>" in html
    assert "capped at 15 min per decision: Slack does not tell" in html
    assert "Drafts approved unedited saved about 17 min: the median" in html
    assert "Corrections by intent" in html and "Moderator time by group (minutes)" in html
    write_csv(report, tmp_path)

    def table(name: str) -> list[dict[str, str]]:
        with (tmp_path / f"{name}.csv").open(newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    learning = table("learning_weekly")
    assert [(r["week"], r["decided"], r["approved_unedited"]) for r in learning] == [
        ("2026-11-02", "5", "3"),
        ("2026-11-09", "2", "0"),
    ]
    assert learning[1]["shown_banked_reply_share"] == "0.5"
    assert table("corrections_weekly") == [
        {"week": "2026-11-02", "intent": "legal_threat", "corrections": "1"},
        {"week": "2026-11-02", "intent": "question", "corrections": "1"},
        {"week": "2026-11-09", "intent": "question", "corrections": "1"},
    ]
    assert table("moderator_time_weekly") == [
        {"week": "2026-11-02", "group": "community", "decisions": "3", "minutes": "13.0"},
        {"week": "2026-11-02", "group": "legal", "decisions": "1", "minutes": "15.0"},
        {"week": "2026-11-09", "group": "community", "decisions": "2", "minutes": "8.33"},
    ]
    cost = table("cost_weekly")
    assert [(r["moderator_minutes"], r["estimated_minutes_saved"]) for r in cost] == [
        ("28.0", "17.0"),
        ("8.33", "0.0"),
    ]
    text = digest(report)
    learning_line = next(ln for ln in text.splitlines() if ln.startswith("• Learning: "))
    assert "week of Nov 02: 60% approved unedited" in learning_line
    assert "2 corrections (legal_threat 1, question 1)" in learning_line
    assert "week of Nov 09: 0% approved unedited" in learning_line
    assert "50% of drafts shown a banked reply" in learning_line
    cost_line = next(ln for ln in text.splitlines() if ln.startswith("• Moderator time"))
    assert "week of Nov 02: 28 min on 4 decisions (community 13 min, legal 15 min)" in cost_line
    assert cost_line.endswith("unedited drafts saved about 17 min (estimate)")


@pytest.mark.skipif(os.environ.get("TACTLINE_SKIP_BROWSER") == "1", reason="asked to skip")
async def test_learning_and_cost_charts_render_in_a_browser(report: Report, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(to_html(report), encoding="utf-8")
    result = await _evaluate(
        page,
        """JSON.stringify([...document.querySelectorAll('figure.chart')]
        .filter(f => ['Corrections by intent', 'Moderator time by group (minutes)']
                     .includes(f.querySelector('figcaption').textContent))
        .map(f => [...f.querySelectorAll('rect.bar')]
                  .filter(e => e.getBBox().width > 0).length))""",
    )
    assert result == [2, 2]  # two intents corrected; two groups' time
