"""A report as one self-contained HTML file, as CSV tables, and as a short digest."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import date, timedelta
from html import escape
from pathlib import Path
from typing import Any

from bot.redact import redact
from bot.reports import charts
from bot.reports.metrics import Report, Timing
from bot.reports.outcomes import DIMENSIONS, RESOLUTIONS, Figures, Outcomes
from bot.reports.weekly import CAP_SECONDS, Week
from bot.topics.summaries import send_command
from bot.topics.trends import trend
from bot.topics.values import Topic, TopicsReport

SENTIMENTS = ("negative", "neutral", "positive")
TOPICS_CHARTED = 8  # more lines than this on one chart cannot be told apart
TOPICS_PER_GROUP = 3  # in the digest


def _days(r: Report) -> list[date]:
    first, last = r.since.date(), (r.until - timedelta(microseconds=1)).date()
    span = (last - first).days + 1
    return [first + timedelta(days=i) for i in range(max(span, 1))]


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.0%}"


def _timing_table(title: str, rows: dict[str, Timing], key: str) -> str:
    if not rows:
        return f"<h3>{escape(title)}</h3><p>No data in this period.</p>"
    body = "".join(
        f"<tr><td>{escape(k)}</td><td>{t.count}</td><td>{duration(t.median)}</td>"
        f"<td>{duration(t.p90)}</td></tr>"
        for k, t in rows.items()
    )
    return (
        f"<h3>{escape(title)}</h3><table><thead><tr><th>{escape(key)}</th><th>n</th>"
        f"<th>median</th><th>90th percentile</th></tr></thead><tbody>{body}</tbody></table>"
    )


def headline(r: Report) -> list[tuple[str, str]]:
    first = [t.median for t in r.time_to_first_response.values() if t.median is not None]
    return [
        ("Messages", f"{r.messages}"),
        ("Toxic share", _pct(r.toxic_share if r.messages else None)),
        ("Critical messages handled", f"{r.critical_handled}/{r.critical}"),
        ("Drafts approved as is", _pct(r.rate("approve"))),
        ("Drafts edited", _pct(r.rate("edit"))),
        ("Drafts rejected", _pct(r.rate("reject"))),
        ("Median share of a draft changed by an edit", _pct(r.edit_change.median)),
        ("Median time to first response (best platform)", duration(min(first) if first else None)),
        ("Alerts raised", f"{sum(r.alerts.values())}"),
    ]


def to_html(r: Report, *, title: str = "Tactline report") -> str:
    days = _days(r)
    labels = [d.strftime("%b %d") for d in days]
    platforms = sorted({p for c in r.by_day_platform.values() for p in c})
    empty: Counter[str] = Counter()
    volume = {p: [float(r.by_day_platform.get(d, empty)[p]) for d in days] for p in platforms}
    sentiment_share = {}
    for s in SENTIMENTS:
        values = []
        for d in days:
            c = r.by_day_sentiment.get(d)
            total = sum(c.values()) if c else 0
            values.append(c[s] / total if c and total else 0.0)
        sentiment_share[s] = values
    toxic = {"toxic share": [r.toxic_share_by_day.get(d, 0.0) for d in days]}
    figures = "".join(
        f"<div class='kpi'><div class='v'>{escape(v)}</div><div class='k'>{escape(k)}</div></div>"
        for k, v in headline(r)
    )
    verdicts = {k: float(v) for k, v in r.verdicts.most_common()}
    if r.auto_sent:
        verdicts["sent without approval (policy opt-in)"] = float(r.auto_sent)
    sections = [
        f"<section class='kpis'>{figures}</section>",
        "<h2>Volume</h2>",
        charts.stacked_bars("Messages per day by platform", labels, volume),
        charts.hbars("Messages by intent", {k: float(v) for k, v in r.by_intent.most_common()}),
        "<h2>Tone</h2>",
        charts.lines("Sentiment share per day", labels, sentiment_share, percent=True),
        charts.lines("Toxic share per day", labels, toxic, percent=True),
        *_topics_section(r.topics, days, labels),
        "<h2>Speed</h2>",
        charts.hbars(
            "Median time to first draft (minutes) by platform",
            {k: round((t.median or 0) / 60, 1) for k, t in r.time_to_first_draft.items()},
            unit=" min",
        ),
        _timing_table("Time to first draft", r.time_to_first_draft, "platform"),
        _timing_table("Time to a human decision on a draft", r.time_to_approval, "group"),
        charts.hbars(
            "Median time to first response (minutes) by platform and group",
            {k: round((t.median or 0) / 60, 1) for k, t in r.time_to_first_response.items()},
            unit=" min",
        ),
        _timing_table(
            "Time to first response (message sent → reply posted)",
            r.time_to_first_response,
            "platform / group",
        ),
        "<h2>Critical messages</h2>",
        f"<p>{r.critical} messages were flagged urgent (attacks, legal threats, safety): "
        f"{r.critical_answered} got a posted reply, {r.critical_handled} were answered or "
        "decided by a human.</p>",
        "<h2>Approvals</h2>",
        charts.hbars("Moderator decisions", verdicts),
        f"<p>Edits changed a median of {_pct(r.edit_change.median)} of the draft's text "
        f"({r.edit_change.count} edits; 90th percentile {_pct(r.edit_change.p90)}).</p>",
        charts.hbars(
            "Rejection reasons", {k: float(v) for k, v in r.rejection_reasons.most_common(10)}
        ),
        *_learning_section(r),
        *_cost_section(r),
        "<h2>Posts</h2>",
        charts.hbars(
            "Replies posted per channel",
            {k: float(v) for k, v in r.posts_by_channel.most_common(15)},
        ),
        *_outcomes_section(r.outcomes),
        "<h2>Alerts</h2>",
        charts.hbars("Alerts by kind", {k: float(v) for k, v in r.alerts.most_common()}),
        "<p class='note'>Figures describe what happened; they do not say why. A change after a "
        "policy edit is a correlation until checked.</p>",
    ]
    period = f"{r.since:%Y-%m-%d %H:%M} – {r.until:%Y-%m-%d %H:%M} UTC"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font: 14px/1.45 system-ui, sans-serif; max-width: 780px; margin: 24px auto;
       color: #222; padding: 0 12px; }}
h1 {{ margin-bottom: 0; }} h2 {{ border-bottom: 1px solid #ddd; margin-top: 32px; }}
.kpis {{ display: grid; grid-template-columns: repeat(3, 1fr); gap: 8px; }}
.kpi {{ background: #f5f7fa; border-radius: 6px; padding: 10px; }}
.kpi .v {{ font-size: 22px; font-weight: 600; }} .kpi .k {{ color: #555; font-size: 12px; }}
figure {{ margin: 16px 0; }} figcaption {{ font-weight: 600; margin-bottom: 4px; }}
svg {{ max-width: 100%; height: auto; }}
table {{ border-collapse: collapse; }} td, th {{ padding: 3px 10px; border-bottom: 1px solid #eee;
text-align: left; }} .note {{ color: #666; font-size: 12px; }}
.topics td {{ vertical-align: top; }} .topics .ex {{ font-size: 12px; color: #444; }}
.topics .send code {{ font-size: 11px; user-select: all; }}
.callouts li {{ color: #a33; }}
table.outcomes {{ font-size: 12px; margin: 8px 0 16px; }}
</style></head><body>
<h1>{escape(title)}</h1><p>{escape(period)}</p>
{"".join(sections)}
</body></html>
"""


