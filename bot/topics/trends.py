"""A topic against the previous period of the same length, and what deserves a call-out.

A call-out is a topic of complaints or bug reports (at least half its messages) that is new
(nothing close in the previous period) or growing fast (at least double, and by at least
:data:`MIN_GROWTH` messages): "new this week: 14 messages about E1023 · Android · sync, 9
negative".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.topics.values import Topic

ALARMING_INTENTS = ("complaint", "bug_report")
MIN_GROWTH = 3
MIN_CALLOUT = 2  # a single message is not a topic to call out


def trend(topic: Topic) -> str:
    """``new``, ``+250%``, ``-40%`` or ``steady``."""
    if topic.is_new:
        return "new"
    change = (topic.size - topic.previous) / topic.previous
    if abs(change) < 0.1:
        return "steady"
    return f"{change:+.0%}"


def is_alarming(topic: Topic) -> bool:
    """Mostly complaints and bug reports."""
    bad = sum(topic.intents[i] for i in ALARMING_INTENTS)
    return bad * 2 >= topic.size and topic.size > 0


def is_growing_fast(topic: Topic) -> bool:
    return topic.size >= 2 * topic.previous and topic.size - topic.previous >= MIN_GROWTH


def period_name(span: timedelta) -> str:
    """How the period reads in a sentence: this week, today, in the last 3 days…"""
    if span == timedelta(days=7):
        return "this week"
    if span == timedelta(days=1):
        return "today"
    if span % timedelta(days=1) == timedelta(0):
        return f"in the last {span.days} days"
    return f"in the last {span.total_seconds() / 3600:.0f} hours"


def callout(topic: Topic, span: timedelta) -> str:
    when = period_name(span)
    what = f"{topic.size} messages about {topic.label}, {topic.negative} negative"
    if topic.is_new:
        return f"new {when}: {what}"
    return f"growing {when} ({topic.previous} → {topic.size}): {what}"


def callouts(topics: Sequence[Topic], span: timedelta) -> tuple[str, ...]:
    """The call-outs of ``topics``: new or fast-growing complaints and bug reports."""
    return tuple(
        callout(tp, span)
        for tp in topics
        if tp.size >= MIN_CALLOUT and is_alarming(tp) and (tp.is_new or is_growing_fast(tp))
    )
