"""Per week of a report's period, from stored rows only: whether Tactline is learning from its
moderators (approved unedited, how much edits change, corrections, banked replies shown), and
what answering costs them in time (card shown → decision, capped).

Weeks start on Monday (UTC) and are keyed by that day. A decision, a correction and a draft
count in the week they happened.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot.store.approvals import AUTOSEND_ACTOR
from bot.store.reporting import ReportRows

Row = dict[str, Any]
# Slack does not say how long a moderator looked at a card, only when it was posted and when
# they decided: a longer interval is someone away from the card, not working on it.
CAP_SECONDS = 15 * 60
SLOW = ("edit", "take_over")  # decisions where the moderator wrote (some of) the reply
SHOWN = "example"  # a learned_uses kind: the banked reply was in the draft's prompt


def week_of(at: datetime) -> date:
    day = at.date()
    return day - timedelta(days=day.weekday())


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


@dataclass
class Week:
    start: date  # a Monday
    decided: int = 0  # drafts given their first human verdict this week
    approved_unedited: int = 0
    edit_changes: list[float] = field(default_factory=list)  # 0..1 of a draft changed
    corrections: Counter[str] = field(default_factory=Counter)  # by intent
    drafts: int = 0
    drafts_shown_banked: int = 0  # drafts whose prompt held a banked reply
    seconds_by_group: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    decisions_by_group: Counter[str] = field(default_factory=Counter)
    decisions_timed: int = 0
    unedited_timed: int = 0  # unedited approvals with a card, the base of the time saved
    saved_seconds: float | None = None

    @property
    def unedited_share(self) -> float | None:
        return self.approved_unedited / self.decided if self.decided else None

    @property
    def median_edit_change(self) -> float | None:
        return _median(self.edit_changes)

    @property
    def shown_share(self) -> float | None:
        return self.drafts_shown_banked / self.drafts if self.drafts else None

    @property
    def seconds(self) -> float:
        return sum(self.seconds_by_group.values())


@dataclass
class Cost:
    """Moderator time over the period: card shown → decision, each capped at CAP_SECONDS."""

    seconds_by_group: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    timed: int = 0  # human decisions with a card shown before them
    untimed: int = 0  # decisions made without a card (the CLI): no start to measure from
    capped: int = 0  # decisions whose interval was longer than the cap
    slow_median: float | None = None  # edits and take-overs
    unedited_median: float | None = None  # approvals as drafted
    unedited: int = 0

    @property
    def seconds(self) -> float:
        return sum(self.seconds_by_group.values())

    @property
    def saved_per_unedited(self) -> float | None:
        if self.slow_median is None or self.unedited_median is None:
            return None
        return max(0.0, self.slow_median - self.unedited_median)

    @property
    def saved_seconds(self) -> float | None:
        per = self.saved_per_unedited
        return None if per is None else per * self.unedited


@dataclass(frozen=True, slots=True)
class Timed:
    """A human decision and the moderator time it took."""

    verdict: str
    group: str  # of the card decided on
    week: date
    seconds: float  # capped


def period_weeks(since: datetime, until: datetime) -> dict[date, Week]:
    first, last = week_of(since), week_of(until - timedelta(microseconds=1))
    weeks = {}
    day = first
    while day <= last:
        weeks[day] = Week(day)
        day += timedelta(days=7)
    return weeks


def decision_times(rows: ReportRows, draft_by_id: dict[int, Row]) -> tuple[list[Timed], int]:
    """Each human decision timed from the latest card of its message shown before it; and the
    number of decisions with no such card."""
    cards: dict[int, list[Row]] = defaultdict(list)
    for card in sorted(rows.cards, key=lambda c: c["created_at"]):
        cards[card["message_id"]].append(card)
    timed, untimed = [], 0
    for ap in rows.approvals:
        if ap["actor"] == AUTOSEND_ACTOR:
            continue
        message_id = draft_by_id[ap["draft_id"]]["message_id"]
        before = [c for c in cards[message_id] if c["created_at"] <= ap["at"]]
        if not before:
            untimed += 1
            continue
        card = before[-1]
        seconds = (ap["at"] - card["created_at"]).total_seconds()
        timed.append(Timed(ap["verdict"], card["group"], week_of(ap["at"]), seconds))
    return timed, untimed


def cost(weeks: dict[date, Week], timed: list[Timed], untimed: int) -> Cost:
    """Sum capped times per group and week; the estimate of time saved by unedited approvals:
    (median of edits and take-overs − median of unedited approvals) × unedited approvals."""
    c = Cost(untimed=untimed)
    for d in timed:
        week = weeks.setdefault(d.week, Week(d.week))
        spent = min(d.seconds, CAP_SECONDS)
        c.capped += d.seconds > CAP_SECONDS
        c.timed += 1
        c.seconds_by_group[d.group] += spent
        week.seconds_by_group[d.group] += spent
        week.decisions_by_group[d.group] += 1
        week.decisions_timed += 1
        week.unedited_timed += d.verdict == "approve"
    c.slow_median = _median([min(d.seconds, CAP_SECONDS) for d in timed if d.verdict in SLOW])
    unedited = [min(d.seconds, CAP_SECONDS) for d in timed if d.verdict == "approve"]
    c.unedited_median, c.unedited = _median(unedited), len(unedited)
    per = c.saved_per_unedited
    for week in weeks.values():
        week.saved_seconds = None if per is None else per * week.unedited_timed
    return c


def learning(
    weeks: dict[date, Week],
    rows: ReportRows,
    first_verdict: dict[int, Row],
    edits: Iterable[tuple[Row, float]],
) -> None:
    """Approved unedited among first human verdicts, edit changes, corrections by intent, and
    drafts shown a banked reply, each in its week."""

    def week(at: datetime) -> Week:
        return weeks.setdefault(week_of(at), Week(week_of(at)))

    for ap in first_verdict.values():
        w = week(ap["at"])
        w.decided += 1
        w.approved_unedited += ap["verdict"] == "approve"
    for ap, share in edits:
        week(ap["at"]).edit_changes.append(share)
    for cr in rows.corrections:
        week(cr["at"]).corrections[correction_intent(cr)] += 1
    shown = {u["draft_id"] for u in rows.uses if u["kind"] == SHOWN}
    for dr in rows.drafts:
        w = week(dr["created_at"])
        w.drafts += 1
        w.drafts_shown_banked += dr["id"] in shown


def correction_intent(cr: Row) -> str:
    """The intent a correction is counted under: the intent Tactline had read, for an intent
    correction; the message's intent, for a tone correction."""
    intent = cr["previous"] if cr["field"] == "intent" else cr["message_intent"]
    return str(intent or "(none)")