def _link(url: str | None, text: str) -> str:
    if url and url.startswith(("https://", "http://")):
        return f"<a href='{escape(url, quote=True)}'>{escape(text)}</a>"
    return escape(text)


def _topic_row(tp: Topic, tr: TopicsReport) -> str:
    mix = ", ".join(f"{s} {tp.sentiments[s]}" for s in SENTIMENTS if tp.sentiments[s])
    examples = "<br>".join(
        _link(ex.permalink, ex.text if len(ex.text) <= 140 else ex.text[:139] + "…")
        for ex in tp.examples
    )
    return (
        f"<tr><td>#{tp.number}</td><td>{escape(tp.label)}</td><td>{tp.size}</td>"
        f"<td>{escape(trend(tp))}</td><td>{escape(tp.group)}</td><td>{escape(mix or '–')}</td>"
        f"<td>{escape(', '.join(tp.platforms))}</td><td class='ex'>{examples}</td>"
        f"<td class='send'><code>{escape(send_command(tr, tp.number, tp.group))}</code></td></tr>"
    )


def _topics_section(tr: TopicsReport | None, days: list[date], labels: list[str]) -> list[str]:
    """What the messages were about: call-outs, sizes per day, sentiment, examples."""
    if tr is None:
        return []
    if not tr.topics:
        return ["<h2>Topics</h2>", "<p>No topics in this period.</p>"]
    shown = tr.topics[:TOPICS_CHARTED]
    sizes = {
        f"#{tp.number} {tp.label}"[:22]: [float(tp.by_day.get(d, 0)) for d in days] for tp in shown
    }
    sentiment = {s: [float(tp.sentiments[s]) for tp in shown] for s in SENTIMENTS}
    callouts = "".join(f"<li>{escape(c)}</li>" for c in tr.callouts)
    other = f" {tr.other.size} messages fell in groups too small to be topics." if tr.other else ""
    return [
        "<h2>Topics</h2>",
        f"<p>{len(tr.topics)} topics in {tr.messages} messages (spam left out), grouped by "
        f"meaning across languages; trends against the previous period of the same length."
        f"{escape(other)}</p>",
        f"<ul class='callouts'>{callouts}</ul>" if callouts else "",
        charts.lines("Topic sizes per day", labels, sizes),
        charts.stacked_bars(
            "Sentiment per topic (messages)", [f"#{tp.number}" for tp in shown], sentiment
        ),
        "<table class='topics'><thead><tr><th>#</th><th>topic</th><th>messages</th>"
        "<th>trend</th><th>group</th><th>sentiment</th><th>platforms</th>"
        "<th>examples</th><th>send to its group</th></tr></thead><tbody>"
        + "".join(_topic_row(tp, tr) for tp in tr.topics[:20])
        + "</tbody></table>",
    ]


