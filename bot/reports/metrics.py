"""The figures of a report, computed from the store for a period.

Rows are read once and the figures computed in Python, so SQLite and PostgreSQL give the same
numbers and each figure is a few readable lines. Times are in seconds; medians and 90th
percentiles rather than means, because a few forgotten drafts would swamp a mean.
"""

from __future__ import annotations

import difflib
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.reports import outcomes, weekly
from bot.reports.outcomes import Outcomes
from bot.reports.weekly import Cost, Week
from bot.store.approvals import AUTOSEND_ACTOR
from bot.store.outcomes import outcome_rows
from bot.store.reporting import ReportRows, report_rows
from bot.store.store import Store
from bot.topics.finder import find_topics
from bot.topics.summaries import topic_json
from bot.topics.values import TopicsReport

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Timing:
    count: int
    median: float | None
    p90: float | None

    @staticmethod
    def of(values: list[float]) -> Timing:
        if not values:
            return Timing(0, None, None)
        ordered = sorted(values)
        p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
        return Timing(len(values), statistics.median(ordered), p90)


@dataclass
class Report:
    since: datetime
    until: datetime
    messages: int = 0
    by_day_platform: dict[date, Counter[str]] = field(default_factory=dict)
    by_intent: Counter[str] = field(default_factory=Counter)
    by_day_sentiment: dict[date, Counter[str]] = field(default_factory=dict)
    toxic_share_by_day: dict[date, float] = field(default_factory=dict)
    toxic_share: float = 0.0
    time_to_first_draft: dict[str, Timing] = field(default_factory=dict)  # by platform
    time_to_approval: dict[str, Timing] = field(default_factory=dict)  # by group
    time_to_first_response: dict[str, Timing] = field(default_factory=dict)  # platform/group
    critical: int = 0
    critical_answered: int = 0  # a reply was posted
    critical_handled: int = 0  # posted, or a human decided (rejected, took over, escalated)
    verdicts: Counter[str] = field(default_factory=Counter)
    auto_sent: int = 0
    edit_change: Timing = field(default_factory=lambda: Timing(0, None, None))  # 0..1 changed
    rejection_reasons: Counter[str] = field(default_factory=Counter)
    posts_by_channel: Counter[str] = field(default_factory=Counter)
    alerts: Counter[str] = field(default_factory=Counter)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    topics: TopicsReport | None = None  # what the messages were about (bot.topics)
    weeks: list[Week] = field(default_factory=list)  # learning and cost per week (weekly.py)
    cost: Cost = field(default_factory=Cost)  # moderator time over the period
    corrections: Counter[str] = field(default_factory=Counter)  # label corrections by intent
    outcomes: Outcomes | None = None  # what our replies achieved (outcomes.py)

    @property
    def decided(self) -> int:
        return sum(self.verdicts.values())

    def rate(self, verdict: str) -> float | None:
        return self.verdicts[verdict] / self.decided if self.decided else None


def changed_share(before: str, after: str) -> float:
    """How much of a draft a moderator changed: 0 untouched, 1 rewritten."""
    return 1.0 - difflib.SequenceMatcher(None, before, after, autojunk=False).ratio()


async def build_report(store: Store, since: datetime, until: datetime) -> Report:
    r = compute(since, until, await report_rows(store.db, since, until))
    r.topics = await find_topics(store.db, since, until)
    r.tables["topics"] = topic_rows(r.topics)
    r.outcomes = outcomes.compute(await outcome_rows(store.db, since, until), until)
    r.tables.update(outcomes.tables(r.outcomes))
    return r


def topic_rows(topics: TopicsReport) -> list[Row]:
    """One row per topic for the CSV export (examples as their message ids)."""
    rows = []
    for tp in topics.topics:
        j = topic_json(tp)
        rows.append(
            {
                "topic": tp.number,
                "label": tp.label,
                "size": tp.size,
                "previous_period": tp.previous,
                "trend": j["trend"],
                "group": tp.group,
                "negative": tp.sentiments["negative"],
                "neutral": tp.sentiments["neutral"],
                "positive": tp.sentiments["positive"],
                "intents": j["intents"],
                "platforms": j["platforms"],
                "by_day": j["by_day"],
                "example_message_ids": [ex.message_id for ex in tp.examples],
            }
        )
    return rows


def compute(since: datetime, until: datetime, rows: ReportRows) -> Report:
    """Every figure of the report from the period's rows."""
    r = Report(since=since, until=until, messages=len(rows.messages))
    r.tables = {
        "messages": rows.messages,
        "drafts": rows.drafts,
        "approvals": rows.approvals,
        "posts": rows.posts,
        "alerts": rows.alerts,
    }
    by_id = {row["id"]: row for row in rows.messages}
    draft_by_id = {dr["id"]: dr for dr in rows.drafts}
    _volumes(r, rows.messages)
    r.time_to_first_draft = _time_to_first_draft(rows.drafts, by_id)
    first_verdict = _verdicts(r, rows.approvals)
    r.time_to_approval = _time_to_approval(first_verdict, draft_by_id)
    edits = _edit_changes(rows.approvals, draft_by_id)
    r.edit_change = Timing.of([share for _, share in edits])
    _weekly(r, rows, first_verdict, edits)
    first_post = _posts(r, rows.posts, draft_by_id)
    r.time_to_first_response = _time_to_first_response(first_post, by_id)
    decided = {draft_by_id[ap["draft_id"]]["message_id"] for ap in first_verdict.values()}
    _critical(r, rows.messages, set(first_post), decided)
    r.alerts = Counter(al["kind"] for al in rows.alerts)
    return r


