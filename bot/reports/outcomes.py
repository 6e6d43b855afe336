"""Outcomes of a reply, from what Tactline sees: the member's later messages and the
reactions on our posted replies. Correlation, not causation: a member who went quiet may have
given up, and one who thanked us may have solved it alone.

For each reply posted to a message of the period:

- *engagement*: the member answered it (a message replying to it; on Slack, one in its
  thread), reacted to it, or continued the conversation (wrote again in its thread, or in
  the channel when there is no thread) within :data:`WINDOW`;
- *satisfaction*: for a member who wrote again on the platform within the window, the change
  in sentiment from the message we answered to their next one (-1 negative, 0 neutral,
  +1 positive), and whether that next message thanks us;
- *resolution*: the conversation's last word from the member is thanks or a confirmation; or
  they repeated the complaint; or it went quiet (nothing from them within the window); or they
  wrote again with neither; or it is too early to say (the window is not over);
- *visibility*: the reactions on the reply that are still there, and how many people put
  them; the member count of the channel it was posted in, where the platform gives it
  (Telegram: the chat's members; Discord: the server's, or a thread's up to 50). No platform
  tells a bot how many people saw a message: nothing is shown for views.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from bot.store.outcomes import OutcomeRows

Row = dict[str, Any]
WINDOW = timedelta(days=3)
COMPLAINING = ("complaint", "bug_report")
SCORE = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}
RESOLUTIONS = (
    "thanked/confirmed",
    "repeated complaint",
    "went quiet",
    "wrote again",
    "too early",
)
DIMENSIONS = ("platform", "intent", "group")

THANKS = re.compile(r"\b(thanks?|thank\s+you|thx|ty|cheers|merci|remerci\w*)\b|🙏", re.IGNORECASE)
CONFIRMATION = re.compile(
    r"\b(it\s+works|works\s+now|working\s+now|that\s+worked|that\s+did\s+it|fixed|solved|"
    r"sorted|resolved|all\s+good|got\s+it|ça\s+marche|ca\s+marche|ça\s+fonctionne|"
    r"ca\s+fonctionne|c'est\s+bon|résolu|resolu|réglé|regle)\b",
    re.IGNORECASE,
)
# "still broken", "doesn't work", "toujours pas": the complaint again, whatever else is said
AGAIN = re.compile(
    r"\b(still|same\s+(problem|issue|error|bug)|toujours|même\s+(problème|erreur|bug)|"
    r"not\s+(working|fixed|solved)|(doesn't|does\s+not|didn't|did\s+not)\s+work|"
    r"ne\s+(marche|fonctionne)\s+(pas|plus))\b",
    re.IGNORECASE,
)


def reading(text: str, intent: str | None, sentiment: str | None) -> str:
    """What a member's later message says about our reply: ``complaint`` (a complaining
    intent, a negative tone, or "still", "doesn't work", "toujours"…), ``thanks``,
    ``confirmation`` ("it works", "ça marche"), or ``other``."""
    if intent in COMPLAINING or sentiment == "negative" or AGAIN.search(text):
        return "complaint"
    if THANKS.search(text):
        return "thanks"
    if CONFIRMATION.search(text):
        return "confirmation"
    return "other"


@dataclass(frozen=True, slots=True)
class ReplyOutcome:
    outbox_id: int
    message_id: int
    platform: str
    intent: str
    group: str
    posted_at: datetime
    answered: bool  # the member replied to our message
    reacted: bool  # the member reacted to it (and did not take it back)
    continued: bool  # the member wrote again in the conversation within the window
    reactions: int  # reactions on it now, from anyone
    reactors: int  # people who put them
    wrote_again: bool  # the member wrote anywhere on the platform within the window
    sentiment_change: float | None  # next message's tone minus the answered one's
    thanked: bool  # that next message thanks us
    resolution: str  # one of RESOLUTIONS
    audience: int | None = None  # members of the channel it was posted in, if known

    @property
    def engaged(self) -> bool:
        return self.answered or self.reacted or self.continued


@dataclass
class Figures:
    """Outcomes of a set of replies (one platform, intent or group, or all of them)."""

    replies: int = 0
    answered: int = 0
    reacted: int = 0
    continued: int = 0
    engaged: int = 0
    wrote_again: int = 0
    sentiment_changes: list[float] = field(default_factory=list)
    thanked: int = 0
    resolutions: Counter[str] = field(default_factory=Counter)
    reactions: int = 0
    with_reactions: int = 0
    reactors: int = 0
    audiences: list[int] = field(default_factory=list)

    def add(self, o: ReplyOutcome) -> None:
        self.replies += 1
        self.answered += o.answered
        self.reacted += o.reacted
        self.continued += o.continued
        self.engaged += o.engaged
        if o.wrote_again:
            self.wrote_again += 1
            self.thanked += o.thanked
            if o.sentiment_change is not None:
                self.sentiment_changes.append(o.sentiment_change)
        self.resolutions[o.resolution] += 1
        self.reactions += o.reactions
        self.with_reactions += o.reactions > 0
        self.reactors += o.reactors
        if o.audience is not None:
            self.audiences.append(o.audience)

    @property
    def engaged_share(self) -> float | None:
        return self.engaged / self.replies if self.replies else None

    @property
    def thanks_share(self) -> float | None:
        return self.thanked / self.wrote_again if self.wrote_again else None

    @property
    def mean_sentiment_change(self) -> float | None:
        return statistics.fmean(self.sentiment_changes) if self.sentiment_changes else None

    @property
    def median_audience(self) -> float | None:
        return statistics.median(self.audiences) if self.audiences else None

    @property
    def decided(self) -> int:
        """Replies whose resolution is known (the window is over, or the member wrote)."""
        return self.replies - self.resolutions["too early"]

    def resolved_share(self) -> float | None:
        known = self.decided
        return self.resolutions["thanked/confirmed"] / known if known else None


@dataclass
class Outcomes:
    window: timedelta
    replies: list[ReplyOutcome] = field(default_factory=list)
    overall: Figures = field(default_factory=Figures)
    by: dict[str, dict[str, Figures]] = field(default_factory=dict)  # dimension -> key -> figs


def _ours(reply: Row) -> set[str]:
    return {str(i) for i in (reply["receipt"] or {}).get("platform_message_ids") or []}


def _thread_root(reply: Row) -> str | None:
    """The thread our reply is in: Slack replies start a thread on the member's message."""
    thread = reply["thread_id"]
    if reply["platform"] == "slack":
        return str(thread or reply["platform_message_id"])
    return None if thread is None else str(thread)