def write_csv(r: Report, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in r.tables.items():
        path = directory / f"{name}.csv"
        columns = list(rows[0]) if rows else []
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow([_cell(c) for c in columns])
            for row in rows:
                w.writerow([_cell(row[c]) for c in columns])
        written.append(path)
    path = directory / "summary.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["figure", "value"])
        w.writerows([_cell(k), _cell(v)] for k, v in headline(r))
    written.append(path)
    return written


# A cell starting with one of these is run as a formula by spreadsheets (=HYPERLINK(...),
# +cmd|..., @SUM...); members write message text and names, so every text cell is guarded.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, default=str)
    elif hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str):
        return csv_text(value)
    return value


def csv_text(text: str) -> str:
    """Text fit for a CSV cell opened in a spreadsheet: secrets redacted, and a leading ``'``
    when it would otherwise start a formula (the spreadsheet shows the text as written)."""
    text = redact(text)
    return "'" + text if text.startswith(FORMULA_START) else text


def digest(r: Report) -> str:
    lines = [f"*Tactline weekly digest* ({r.since:%b %d} – {r.until:%b %d})"]
    lines += [f"• {k}: {v}" for k, v in headline(r)]
    top = ", ".join(f"{k} {v}" for k, v in r.by_intent.most_common(3))
    if top:
        lines.append(f"• Top intents: {top}")
    lines += [_digest_learning(r.weeks), _digest_cost(r)]
    lines += _digest_topics(r.topics)
    lines.append("Full report: `tactline report --since 7d --out report.html`")
    return "\n".join(lines)


def _digest_topics(tr: TopicsReport | None) -> list[str]:
    """The top topics per approver group, and the call-outs."""
    if tr is None or not tr.topics:
        return []
    by_group: dict[str, list[Topic]] = {}
    for tp in tr.topics:  # largest first
        by_group.setdefault(tp.group, []).append(tp)
    lines = []
    for group in sorted(by_group):
        top = "; ".join(
            f"{tp.label} ({tp.size}, {trend(tp)})" for tp in by_group[group][:TOPICS_PER_GROUP]
        )
        lines.append(f"• Top topics for {group}: {top}")
    lines += [f"• ⚠ {c}" for c in tr.callouts]
    return lines


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _week(w: Week) -> str:
    return f"{w.start:%b %d}"


def _corrections(c: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))


def _learning_row(w: Week) -> str:
    return (
        f"<tr><td>{_week(w)}</td><td>{w.decided}</td><td>{_pct(w.unedited_share)}</td>"
        f"<td>{_pct(w.median_edit_change)} ({_n(len(w.edit_changes), 'edit')})</td>"
        f"<td>{sum(w.corrections.values())}</td><td>{escape(_corrections(w.corrections))}</td>"
        f"<td>{_pct(w.shown_share)} ({w.drafts_shown_banked}/{w.drafts})</td></tr>"
    )


def _learning_section(r: Report) -> list[str]:
    """Is Tactline learning from its moderators? The same figures week after week."""
    return [
        "<h2>Learning</h2>",
        "<p>Per week (Monday, UTC): the drafts given a first human decision and the share "
        "approved as drafted, the median share of a draft an edit changed, the moderators' "
        "corrections of how a message was read (by the intent Tactline had read; a tone "
        "correction by the message's intent), and the drafts whose prompt held a banked reply. "
        "More approved unedited, smaller edits and fewer corrections mean Tactline is "
        "learning. Banked replies an admin made Tactline forget no longer count as shown.</p>",
        "<table class='learning'><thead><tr><th>week of</th><th>decided</th>"
        "<th>approved unedited</th><th>median share changed by an edit</th>"
        "<th>corrections</th><th>by intent</th><th>drafts shown a banked reply</th></tr>"
        "</thead><tbody>" + "".join(_learning_row(w) for w in r.weeks) + "</tbody></table>",
        charts.hbars(
            "Corrections by intent", {k: float(v) for k, v in r.corrections.most_common(10)}
        ),
    ]


