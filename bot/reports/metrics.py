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

from sqlalchemy import select

from bot.store import schema as t
from bot.store.store import AUTOSEND_ACTOR, Store


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

    @property
    def decided(self) -> int:
        return sum(self.verdicts.values())

    def rate(self, verdict: str) -> float | None:
        return self.verdicts[verdict] / self.decided if self.decided else None


def changed_share(before: str, after: str) -> float:
    """How much of a draft a moderator changed: 0 untouched, 1 rewritten."""
    return 1.0 - difflib.SequenceMatcher(None, before, after, autojunk=False).ratio()


async def build_report(store: Store, since: datetime, until: datetime) -> Report:
    m, d, a, o, al = t.messages.c, t.drafts.c, t.approvals.c, t.outbox.c, t.alerts.c
    async with store.connect() as conn:
        messages = [
            dict(r._mapping)
            for r in await conn.execute(
                select(
                    m.id,
                    m.platform,
                    m.channel_id,
                    m.channel_name,
                    m.sent_at,
                    m.received_at,
                    m.language,
                    m.intent,
                    m.sentiment,
                    m.toxic,
                    m.toxicity,
                    m.action,
                    m.group,
                    m.urgent,
                )
                .where(m.received_at >= since, m.received_at < until)
                .order_by(m.id)
            )
        ]
        ids = [row["id"] for row in messages]
        drafts = (
            [
                dict(r._mapping)
                for r in await conn.execute(
                    select(
                        d.id,
                        d.message_id,
                        d.version,
                        d.text,
                        d.status,
                        d.group,
                        d.created_at,
                        d.seconds,
                        d.model,
                    )
                    .where(d.message_id.in_(ids))
                    .order_by(d.id)
                )
            ]
            if ids
            else []
        )
        draft_ids = [row["id"] for row in drafts]
        approvals = (
            [
                dict(r._mapping)
                for r in await conn.execute(
                    select(
                        a.id,
                        a.draft_id,
                        a.actor,
                        a.at,
                        a.verdict,
                        a.edited_text,
                        a.reason,
                        a.target_group,
                    )
                    .where(a.draft_id.in_(draft_ids))
                    .order_by(a.id)
                )
            ]
            if draft_ids
            else []
        )
        posts = (
            [
                dict(r._mapping)
                for r in await conn.execute(
                    select(
                        o.id,
                        o.draft_id,
                        o.platform,
                        o.conversation,
                        o.status,
                        o.created_at,
                        o.sent_at,
                    )
                    .where(o.draft_id.in_(draft_ids))
                    .order_by(o.id)
                )
            ]
            if draft_ids
            else []
        )
        alerts = [
            dict(r._mapping)
            for r in await conn.execute(
                select(al.id, al.kind, al.key, al.first_at, al.last_at, al.count, al.summary)
                .where(al.first_at >= since, al.first_at < until)
                .order_by(al.id)
            )
        ]
    return compute(since, until, messages, drafts, approvals, posts, alerts)


def compute(
    since: datetime,
    until: datetime,
    messages: list[dict[str, Any]],
    drafts: list[dict[str, Any]],
    approvals: list[dict[str, Any]],
    posts: list[dict[str, Any]],
    alerts: list[dict[str, Any]],
) -> Report:
    r = Report(since=since, until=until, messages=len(messages))
    r.tables = {
        "messages": messages,
        "drafts": drafts,
        "approvals": approvals,
        "posts": posts,
        "alerts": alerts,
    }
    by_id = {row["id"]: row for row in messages}
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

    first_draft: dict[int, dict[str, Any]] = {}
    for dr in drafts:
        first_draft.setdefault(dr["message_id"], dr)
    waits: dict[str, list[float]] = defaultdict(list)
    for mid, dr in first_draft.items():
        msg = by_id[mid]
        waits[msg["platform"]].append((dr["created_at"] - msg["received_at"]).total_seconds())
    r.time_to_first_draft = {k: Timing.of(v) for k, v in sorted(waits.items())}

    draft_by_id = {dr["id"]: dr for dr in drafts}
    first_verdict: dict[int, dict[str, Any]] = {}
    for ap in approvals:
        if ap["actor"] == AUTOSEND_ACTOR:
            r.auto_sent += 1
            continue
        first_verdict.setdefault(ap["draft_id"], ap)
        r.verdicts[ap["verdict"]] += 1
        if ap["verdict"] == "reject":
            r.rejection_reasons[(ap["reason"] or "(no reason given)").strip()] += 1
    approval_waits: dict[str, list[float]] = defaultdict(list)
    for draft_id, ap in first_verdict.items():
        dr = draft_by_id[draft_id]
        approval_waits[dr["group"]].append((ap["at"] - dr["created_at"]).total_seconds())
    r.time_to_approval = {k: Timing.of(v) for k, v in sorted(approval_waits.items())}
    changes = [
        changed_share(draft_by_id[ap["draft_id"]]["text"] or "", ap["edited_text"] or "")
        for ap in approvals
        if ap["verdict"] == "edit" and ap["edited_text"] is not None
    ]
    r.edit_change = Timing.of(changes)

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
    response: dict[str, list[float]] = defaultdict(list)
    for mid, at in first_post.items():
        msg = by_id[mid]
        key = f"{msg['platform']} / {msg['group'] or '-'}"
        response[key].append((at - msg["sent_at"]).total_seconds())
    r.time_to_first_response = {k: Timing.of(v) for k, v in sorted(response.items())}

    decided_messages = {draft_by_id[ap["draft_id"]]["message_id"] for ap in first_verdict.values()}
    for msg in messages:
        if not msg["urgent"]:
            continue
        r.critical += 1
        if msg["id"] in first_post:
            r.critical_answered += 1
        if msg["id"] in first_post or msg["id"] in decided_messages:
            r.critical_handled += 1
    r.alerts = Counter(al["kind"] for al in alerts)
    return r
