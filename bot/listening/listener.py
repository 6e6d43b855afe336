"""Alerts the team must see at once: legal threats, safety, bad buzz, raids, operations.

The pipeline calls :meth:`Listener.observe` after each decision; ``tactline run`` calls
:meth:`Listener.check_operations` periodically. Alerts are rows of the ``alerts`` table: one
per storm, updated while it lasts (within the cooldown of its last message), re-notified only
when it has grown by the policy's factor. Notices go to the approval channel's admin alerts,
never to a community channel. Summaries are plain text with members' names and excerpts in
them: the channel escapes them (in Slack, a member's ``<!channel>`` arrives as text).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.domain import Decision, Intent
from bot.listening.detect import SHINGLE_CHARS, near_identical_authors, surge
from bot.policy import Policy
from bot.store import schema as t
from bot.store.store import Store, StoredMessage, utcnow

log = logging.getLogger(__name__)

Notify = Callable[[str], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Raised:
    """What one ``raise_alert`` call did: a new alert, a grown one, or a silent update."""

    alert_id: int
    kind: str
    key: str
    count: int
    notified: bool


def _excerpt(text: str, n: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= n else flat[: n - 1] + "…"


def _where(m: StoredMessage) -> str:
    ref = m.message.conversation
    return f"{m.message.platform} #{ref.channel_name or ref.channel_id}"


class Listener:
    def __init__(self, *, store: Store, policy: Callable[[], Policy], notify: Notify) -> None:
        self._store = store
        self._policy = policy
        self._notify = notify

    # -- the alerts table ------------------------------------------------------------------

    async def raise_alert(
        self,
        *,
        kind: str,
        key: str,
        at: datetime,
        count: int,
        summary: str,
        detail: dict[str, Any],
        cooldown: timedelta,
        grow_factor: float = 2.0,
    ) -> Raised:
        """Open an alert, or update the open one for (kind, key) if it is within cooldown.
        Two workers opening the same alert at once: the database keeps one (a unique index
        on open alerts) and the loser updates it instead, so the team is told once."""
        args = (kind, key, at, count, summary, detail, cooldown, grow_factor)
        try:
            result, row = await self._upsert_alert(*args)
        except IntegrityError:
            result, row = await self._upsert_alert(*args)
        if result.notified:
            growing = row is not None and result.alert_id == row.id
            log.warning("ALERT %s %s: %s", kind, key, summary)
            await self._notify(("[growing] " if growing else "") + summary)
        return result

    async def _upsert_alert(
        self,
        kind: str,
        key: str,
        at: datetime,
        count: int,
        summary: str,
        detail: dict[str, Any],
        cooldown: timedelta,
        grow_factor: float,
    ) -> tuple[Raised, Any]:
        async with self._store.begin() as conn:
            row = (
                await conn.execute(
                    select(t.alerts)
                    .where(
                        t.alerts.c.kind == kind,
                        t.alerts.c.key == key,
                        t.alerts.c.status == "open",
                    )
                    .order_by(t.alerts.c.id.desc())
                    .limit(1)
                    .with_for_update()
                )
            ).first()
            if row is not None and at - row.last_at <= cooldown:
                notified_at = int(row.detail.get("notified_count", row.count))
                grown = count >= notified_at * grow_factor
                new_detail = {**detail, "notified_count": count if grown else notified_at}
                await conn.execute(
                    update(t.alerts)
                    .where(t.alerts.c.id == row.id)
                    .values(
                        last_at=max(at, row.last_at),
                        count=max(count, row.count),
                        summary=summary,
                        detail=new_detail,
                    )
                )
                result = Raised(row.id, kind, key, max(count, row.count), grown)
            else:
                if row is not None:
                    await conn.execute(
                        update(t.alerts).where(t.alerts.c.id == row.id).values(status="closed")
                    )
                alert_id = (
                    await conn.execute(
                        insert(t.alerts)
                        .values(
                            kind=kind,
                            key=key,
                            status="open",
                            first_at=at,
                            last_at=at,
                            count=count,
                            summary=summary,
                            detail={**detail, "notified_count": count},
                        )
                        .returning(t.alerts.c.id)
                    )
                ).scalar_one()
                result = Raised(alert_id, kind, key, count, True)
        return result, row

    async def open_alerts(self) -> list[dict[str, Any]]:
        async with self._store.connect() as conn:
            rows = await conn.execute(
                select(t.alerts).where(t.alerts.c.status == "open").order_by(t.alerts.c.id)
            )
            return [dict(r._mapping) for r in rows]

    # -- per message ------------------------------------------------------------------------

    async def observe(self, stored: StoredMessage, decision: Decision) -> list[Raised]:
        """Run after a message was decided: immediate alerts, then surge and raid checks."""
        c = stored.classification
        if c is None:
            return []
        raised: list[Raised] = []
        at = stored.message.sent_at
        kind = None
        if c.intent == Intent.SAFETY or "safety" in c.flags:
            kind = "safety"
        elif c.intent == Intent.LEGAL_THREAT or "legal_threat" in c.flags:
            kind = "legal"
        elif (c.intent == Intent.ATTACK or c.toxic) and "hate" not in c.flags:
            # policies/README.md: attacks are flagged to the team at once (hate has its own
            # pile-up alert and an urgent counter-speech card)
            kind = "attack"
        if kind is not None:
            label = {
                "safety": "Safety message (self-harm or violence)",
                "legal": "Legal threat",
                "attack": "Attack or insult",
            }[kind]
            raised.append(
                await self.raise_alert(
                    kind=kind,
                    key=f"message:{stored.id}",
                    at=at,
                    count=1,
                    summary=(
                        f"{label} from {stored.message.author.name} in {_where(stored)}: "
                        f"“{_excerpt(stored.message.text)}” → routed to {decision.group}"
                    ),
                    detail={"message_id": stored.id, "group": decision.group},
                    cooldown=timedelta(0),
                )
            )
        negative = c.toxic or c.sentiment == "negative" or c.intent == Intent.ATTACK
        if negative and c.intent != Intent.SPAM:
            raised += await self._bad_buzz(stored, at)
        if "hate" in c.flags:
            raised += await self._hate(stored, at)
        raised += await self._flood(stored, at)
        raised += await self._raid(stored, at)
        return raised

    async def _flood(self, stored: StoredMessage, at: datetime) -> list[Raised]:
        """One member filling a channel: each message still gets its card, the team is told
        once per burst."""
        cfg = self._policy().alerts.flood
        msg = stored.message
        m = t.messages.c
        rows = await self._in_channel(stored, at, cfg.window_minutes, m.author_id)
        count = sum(1 for r in rows if r.author_id == msg.author.id)
        if count < cfg.max_messages:
            return []
        summary = (
            f"Flood: {msg.author.name} posted {count} messages in {_where(stored)} in "
            f"{cfg.window_minutes} min; each is kept and carded, nothing was hidden. "
            f"Latest: “{_excerpt(msg.text, 90)}”"
        )
        return [
            await self.raise_alert(
                kind="flood",
                key=f"flood:{msg.platform}:{msg.conversation.channel_id}:{msg.author.id}",
                at=at,
                count=count,
                summary=summary,
                detail={"author": msg.author.id, "count": count},
                cooldown=timedelta(minutes=cfg.cooldown_minutes),
                grow_factor=cfg.grow_factor,
            )
        ]

    async def _in_channel(
        self, stored: StoredMessage, at: datetime, minutes: int, *columns: Any
    ) -> Sequence[Any]:
        """These columns of the messages of the stored message's channel in the last
        ``minutes`` up to ``at``."""
        msg, m = stored.message, t.messages.c
        async with self._store.connect() as conn:
            result = await conn.execute(
                select(*columns).where(
                    m.platform == str(msg.platform),
                    m.channel_id == msg.conversation.channel_id,
                    m.sent_at > at - timedelta(minutes=minutes),
                    m.sent_at <= at,
                )
            )
            rows: Sequence[Any] = result.all()
            return rows

    async def _hate(self, stored: StoredMessage, at: datetime) -> list[Raised]:
        """Hate-flagged messages piling up in one channel."""
        cfg = self._policy().alerts.hate
        msg = stored.message
        m = t.messages.c
        rows = await self._in_channel(
            stored, at, cfg.window_minutes, m.author_name, m.text, m.flags
        )
        hateful = [r for r in rows if "hate" in (r.flags or ())]
        if len(hateful) < cfg.min_messages:
            return []
        authors = len({r.author_name for r in hateful})
        examples = [f"{r.author_name}: “{_excerpt(r.text, 90)}”" for r in hateful[-3:]]
        summary = (
            f"Hate piling up in {_where(stored)}: {len(hateful)} messages attacking people for "
            f"who they are in {cfg.window_minutes} min, from {authors} author(s). "
            "Each has a counter-speech card; the channel may need a human now. Examples: "
            + " | ".join(examples)
        )
        return [
            await self.raise_alert(
                kind="hate",
                key=f"hate:{msg.platform}:{msg.conversation.channel_id}",
                at=at,
                count=len(hateful),
                summary=summary,
                detail={"authors": authors, "examples": examples},
                cooldown=timedelta(minutes=cfg.cooldown_minutes),
                grow_factor=cfg.grow_factor,
            )
        ]

    async def _negative_count(self, where: Any, start: datetime, end: datetime) -> int:
        m = t.messages.c
        async with self._store.connect() as conn:
            n = await conn.scalar(
                select(func.count())
                .select_from(t.messages)
                .where(
                    where,
                    m.sent_at > start,
                    m.sent_at <= end,
                    or_(m.sentiment == "negative", m.toxic.is_(True)),
                    or_(m.intent.is_(None), m.intent != "spam"),
                )
            )
        return int(n or 0)

    async def _examples(self, where: Any, start: datetime, end: datetime) -> list[str]:
        m = t.messages.c
        async with self._store.connect() as conn:
            rows = await conn.execute(
                select(m.author_name, m.text)
                .where(
                    where,
                    m.sent_at > start,
                    m.sent_at <= end,
                    or_(m.sentiment == "negative", m.toxic.is_(True)),
                )
                .order_by(m.toxicity.desc(), m.sent_at.desc())
                .limit(3)
            )
            return [f"{r.author_name}: “{_excerpt(r.text, 90)}”" for r in rows]

    async def _bad_buzz(self, stored: StoredMessage, at: datetime) -> list[Raised]:
        cfg = self._policy().alerts.bad_buzz
        window = timedelta(minutes=cfg.window_minutes)
        baseline = timedelta(hours=cfg.baseline_hours)
        msg = stored.message
        m = t.messages.c
        scopes = [
            (
                f"{msg.platform}:{msg.conversation.channel_id}",
                f"in {_where(stored)}",
                and_(m.platform == str(msg.platform), m.channel_id == msg.conversation.channel_id),
            )
        ]
        if stored.classification is not None:
            intent = stored.classification.intent
            scopes.append((f"intent:{intent}", f"about {intent}", m.intent == intent))
        out = []
        for key, label, where in scopes:
            count = await self._negative_count(where, at - window, at)
            base = await self._negative_count(where, at - window - baseline, at - window)
            found = surge(count, base, cfg)
            if found is None:
                continue
            examples = await self._examples(where, at - window, at)
            ratio = "no baseline" if found.ratio == float("inf") else f"{found.ratio:.1f}× baseline"
            summary = (
                f"Bad buzz {label}: {count} negative or abusive messages in "
                f"{cfg.window_minutes} min ({ratio}). Examples: " + " | ".join(examples)
            )
            out.append(
                await self.raise_alert(
                    kind="bad_buzz",
                    key=key,
                    at=at,
                    count=count,
                    summary=summary,
                    detail={"baseline_rate": found.baseline_rate, "examples": examples},
                    cooldown=timedelta(minutes=cfg.cooldown_minutes),
                    grow_factor=cfg.grow_factor,
                )
            )
        return out

    async def _raid(self, stored: StoredMessage, at: datetime) -> list[Raised]:
        cfg = self._policy().alerts.raid
        msg = stored.message
        m = t.messages.c
        rows = await self._in_channel(
            stored,
            at,
            cfg.window_minutes,
            m.author_id,
            m.author_name,
            m.author_joined_at,
            m.sent_at,
            # Only the start of each text is compared (detect.SHINGLE_CHARS): never read more.
            func.substr(m.text, 1, SHINGLE_CHARS).label("text"),
        )
        key = f"{msg.platform}:{msg.conversation.channel_id}"
        young = timedelta(days=cfg.new_account_days)
        new_accounts = {
            r.author_id
            for r in rows
            if r.author_joined_at and r.sent_at - r.author_joined_at < young
        }
        copies = near_identical_authors(
            msg.text, [(r.author_id, r.text) for r in rows], cfg.similarity
        )
        reasons = []
        if len(new_accounts) >= cfg.min_new_accounts:
            reasons.append(
                f"{len(new_accounts)} accounts younger than {cfg.new_account_days} days posting"
            )
        if len(copies) >= cfg.similar_messages:
            reasons.append(
                f"{len(copies)} authors posting near-identical text “{_excerpt(msg.text, 80)}”"
            )
        if not reasons:
            return []
        summary = (
            f"Possible raid in {_where(stored)} within {cfg.window_minutes} min: "
            + "; ".join(reasons)
        )
        return [
            await self.raise_alert(
                kind="raid",
                key=key,
                at=at,
                count=max(len(new_accounts), len(copies)),
                summary=summary,
                detail={"new_accounts": len(new_accounts), "near_identical": len(copies)},
                cooldown=timedelta(minutes=cfg.cooldown_minutes),
            )
        ]

    # -- operations ---------------------------------------------------------------------------

    async def check_operations(self, now: datetime | None = None) -> list[Raised]:
        """Adapters down for too long, and a growing human backlog."""
        now = now or utcnow()
        policy = self._policy()
        out: list[Raised] = []
        down_after = timedelta(seconds=policy.alerts.adapters.down_after_seconds)
        for h in await self._store.health_rows():
            if h["connected"]:
                continue
            since = h.get("last_event_at") or h["updated_at"]
            if now - since < down_after and now - h["updated_at"] < down_after:
                continue
            out.append(
                await self.raise_alert(
                    kind="adapter_down",
                    key=str(h["name"]),
                    at=now,
                    count=1,
                    summary=(
                        f"Adapter {h['name']} is down"
                        + (f": {h['last_error']}" if h.get("last_error") else "")
                    ),
                    detail={"worker": h["worker"]},
                    cooldown=timedelta(minutes=policy.alerts.adapters.cooldown_minutes),
                    grow_factor=1e9,
                )
            )
        cfg = policy.alerts.backlog
        d = t.drafts.c
        async with self._store.connect() as conn:
            pending, oldest = (
                await conn.execute(
                    select(func.count(), func.min(d.created_at)).where(d.status == "pending")
                )
            ).one()
        pending = int(pending or 0)
        if pending:
            oldest_dt = oldest if oldest.tzinfo else oldest.replace(tzinfo=now.tzinfo)
            wait = now - oldest_dt
            reasons = []
            if pending >= cfg.max_pending_drafts:
                reasons.append(f"{pending} drafts await a human")
            if wait >= timedelta(minutes=cfg.max_wait_minutes):
                reasons.append(f"the oldest has waited {wait.total_seconds() / 60:.0f} min")
            if reasons:
                out.append(
                    await self.raise_alert(
                        kind="backlog",
                        key="drafts",
                        at=now,
                        count=pending,
                        summary="Backlog growing: " + ", ".join(reasons),
                        detail={"pending": pending},
                        cooldown=timedelta(minutes=cfg.cooldown_minutes),
                    )
                )
        return out


def describe_alerts(rows: Sequence[dict[str, Any]]) -> list[str]:
    return [
        f"[{r['kind']}] {r['summary']} (x{r['count']}, since {r['first_at']:%H:%M})" for r in rows
    ]