def _in_window(reply: Row, later: Iterable[Row], until: datetime) -> list[Row]:
    """The member's messages on the reply's platform after it, within the window. Telegram
    and Slack give whole seconds: a message in the second of our reply counts as after it."""
    start = reply["posted_at"].replace(microsecond=0)
    end = min(reply["posted_at"] + WINDOW, until)
    return [
        m
        for m in later
        if m["platform"] == reply["platform"]
        and m["author_id"] == reply["author_id"]
        and m["id"] != reply["message_id"]
        and start <= m["sent_at"] < end
    ]


def _answers(reply: Row, m: Row) -> bool:
    """``m`` answers our reply: it replies to it, or (Slack, where replies are a thread) it
    is in the thread our reply is in."""
    if m["reply_to_message_id"] in _ours(reply):
        return True
    return bool(reply["platform"] == "slack" and m["thread_id"] == _thread_root(reply))


def _in_conversation(reply: Row, m: Row) -> bool:
    """A later message of the member that continues the conversation of our reply: it
    answers our reply, or it is in the reply's thread (in the channel, when there is no
    thread) and does not answer someone else's message."""
    if m["reply_to_message_id"] in _ours(reply):
        return True
    if m["channel_id"] != reply["channel_id"] or m["thread_id"] != _thread_root(reply):
        return False
    target = m["reply_to_message_id"]  # Slack gives each message its own ts here
    return reply["platform"] == "slack" or target is None or target == reply["platform_message_id"]


def _present(reactions: Iterable[Row]) -> set[tuple[str, str]]:
    """(who, emoji) still on the message: the last event of each decides."""
    last: dict[tuple[str, str], bool] = {}
    for rc in reactions:  # oldest first
        last[(rc["user_id"], rc["emoji"])] = not rc["removed"]
    return {k for k, on in last.items() if on}


def _resolution(kinds: list[str], wrote: bool, over: bool) -> str:
    if kinds and kinds[-1] in ("thanks", "confirmation"):
        return "thanked/confirmed"
    if "complaint" in kinds:
        return "repeated complaint"
    if not wrote:
        return "went quiet" if over else "too early"
    return "wrote again"