def _minutes(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds / 60:.0f} min"


def _cost_row(w: Week) -> str:
    groups = ", ".join(
        f"{g} {_minutes(s)} ({w.decisions_by_group[g]})"
        for g, s in sorted(w.seconds_by_group.items())
    )
    return (
        f"<tr><td>{_week(w)}</td><td>{w.decisions_timed}</td><td>{_minutes(w.seconds)}</td>"
        f"<td>{escape(groups or '–')}</td><td>{_minutes(w.saved_seconds)}</td></tr>"
    )


def _cost_section(r: Report) -> list[str]:
    """Moderator time, card shown → decision, and the estimate of time unedited drafts saved."""
    c = r.cost
    cap = _minutes(CAP_SECONDS)
    return [
        "<h2>Cost of answering</h2>",
        f"<p>Moderators spent {_minutes(c.seconds)} on {_n(c.timed, 'decision')}, counted "
        f"from the approval card being posted to the decision and capped at {cap} per "
        "decision: Slack does not tell how long someone actually looked at a card "
        f"({_n(c.capped, 'decision')} took longer than the cap; "
        f"{_n(c.untimed, 'decision')} made without a card, as from the command line, not "
        "counted).</p>",
        f"<p>Drafts approved unedited saved about {_minutes(c.saved_seconds)}: the median "
        f"time of decisions that edited or took over ({duration(c.slow_median)}) minus the "
        f"median time of unedited approvals ({duration(c.unedited_median)}), never below "
        f"zero, times the {_n(c.unedited, 'unedited approval')} (per week, times that "
        "week's).</p>",
        charts.hbars(
            "Moderator time by group (minutes)",
            {g: round(s / 60, 1) for g, s in sorted(c.seconds_by_group.items())},
            unit=" min",
        ),
        "<table class='cost'><thead><tr><th>week of</th><th>decisions</th>"
        "<th>moderator time</th><th>by group (decisions)</th><th>saved (estimate)</th></tr>"
        "</thead><tbody>" + "".join(_cost_row(w) for w in r.weeks) + "</tbody></table>",
    ]


def _digest_learning(weeks: list[Week]) -> str:
    parts = [
        f"week of {_week(w)}: {_pct(w.unedited_share)} approved unedited, edits changed "
        f"{_pct(w.median_edit_change)}, {_n(sum(w.corrections.values()), 'correction')}"
        + (f" ({_corrections(w.corrections)})" if w.corrections else "")
        + f", {_pct(w.shown_share)} of drafts shown a banked reply"
        for w in weeks
    ]
    return "• Learning: " + "; ".join(parts)


def _digest_cost(r: Report) -> str:
    parts = [
        f"week of {_week(w)}: {_minutes(w.seconds)} on {w.decisions_timed} decisions"
        + (
            " ("
            + ", ".join(f"{g} {_minutes(s)}" for g, s in sorted(w.seconds_by_group.items()))
            + ")"
            if w.seconds_by_group
            else ""
        )
        for w in r.weeks
    ]
    return (
        f"• Moderator time (card → decision, capped at {_minutes(CAP_SECONDS)}): "
        + "; ".join(parts)
        + f"; unedited drafts saved about {_minutes(r.cost.saved_seconds)} (estimate)"
    )


def _change(v: float | None) -> str:
    return "–" if v is None else f"{v:+.2f}"


def _engagement_row(dimension: str, key: str, f: Figures) -> str:
    return (
        f"<tr><td>{escape(dimension)}</td><td>{escape(key)}</td><td>{f.replies}</td>"
        f"<td>{_pct(f.engaged_share)}</td><td>{f.answered}</td><td>{f.reacted}</td>"
        f"<td>{f.continued}</td><td>{f.wrote_again}</td>"
        f"<td>{_change(f.mean_sentiment_change)}</td><td>{_pct(f.thanks_share)}</td></tr>"
    )


def _members(f: Figures) -> str:
    """The median member count of the channels replied in, where the platform gives it."""
    return "–" if f.median_audience is None else f"{f.median_audience:g}"