def _edit_changes(approvals: list[Row], draft_by_id: dict[int, Row]) -> list[tuple[Row, float]]:
    """Each edit with the share of its draft it changed."""
    return [
        (ap, changed_share(draft_by_id[ap["draft_id"]]["text"] or "", ap["edited_text"] or ""))
        for ap in approvals
        if ap["verdict"] == "edit" and ap["edited_text"] is not None
    ]


def _weekly(
    r: Report, rows: ReportRows, first_verdict: dict[int, Row], edits: list[tuple[Row, float]]
) -> None:
    """Learning and moderator time per week, and their CSV tables."""
    draft_by_id = {dr["id"]: dr for dr in rows.drafts}
    weeks = weekly.period_weeks(r.since, r.until)
    weekly.learning(weeks, rows, first_verdict, edits)
    timed, untimed = weekly.decision_times(rows, draft_by_id)
    r.cost = weekly.cost(weeks, timed, untimed)
    r.weeks = [weeks[k] for k in sorted(weeks)]
    r.corrections = Counter(weekly.correction_intent(cr) for cr in rows.corrections)
    r.tables.update(weekly.tables(r.weeks))


def _volumes(r: Report, messages: list[Row]) -> None:
    """Messages per day and platform, intents, sentiment per day, the toxic share."""
    toxic_by_day: dict[date, list[bool]] = defaultdict(list)
    for row in messages:
        day = row["sent_at"].date()
        r.by_day_platform.setdefault(day, Counter())[row["platform"]] += 1
        if row["intent"]:
            r.by_intent[row["intent"]] += 1
        if row["sentiment"]:
            r.by_day_sentiment.setdefault(day, Counter())[row["sentiment"]] += 1
        if row["toxic"] is not None:
            toxic_by_day[day].append(bool(row["toxic"]))
    r.toxic_share_by_day = {k: sum(v) / len(v) for k, v in sorted(toxic_by_day.items())}
    flags = [x for v in toxic_by_day.values() for x in v]
    r.toxic_share = sum(flags) / len(flags) if flags else 0.0


def _time_to_first_draft(drafts: list[Row], by_id: dict[int, Row]) -> dict[str, Timing]:
    """From a message's arrival to its first draft, by platform."""
    first_draft: dict[int, Row] = {}
    for dr in drafts:
        first_draft.setdefault(dr["message_id"], dr)
    waits: dict[str, list[float]] = defaultdict(list)
    for mid, dr in first_draft.items():
        msg = by_id[mid]
        waits[msg["platform"]].append((dr["created_at"] - msg["received_at"]).total_seconds())
    return {k: Timing.of(v) for k, v in sorted(waits.items())}


def _verdicts(r: Report, approvals: list[Row]) -> dict[int, Row]:
    """Count human verdicts, rejection reasons and autosends; each draft's first human
    verdict."""
    first_verdict: dict[int, Row] = {}
    for ap in approvals:
        if ap["actor"] == AUTOSEND_ACTOR:
            r.auto_sent += 1
            continue
        first_verdict.setdefault(ap["draft_id"], ap)
        r.verdicts[ap["verdict"]] += 1
        if ap["verdict"] == "reject":
            r.rejection_reasons[(ap["reason"] or "(no reason given)").strip()] += 1
    return first_verdict


def _time_to_approval(
    first_verdict: dict[int, Row], draft_by_id: dict[int, Row]
) -> dict[str, Timing]:
    """From a draft to its first human verdict, by approver group."""
    waits: dict[str, list[float]] = defaultdict(list)
    for draft_id, ap in first_verdict.items():
        dr = draft_by_id[draft_id]
        waits[dr["group"]].append((ap["at"] - dr["created_at"]).total_seconds())
    return {k: Timing.of(v) for k, v in sorted(waits.items())}


def _posts(r: Report, posts: list[Row], draft_by_id: dict[int, Row]) -> dict[int, datetime]:
    """Count posts per channel; the time of each message's first post."""
    first_post: dict[int, datetime] = {}
    for p in posts:
        if p["status"] != "sent" or p["sent_at"] is None:
            continue
        mid = draft_by_id[p["draft_id"]]["message_id"]
        if mid not in first_post or p["sent_at"] < first_post[mid]:
            first_post[mid] = p["sent_at"]
        conv = p["conversation"] or {}
        r.posts_by_channel[
            f"{p['platform']} #{conv.get('channel_name') or conv.get('channel_id')}"
        ] += 1
    return first_post


def _time_to_first_response(
    first_post: dict[int, datetime], by_id: dict[int, Row]
) -> dict[str, Timing]:
    """From a message being sent to the first reply posted, by platform and group."""
    response: dict[str, list[float]] = defaultdict(list)
    for mid, at in first_post.items():
        msg = by_id[mid]
        key = f"{msg['platform']} / {msg['group'] or '-'}"
        response[key].append((at - msg["sent_at"]).total_seconds())
    return {k: Timing.of(v) for k, v in sorted(response.items())}


def _critical(r: Report, messages: list[Row], answered: set[int], decided: set[int]) -> None:
    """Urgent messages: how many, how many answered, how many handled by a human."""
    for msg in messages:
        if not msg["urgent"]:
            continue
        r.critical += 1
        if msg["id"] in answered:
            r.critical_answered += 1
        if msg["id"] in answered or msg["id"] in decided:
            r.critical_handled += 1