def tables(weeks: list[Week]) -> dict[str, list[Row]]:
    """The CSV tables: learning and cost per week, corrections per week and intent, moderator
    time per week and group."""
    minutes = 60.0
    return {
        "learning_weekly": [
            {
                "week": w.start,
                "decided": w.decided,
                "approved_unedited": w.approved_unedited,
                "approved_unedited_share": w.unedited_share,
                "edits": len(w.edit_changes),
                "median_edit_change": w.median_edit_change,
                "corrections": sum(w.corrections.values()),
                "drafts": w.drafts,
                "drafts_shown_banked_reply": w.drafts_shown_banked,
                "shown_banked_reply_share": w.shown_share,
            }
            for w in weeks
        ],
        "corrections_weekly": [
            {"week": w.start, "intent": intent, "corrections": n}
            for w in weeks
            for intent, n in sorted(w.corrections.items())
        ],
        "moderator_time_weekly": [
            {
                "week": w.start,
                "group": group,
                "decisions": w.decisions_by_group[group],
                "minutes": round(seconds / minutes, 2),
            }
            for w in weeks
            for group, seconds in sorted(w.seconds_by_group.items())
        ],
        "cost_weekly": [
            {
                "week": w.start,
                "decisions_timed": w.decisions_timed,
                "moderator_minutes": round(w.seconds / minutes, 2),
                "unedited_approvals": w.unedited_timed,
                "estimated_minutes_saved": None
                if w.saved_seconds is None
                else round(w.saved_seconds / minutes, 2),
            }
            for w in weeks
        ],
    }
