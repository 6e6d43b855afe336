"""``tactline topics``: what the community talked about in a period, grouped by meaning; and
``--send N --group G`` to post one topic's summary to that group's approval channel. The
HTML report prints, per topic, the command that sends it (its period as exact times, so the
numbers are the report's)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from bot.app import open_database
from bot.commands.policy import parse_since
from bot.config import Config, secret
from bot.errors import TactlineError
from bot.policy import load_policy
from bot.topics.finder import TopicSettings, find_topics
from bot.topics.summaries import as_json, as_text, plain_summary, slack_summary
from bot.topics.values import Topic, TopicsReport


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("topics", help="the period's messages grouped into topics by meaning")
    p.add_argument(
        "--since", default="7d", help="period: 12h, 7d, 30d…, or a start time (default 7d)"
    )
    p.add_argument("--until", help="end of the period, e.g. 2026-12-06T09:00:00+00:00 (now)")
    p.add_argument("--json", action="store_true", help="JSON instead of text")
    p.add_argument("--limit", type=int, default=15, help="topics shown (default 15)")
    p.add_argument("--language", default="en", help="the team's language for labels (en, fr)")
    p.add_argument("--send", type=int, metavar="TOPIC_NUMBER", help="post this topic's summary")
    p.add_argument("--group", help="with --send: the approver group whose channel gets it")
    p.set_defaults(handler=topics)


async def topics(args: argparse.Namespace, config: Config) -> int:
    if args.send is not None:
        _check_group(args.group, config)
    since, until = period(args.since, args.until)
    store = await open_database(config)
    try:
        report = await find_topics(
            store.db, since, until, settings=TopicSettings(language=args.language)
        )
    finally:
        await store.aclose()
    if args.send is not None:
        return await send_topic(report, args.send, args.group, config)
    if args.json:
        sys.stdout.write(json.dumps(as_json(report), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(as_text(report, limit=args.limit) + "\n")
    return 0


def period(since: str, until: str | None) -> tuple[datetime, datetime]:
    """``--since`` as a duration back from ``--until`` (now by default) or as a time."""
    end = _time("--until", until) if until else datetime.now(UTC)
    start = _time("--since", since) if since[:1].isdigit() and "-" in since else None
    if start is None:
        start = end - parse_since(since)
    if start >= end:
        raise TactlineError(f"--since {since}: the period must start before it ends ({end})")
    return start, end


def _time(option: str, value: str) -> datetime:
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise TactlineError(
            f"{option} {value!r}: use a time such as 2026-12-06T09:00:00+00:00"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _check_group(group: str | None, config: Config) -> None:
    """A group the policy has: a typo must not post to the default channel."""
    if not group:
        raise TactlineError("--send needs --group (the approver group to send the topic to)")
    groups = load_policy(config.resolve(config.policies.path)).groups
    if group not in groups:
        raise TactlineError(f"--group {group}: no such group in the policy ({', '.join(groups)})")


def _pick(report: TopicsReport, number: int) -> Topic:
    topic = report.topic(number)
    if topic is None:
        raise TactlineError(
            f"--send {number}: no such topic in this period (topics 1 to {len(report.topics)})"
        )
    return topic


async def send_topic(report: TopicsReport, number: int, group: str, config: Config) -> int:
    """Post topic ``number``'s summary to ``group``'s approval channel; print it when no
    Slack approval is configured."""
    topic = _pick(report, number)
    approval = config.approval
    if not approval.enabled:
        print(f"no Slack approval configured ([approval] enabled = false); for {group}:")
        print(plain_summary(topic, report))
        return 0
    channel = approval.channels.get(group) or approval.channel
    if not channel:
        raise TactlineError("approval.channel: set the Slack channel id for approval cards")
    from bot.slack_approval.app import slack_client
    from bot.slack_approval.out import SlackOut

    token = secret(approval.bot_token_env, what="the Slack bot token for approvals")
    out = SlackOut(slack_client(approval, token))
    try:
        await out.post(channel, slack_summary(topic, report))
    except Exception as exc:  # the SDK's own errors stay behind bot/slack_approval
        raise TactlineError(f"Slack did not take the topic summary: {exc}") from exc
    print(f"sent topic {number} ({topic.label}) to {group} in {channel}")
    return 0
