"""Alerts the team must see at once: legal threats, safety, bad buzz, raids, operations.

The pipeline calls :meth:`Listener.observe` after each decision; ``tactline run`` calls
:meth:`Listener.check_operations` periodically. Alerts are rows of the ``alerts`` table
(:mod:`bot.store.alerts`): one per storm, updated while it lasts (within the cooldown of its
last message), re-notified only when it has grown by the policy's factor. Notices go to the
approval channel's admin alerts, never to a community channel. Summaries are plain text with
members' names and excerpts in them: the channel escapes them (in Slack, a member's
``<!channel>`` arrives as text). What the checks read of recent traffic comes from
:mod:`bot.store.traffic`; the thresholds are :mod:`bot.listening.detect`'s.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, NotRequired, TypedDict, Unpack

from bot.domain import Classification, Decision, Intent
from bot.listening.detect import SHINGLE_CHARS, near_identical_authors, surge
from bot.policy import Policy
from bot.store import alerts, drafts, traffic
from bot.store.alerts import AlertSpec, Raised
from bot.store.store import Store, StoredMessage, utcnow

log = logging.getLogger(__name__)

Notify = Callable[[str], Awaitable[object]]

_LABELS = {
    "safety": "Safety message (self-harm or violence)",
    "legal": "Legal threat",
    "attack": "Attack or insult",
}


class AlertFields(TypedDict):
    """``Listener.raise_alert``'s keywords: an :class:`~bot.store.alerts.AlertSpec`."""

    kind: str
    key: str
    at: datetime
    count: int
    summary: str
    detail: dict[str, Any]
    cooldown: timedelta
    grow_factor: NotRequired[float]