def _resolution_row(dimension: str, key: str, f: Figures) -> str:
    counts = "".join(f"<td>{f.resolutions[k]}</td>" for k in RESOLUTIONS)
    return (
        f"<tr><td>{escape(dimension)}</td><td>{escape(key)}</td>{counts}"
        f"<td>{f.reactions}</td><td>{f.with_reactions}</td><td>{f.reactors}</td>"
        f"<td>{_members(f)}</td></tr>"
    )


def _outcome_tables(o: Outcomes) -> list[str]:
    """Two tables, each fit for the page: engagement and satisfaction; resolution and
    reactions; one row per platform, intent and group."""
    keyed = [(d, k, fig) for d in DIMENSIONS for k, fig in sorted(o.by[d].items())]
    heads = "".join(f"<th>{escape(k)}</th>" for k in RESOLUTIONS)
    return [
        "<table class='outcomes'><thead><tr><th>by</th><th></th><th>replies</th>"
        "<th>engaged</th><th>answered</th><th>reacted</th><th>continued</th>"
        "<th>wrote again</th><th>tone change</th><th>thanked</th></tr></thead><tbody>"
        + "".join(_engagement_row(*row) for row in keyed)
        + "</tbody></table>",
        f"<table class='outcomes'><thead><tr><th>by</th><th></th>{heads}<th>reactions</th>"
        "<th>replies with one</th><th>people</th><th>audience</th></tr></thead><tbody>"
        + "".join(_resolution_row(*row) for row in keyed)
        + "</tbody></table>",
    ]


def _outcomes_section(o: Outcomes | None) -> list[str]:
    """What our replies achieved, per platform, intent and group: engagement, satisfaction,
    resolution and reactions, with what each means and that it is correlation only."""
    if o is None:
        return []
    head = ["<h2>Outcomes of a reply</h2>"]
    if not o.replies:
        return [*head, "<p>No reply was posted to this period's messages.</p>"]
    f, days = o.overall, o.window.days
    replies = "reply" if f.replies == 1 else "replies"
    by_platform = o.by["platform"]
    intents = sorted(o.by["intent"])
    resolution = {
        k: [float(o.by["intent"][i].resolutions[k]) for i in intents] for k in RESOLUTIONS
    }
    return [
        *head,
        "<p class='note'>Measured only from what Tactline sees: the member's later messages "
        "and the reactions the platforms report on our replies. These are correlations, not "
        "causes: a member who went quiet may have given up, one who thanked us may have "
        "solved it alone.</p>",
        f"<p>Of {f.replies} {replies} posted, {f.engaged} ({_pct(f.engaged_share)}) were "
        f"engaged with within {days} days: {f.answered} answered by the member, {f.reacted} "
        f"reacted to by them, {f.continued} followed by more from them in the conversation. "
        f"{_n(f.wrote_again, 'member')} wrote again within {days} days: their tone moved by "
        f"{_change(f.mean_sentiment_change)} on average (-1 negative, 0 neutral, +1 positive) "
        f"and {_pct(f.thanks_share)} thanked us. Resolution, by the member's last word in the "
        "conversation: "
        + escape(", ".join(f"{k} {f.resolutions[k]}" for k in RESOLUTIONS))
        + ". <span class='note'>Thanked/confirmed: their last word there thanks us or says it "
        "works; repeated complaint: they complained again (a complaint or bug report, a "
        "negative tone, or words such as 'still' or 'toujours'); went quiet: nothing more "
        f"from them within {days} days; too early: posted less than {days} days before the "
        "end of the period.</span></p>",
        f"<p>Visibility: {_n(f.reactions, 'reaction')} on {f.with_reactions} of our replies, "
        f"from {f.reactors} {'person' if f.reactors == 1 else 'people'} (counted per reply). "
        "Discord, Telegram and Slack do not tell a bot how many people saw a message, so no "
        f"views are shown. Audience: {len(f.audiences)} of our replies were posted where the "
        f"platform gave the member count, a median of {_members(f)} members (Telegram: the "
        "chat's members; Discord: the server's, or a thread's, which Discord counts up to 50; "
        "Slack: not asked, the community app has no channels:read scope).</p>",
        charts.hbars(
            "Replies engaged with, by platform (%)",
            {k: round(100 * (v.engaged_share or 0), 1) for k, v in sorted(by_platform.items())},
            unit="%",
        ),
        charts.stacked_bars("Resolution by intent (replies)", intents, resolution, counts=True),
        charts.hbars(
            "Reactions on our replies by platform",
            {k: float(v.reactions) for k, v in sorted(by_platform.items())},
        ),
        *_outcome_tables(o),
    ]
