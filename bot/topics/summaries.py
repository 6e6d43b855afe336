"""A period's topics written out: for a terminal, as JSON, and as a Slack summary of one topic.

Member text reaches Slack only through :mod:`bot.slack_approval.mrkdwn` (escaped: a member's
``<!channel>`` shows as text and pings nobody).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from bot.slack_approval.mrkdwn import Mrkdwn, bold, fmt, link, quote
from bot.topics.trends import trend
from bot.topics.values import Example, Topic, TopicsReport

EXAMPLE_CHARS = 280


def _mix(counts: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.most_common()) or "–"


def _clip(text: str, n: int = EXAMPLE_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= n else flat[: n - 1] + "…"


def _where(ex: Example) -> str:
    return f"{ex.platform} #{ex.channel}" if ex.channel else ex.platform


def topic_lines(tp: Topic) -> list[str]:
    lines = [
        f"#{tp.number}  {tp.label}  — {tp.size} messages ({trend(tp)}; before: {tp.previous})"
        f"  → {tp.group}",
        f"    intents: {_mix(tp.intents)} · sentiment: {_mix(tp.sentiments)}"
        f" · platforms: {_mix(tp.platforms)}",
    ]
    for ex in tp.examples:
        shown = f'    "{_clip(ex.text, 160)}" ({_where(ex)})'
        lines.append(shown + (f" {ex.permalink}" if ex.permalink else ""))
    return lines


def as_text(report: TopicsReport, *, limit: int | None = None) -> str:
    """The period's topics for a terminal, the call-outs first."""
    period = f"{report.since:%Y-%m-%d %H:%M} – {report.until:%Y-%m-%d %H:%M} UTC"
    lines = [f"{len(report.topics)} topics in {report.messages} messages, {period}"]
    if report.callouts:
        lines += ["", "New or growing complaints and bug reports:"]
        lines += [f"  ! {c}" for c in report.callouts]
    for tp in report.topics[:limit]:
        lines += ["", *topic_lines(tp)]
    hidden = len(report.topics) - len(report.topics[:limit])
    if hidden:
        lines += ["", f"… and {hidden} smaller topics (--limit to show more)"]
    if report.other:
        lines += ["", f"other: {report.other.size} messages in groups too small to be topics"]
    return "\n".join(lines)


def topic_json(tp: Topic) -> dict[str, Any]:
    return {
        "number": tp.number,
        "label": tp.label,
        "keywords": list(tp.keywords),
        "size": tp.size,
        "previous": tp.previous,
        "trend": trend(tp),
        "group": tp.group,
        "intents": dict(tp.intents.most_common()),
        "sentiments": dict(tp.sentiments.most_common()),
        "platforms": dict(tp.platforms.most_common()),
        "by_day": {d.isoformat(): n for d, n in tp.by_day.items()},
        "examples": [
            {
                "message_id": ex.message_id,
                "text": ex.text,
                "platform": ex.platform,
                "channel": ex.channel,
                "permalink": ex.permalink,
            }
            for ex in tp.examples
        ],
    }


def as_json(report: TopicsReport) -> dict[str, Any]:
    return {
        "since": report.since.isoformat(),
        "until": report.until.isoformat(),
        "messages": report.messages,
        "callouts": list(report.callouts),
        "topics": [topic_json(tp) for tp in report.topics],
        "other": report.other.size if report.other else 0,
    }


def slack_summary(tp: Topic, report: TopicsReport) -> Mrkdwn:
    """One topic for a group's approval channel: label, size, trend, three examples."""
    head = fmt(
        "{} {} — {} messages ({}; {} in the previous period)\n{} · {} · {}",
        bold("Topic:"),
        tp.label,
        tp.size,
        trend(tp),
        tp.previous,
        f"intents: {_mix(tp.intents)}",
        f"sentiment: {_mix(tp.sentiments)}",
        f"platforms: {_mix(tp.platforms)}",
    )
    period = f"{report.since:%b %d %H:%M} – {report.until:%b %d %H:%M} UTC"
    parts = [head, fmt("_{}_", period)]
    for ex in tp.examples:
        where = link(ex.permalink, _where(ex)) if ex.permalink else fmt("{}", _where(ex))
        parts.append(quote(_clip(ex.text)) + Mrkdwn("\n— ") + where)
    return Mrkdwn("\n").join(parts)


def plain_summary(tp: Topic, report: TopicsReport) -> str:
    """The same summary as plain text (printed when no Slack approval is configured)."""
    period = f"{report.since:%b %d %H:%M} – {report.until:%b %d %H:%M} UTC"
    return "\n".join([f"Topic ({period}):", *topic_lines(tp)])


def send_command(report: TopicsReport, number: int, group: str) -> str:
    """The command that sends topic ``number`` of this report to ``group``."""
    return (
        f"tactline topics --since {report.since.isoformat(timespec='seconds')} "
        f"--until {report.until.isoformat(timespec='seconds')} --send {number} --group {group}"
    )