def _excerpt(text: str, n: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= n else flat[: n - 1] + "…"


def _where(m: StoredMessage) -> str:
    ref = m.message.conversation
    return f"{m.message.platform} #{ref.channel_name or ref.channel_id}"


def _channel(m: StoredMessage) -> traffic.Channel:
    return traffic.Channel(str(m.message.platform), m.message.conversation.channel_id)


def _last(minutes: int, at: datetime) -> traffic.Window:
    return traffic.Window(at - timedelta(minutes=minutes), at)


def _immediate_kind(c: Classification) -> str | None:
    """The alert a single message raises at once, if any."""
    if c.intent == Intent.SAFETY or "safety" in c.flags:
        return "safety"
    if c.intent == Intent.LEGAL_THREAT or "legal_threat" in c.flags:
        return "legal"
    if (c.intent == Intent.ATTACK or c.toxic) and "hate" not in c.flags:
        # policies/README.md: attacks are flagged to the team at once (hate has its own
        # pile-up alert and an urgent counter-speech card)
        return "attack"
    return None


class Listener:
    def __init__(self, *, store: Store, policy: Callable[[], Policy], notify: Notify) -> None:
        self._store = store
        self._policy = policy
        self._notify = notify

    # -- the alerts table ------------------------------------------------------------------

    async def raise_alert(self, **fields: Unpack[AlertFields]) -> Raised:
        """Open an alert, or update the open one for (kind, key) if it is within cooldown.
        Two workers opening the same alert at once: the database keeps one (a unique index
        on open alerts) and the loser updates it instead, so the team is told once."""
        return await self._raise(AlertSpec(**fields))

    async def _raise(self, spec: AlertSpec) -> Raised:
        done = await alerts.raise_alert(self._store.db, spec)
        if done.raised.notified:
            log.warning("ALERT %s %s: %s", spec.kind, spec.key, spec.summary)
            await self._notify(("[growing] " if done.growing else "") + spec.summary)
        return done.raised

    async def open_alerts(self) -> list[dict[str, Any]]:
        return await alerts.open_alerts(self._store.db)

    # -- per message ------------------------------------------------------------------------

    async def observe(self, stored: StoredMessage, decision: Decision) -> list[Raised]:
        """Run after a message was decided: immediate alerts, then surge and raid checks."""
        c = stored.classification
        if c is None:
            return []
        at = stored.message.sent_at
        raised = await self._immediate(stored, c, decision)
        negative = c.toxic or c.sentiment == "negative" or c.intent == Intent.ATTACK
        if negative and c.intent != Intent.SPAM:
            raised += await self._bad_buzz(stored, at)
        if "hate" in c.flags:
            raised += await self._hate(stored, at)
        raised += await self._flood(stored, at)
        raised += await self._raid(stored, at)
        return raised

    async def _immediate(
        self, stored: StoredMessage, c: Classification, decision: Decision
    ) -> list[Raised]:
        """Safety, legal threats and attacks: told at once, one alert per message."""
        kind = _immediate_kind(c)
        if kind is None:
            return []
        summary = (
            f"{_LABELS[kind]} from {stored.message.author.name} in {_where(stored)}: "
            f"“{_excerpt(stored.message.text)}” → routed to {decision.group}"
        )
        spec = AlertSpec(
            kind=kind,
            key=f"message:{stored.id}",
            at=stored.message.sent_at,
            count=1,
            summary=summary,
            detail={"message_id": stored.id, "group": decision.group},
            cooldown=timedelta(0),
        )
        return [await self._raise(spec)]

    async def _flood(self, stored: StoredMessage, at: datetime) -> list[Raised]:
        """One member filling a channel: each message still gets its card, the team is told
        once per burst."""
        cfg = self._policy().alerts.flood
        msg = stored.message
        window = _last(cfg.window_minutes, at)
        count = await traffic.posts_by(self._store.db, _channel(stored), window, msg.author.id)
        if count < cfg.max_messages:
            return []
        summary = (
            f"Flood: {msg.author.name} posted {count} messages in {_where(stored)} in "
            f"{cfg.window_minutes} min; each is kept and carded, nothing was hidden. "
            f"Latest: “{_excerpt(msg.text, 90)}”"
        )
        spec = AlertSpec(
            kind="flood",
            key=f"flood:{msg.platform}:{msg.conversation.channel_id}:{msg.author.id}",
            at=at,
            count=count,
            summary=summary,
            detail={"author": msg.author.id, "count": count},
            cooldown=timedelta(minutes=cfg.cooldown_minutes),
            grow_factor=cfg.grow_factor,
        )
        return [await self._raise(spec)]

    async def _hate(self, stored: StoredMessage, at: datetime) -> list[Raised]:
        """Hate-flagged messages piling up in one channel."""
        cfg = self._policy().alerts.hate
        msg = stored.message
        window = _last(cfg.window_minutes, at)
        hateful = await traffic.flagged(self._store.db, _channel(stored), window, "hate")
        if len(hateful) < cfg.min_messages:
            return []
        authors = len({p.author_name for p in hateful})
        examples = [f"{p.author_name}: “{_excerpt(p.text, 90)}”" for p in hateful[-3:]]
        summary = (
            f"Hate piling up in {_where(stored)}: {len(hateful)} messages attacking people for "
            f"who they are in {cfg.window_minutes} min, from {authors} author(s). "
            "Each has a counter-speech card; the channel may need a human now. Examples: "
            + " | ".join(examples)
        )
        spec = AlertSpec(
            kind="hate",
            key=f"hate:{msg.platform}:{msg.conversation.channel_id}",
            at=at,
            count=len(hateful),
            summary=summary,
            detail={"authors": authors, "examples": examples},
            cooldown=timedelta(minutes=cfg.cooldown_minutes),
            grow_factor=cfg.grow_factor,
        )
        return [await self._raise(spec)]

    async def _bad_buzz(self, stored: StoredMessage, at: datetime) -> list[Raised]:
        """Negative messages surging above their baseline, in the channel and per intent."""
        msg = stored.message
        scopes: list[tuple[str, str, traffic.Channel | traffic.IntentScope]] = [
            (
                f"{msg.platform}:{msg.conversation.channel_id}",
                f"in {_where(stored)}",
                _channel(stored),
            )
        ]
        if stored.classification is not None:
            intent = stored.classification.intent
            scopes.append((f"intent:{intent}", f"about {intent}", traffic.IntentScope(intent)))
        out = []
        for key, label, scope in scopes:
            found = await self._surge(key, label, scope, at)
            if found is not None:
                out.append(found)
        return out

    async def _surge(
        self, key: str, label: str, scope: traffic.Channel | traffic.IntentScope, at: datetime
    ) -> Raised | None:
        cfg = self._policy().alerts.bad_buzz
        db = self._store.db
        window = _last(cfg.window_minutes, at)
        baseline = traffic.Window(window.start - timedelta(hours=cfg.baseline_hours), window.start)
        count = await traffic.negative_count(db, scope, window)
        found = surge(count, await traffic.negative_count(db, scope, baseline), cfg)
        if found is None:
            return None
        examples = [
            f"{p.author_name}: “{_excerpt(p.text, 90)}”"
            for p in await traffic.negative_examples(db, scope, window)
        ]
        ratio = "no baseline" if found.ratio == float("inf") else f"{found.ratio:.1f}× baseline"
        summary = (
            f"Bad buzz {label}: {count} negative or abusive messages in "
            f"{cfg.window_minutes} min ({ratio}). Examples: " + " | ".join(examples)
        )
        spec = AlertSpec(
            kind="bad_buzz",
            key=key,
            at=at,
            count=count,
            summary=summary,
            detail={"baseline_rate": found.baseline_rate, "examples": examples},
            cooldown=timedelta(minutes=cfg.cooldown_minutes),
            grow_factor=cfg.grow_factor,
        )
        return await self._raise(spec)

    async def _raid(self, stored: StoredMessage, at: datetime) -> list[Raised]:
        """New accounts, or many authors posting near-identical text, in one channel."""
        cfg = self._policy().alerts.raid
        msg = stored.message
        # Only the start of each text is compared (detect.SHINGLE_CHARS): never read more.
        posts = await traffic.recent_posts(
            self._store.db, _channel(stored), _last(cfg.window_minutes, at), SHINGLE_CHARS
        )
        young = timedelta(days=cfg.new_account_days)
        new_accounts = {
            p.author_id
            for p in posts
            if p.author_joined_at and p.sent_at - p.author_joined_at < young
        }
        copies = near_identical_authors(
            msg.text, [(p.author_id, p.text) for p in posts], cfg.similarity
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
        spec = AlertSpec(
            kind="raid",
            key=f"{msg.platform}:{msg.conversation.channel_id}",
            at=at,
            count=max(len(new_accounts), len(copies)),
            summary=(
                f"Possible raid in {_where(stored)} within {cfg.window_minutes} min: "
                + "; ".join(reasons)
            ),
            detail={"new_accounts": len(new_accounts), "near_identical": len(copies)},
            cooldown=timedelta(minutes=cfg.cooldown_minutes),
        )
        return [await self._raise(spec)]

    # -- operations ---------------------------------------------------------------------------

    async def check_operations(self, now: datetime | None = None) -> list[Raised]:
        """Adapters down for too long, and a growing human backlog."""
        now = now or utcnow()
        out = await self._adapters_down(now)
        backlog = await self._backlog(now)
        return out + ([backlog] if backlog is not None else [])

    async def _adapters_down(self, now: datetime) -> list[Raised]:
        cfg = self._policy().alerts.adapters
        down_after = timedelta(seconds=cfg.down_after_seconds)
        out: list[Raised] = []
        for h in await self._store.health_rows():
            if h["connected"]:
                continue
            since = h.get("last_event_at") or h["updated_at"]
            if now - since < down_after and now - h["updated_at"] < down_after:
                continue
            spec = AlertSpec(
                kind="adapter_down",
                key=str(h["name"]),
                at=now,
                count=1,
                summary=(
                    f"Adapter {h['name']} is down"
                    + (f": {h['last_error']}" if h.get("last_error") else "")
                ),
                detail={"worker": h["worker"]},
                cooldown=timedelta(minutes=cfg.cooldown_minutes),
                grow_factor=1e9,
            )
            out.append(await self._raise(spec))
        return out

    async def _backlog(self, now: datetime) -> Raised | None:
        cfg = self._policy().alerts.backlog
        pending, oldest = await drafts.waiting_for_a_human(self._store.db)
        if not pending or oldest is None:
            return None
        oldest_dt = oldest if oldest.tzinfo else oldest.replace(tzinfo=now.tzinfo)
        wait = now - oldest_dt
        reasons = []
        if pending >= cfg.max_pending_drafts:
            reasons.append(f"{pending} drafts await a human")
        if wait >= timedelta(minutes=cfg.max_wait_minutes):
            reasons.append(f"the oldest has waited {wait.total_seconds() / 60:.0f} min")
        if not reasons:
            return None
        spec = AlertSpec(
            kind="backlog",
            key="drafts",
            at=now,
            count=pending,
            summary="Backlog growing: " + ", ".join(reasons),
            detail={"pending": pending},
            cooldown=timedelta(minutes=cfg.cooldown_minutes),
        )
        return await self._raise(spec)


def describe_alerts(rows: Sequence[dict[str, Any]]) -> list[str]:
    return [
        f"[{r['kind']}] {r['summary']} (x{r['count']}, since {r['first_at']:%H:%M})" for r in rows
    ]


__all__ = ["AlertFields", "Listener", "Notify", "Raised", "describe_alerts"]