def _audience(reply: Row, audiences: Iterable[Row]) -> int | None:
    """The member count of the reply's channel recorded nearest to when it was posted."""
    counts = [
        (abs((a["at"] - reply["posted_at"]).total_seconds()), int(a["members"]))
        for a in audiences
        if a["platform"] == reply["platform"] and a["channel_id"] == reply["channel_id"]
    ]
    return min(counts)[1] if counts else None


def outcome_of(reply: Row, later: list[Row], reactions: list[Row], until: datetime) -> ReplyOutcome:
    """One reply's outcome from the member's later messages and the reactions on it."""
    mine = _in_window(reply, later, until)
    talk = [m for m in mine if _in_conversation(reply, m)]
    kinds = [reading(m["text"], m["intent"], m["sentiment"]) for m in talk]
    present = _present(reactions)
    nxt = mine[0] if mine else None
    change = None
    if nxt is not None and nxt["sentiment"] in SCORE and reply["sentiment"] in SCORE:
        change = SCORE[nxt["sentiment"]] - SCORE[reply["sentiment"]]
    thanked = nxt is not None and reading(nxt["text"], nxt["intent"], nxt["sentiment"]) == "thanks"
    return ReplyOutcome(
        outbox_id=reply["outbox_id"],
        message_id=reply["message_id"],
        platform=reply["platform"],
        intent=reply["intent"] or "-",
        group=reply["group"] or "-",
        posted_at=reply["posted_at"],
        answered=any(_answers(reply, m) for m in talk),
        reacted=any(who == reply["author_id"] for who, _ in present),
        continued=bool(talk),
        reactions=len(present),
        reactors=len({who for who, _ in present}),
        wrote_again=nxt is not None,
        sentiment_change=change,
        thanked=thanked,
        resolution=_resolution(kinds, bool(talk), reply["posted_at"] + WINDOW <= until),
    )


def compute(rows: OutcomeRows, until: datetime) -> Outcomes:
    """Every reply's outcome, and the figures overall and per platform, intent and group."""
    reactions: dict[int, list[Row]] = defaultdict(list)
    for rc in rows.reactions:
        reactions[rc["outbox_id"]].append(rc)
    o = Outcomes(window=WINDOW)
    o.by = {d: {} for d in DIMENSIONS}
    keys: dict[str, Callable[[ReplyOutcome], str]] = {
        "platform": lambda x: x.platform,
        "intent": lambda x: x.intent,
        "group": lambda x: x.group,
    }
    for reply in rows.replies:
        one = replace(
            outcome_of(reply, rows.later, reactions[reply["outbox_id"]], until),
            audience=_audience(reply, rows.audiences),
        )
        o.replies.append(one)
        o.overall.add(one)
        for dim, key in keys.items():
            o.by[dim].setdefault(key(one), Figures()).add(one)
    return o


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 4)


def figures_row(dimension: str, key: str, f: Figures) -> Row:
    return {
        "dimension": dimension,
        "key": key,
        "replies": f.replies,
        "engaged": f.engaged,
        "engaged_share": _round(f.engaged_share),
        "answered": f.answered,
        "reacted": f.reacted,
        "continued": f.continued,
        "wrote_again": f.wrote_again,
        "mean_sentiment_change": _round(f.mean_sentiment_change),
        "thanked": f.thanked,
        "thanks_share": _round(f.thanks_share),
        **{re.sub(r"\W+", "_", r): f.resolutions[r] for r in RESOLUTIONS},
        "reactions": f.reactions,
        "replies_with_reactions": f.with_reactions,
        "reactors": f.reactors,
        "replies_with_audience": len(f.audiences),
        "median_audience": f.median_audience,
    }


def tables(o: Outcomes) -> dict[str, list[Row]]:
    """The CSV tables: one row per reply, and the figures per platform, intent and group."""
    summary = [figures_row("all", "all", o.overall)] + [
        figures_row(dim, key, f) for dim in DIMENSIONS for key, f in sorted(o.by[dim].items())
    ]
    replies = [
        {
            "outbox_id": x.outbox_id,
            "message_id": x.message_id,
            "platform": x.platform,
            "intent": x.intent,
            "group": x.group,
            "posted_at": x.posted_at,
            "answered": x.answered,
            "reacted": x.reacted,
            "continued": x.continued,
            "engaged": x.engaged,
            "wrote_again": x.wrote_again,
            "sentiment_change": x.sentiment_change,
            "thanked": x.thanked,
            "resolution": x.resolution,
            "reactions": x.reactions,
            "reactors": x.reactors,
            "audience": x.audience,
        }
        for x in o.replies
    ]
    return {"outcomes": summary, "outcome_replies": replies}
