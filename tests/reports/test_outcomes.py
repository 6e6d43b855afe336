"""Outcomes of a reply, from events the real SDKs recorded against the local servers: a reply
posted on each platform, then a reaction on it (Discord), a follow-up thanks (Telegram) and a
repeated complaint (Slack). The report's tables, charts and CSV show each measure."""

from __future__ import annotations

import asyncio
import csv
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from adapters.base import Adapter, Reaction
from adapters.slack import SlackCommunityAdapter
from bot.app import StoreSink
from bot.config import SlackAdapterConfig
from bot.domain import (
    Action,
    ApprovalDecision,
    Classification,
    Decision,
    Platform,
    Sentiment,
    Verdict,
)
from bot.reports.metrics import Report, build_report
from bot.reports.outcomes import reading
from bot.reports.render import to_html, write_csv
from bot.store import Store, open_store
from bot.store import schema as t
from bot.store.outcomes import NewReaction
from tests.adapters.test_discord import adapter_for as discord_adapter
from tests.adapters.test_slack_community import SECRET, post_event
from tests.adapters.test_slack_community import message as slack_message
from tests.adapters.test_telegram import adapter_for as telegram_adapter
from tests.adapters.test_telegram import eventually
from tests.reports.test_report import _evaluate
from tests.servers.discord import DiscordServer
from tests.servers.slack import SlackServer
from tests.servers.telegram import TelegramServer


@dataclass
class History:
    store: Store
    start: datetime
    ours: dict[str, str]  # platform -> the platform id of our posted reply


async def _read(store: Store, platform: Platform, text: str, intent: str, tone: str) -> int:
    """The stored message with ``text``, classified and decided as the pipeline would."""
    found = [
        s
        for s in await store.messages_since(datetime.now(UTC) - timedelta(hours=1))
        if s.message.platform == platform and s.message.text == text
    ]
    assert len(found) == 1, (platform, text)
    mid = found[0].id
    c = Classification("en", intent, Sentiment(tone), False, 0.0, frozenset(), 0.9, "test")
    await store.save_classification(mid, c)
    group = "product" if intent == "bug_report" else "community"
    await store.save_decision(mid, Decision(Action.REPLY, group, "answer", (), "v1"))
    return mid


async def _answer(store: Store, adapter: Adapter, message_id: int, text: str) -> str:
    """Draft, approve and post a reply through the adapter; our message's platform id."""
    draft = await store.add_draft(message_id=message_id, text=text, group="community", model="m")
    decided = await store.decide_draft(
        ApprovalDecision(draft.id, "U1", datetime.now(UTC), Verdict.APPROVE)
    )
    assert decided.outbox_id is not None
    item = await store.outbox_item(decided.outbox_id)
    assert await store.mark_sending(item.id)
    receipt = await adapter.send(item.reply)
    assert await store.mark_sent(item.id, receipt)
    return receipt.platform_message_ids[0]


async def _discord(store: Store, sink: CountingSink, ours: dict[str, str]) -> None:
    """A question answered; the member and another member react to our reply; our bot's own
    reaction and a reaction on the member's message are not kept."""
    server = DiscordServer()
    await server.start()
    adapter = discord_adapter(server)
    await adapter.start(sink)
    try:
        asked = await server.member_says("How do I export my notes?")
        await eventually(lambda: bool(server.history.get("10")))
        mid = await _wait_read(store, Platform.DISCORD, asked["content"], "question", "neutral")
        ours["discord"] = await _answer(store, adapter, mid, "Settings > Data > Export.")
        reply = server.posted[0]
        await server.react(reply, "👍")
        await server.react(reply, "🎉", user="43", name="sam")
        await server.react(reply, "🤖", user="99", name="inkwell")  # our bot: ignored
        await server.react(asked, "👀", user="43", name="sam")  # not our message: not kept
        await server.react(reply, "🎉", user="43", name="sam", removed=True)
        await server.react(reply, "❤️", user="43", name="sam")
        await eventually(lambda: sink.kept == 4)
    finally:
        await adapter.stop()
        await server.stop()


class CountingSink(StoreSink):
    """The app's sink, counting the reactions the store kept (tests wait on it)."""

    def __init__(self, *, store: Store) -> None:
        super().__init__(store=store)
        self.kept = 0

    async def reacted(self, reaction: Reaction) -> bool:
        kept = await super().reacted(reaction)
        self.kept += kept
        return kept


async def _wait_read(store: Store, platform: Platform, text: str, intent: str, tone: str) -> int:
    for _ in range(200):
        try:
            return await _read(store, platform, text, intent, tone)
        except AssertionError:
            await asyncio.sleep(0.05)
    return await _read(store, platform, text, intent, tone)


async def _telegram(store: Store, sink: StoreSink, ours: dict[str, str]) -> None:
    """A complaint answered; the member replies to our reply with thanks."""
    server = TelegramServer()
    await server.start()
    adapter = telegram_adapter(server)
    await adapter.start(sink)
    try:
        asked = server.push("Sync keeps failing with E1023, this is annoying")
        text = asked["message"]["text"]
        mid = await _wait_read(store, Platform.TELEGRAM, text, "complaint", "negative")
        ours["telegram"] = await _answer(store, adapter, mid, "Sorry! Update to 4.2, it is fixed.")
        server.push("Thanks, it works now!", reply_to=int(ours["telegram"]))
        await _wait_read(store, Platform.TELEGRAM, "Thanks, it works now!", "praise", "positive")
    finally:
        await adapter.stop()
        await server.stop()


async def _slack(store: Store, sink: StoreSink, ours: dict[str, str]) -> None:
    """A bug report answered in its thread; the member says it still crashes there."""
    slack = SlackServer(token="xoxb-community", users={"U_MAYA": "maya"})
    await slack.start()
    config = SlackAdapterConfig(
        enabled=True, api_base_url=slack.base_url, mode="http", listen_port=0
    )
    adapter = SlackCommunityAdapter(config, token=slack.token, signing_secret=SECRET)
    await adapter.start(sink)
    try:
        root = f"{time.time():.6f}"
        assert await post_event(adapter, slack_message("Export crashes on Android", root)) == 200
        mid = await _read(
            store, Platform.SLACK, "Export crashes on Android", "bug_report", "negative"
        )
        ours["slack"] = await _answer(store, adapter, mid, "Thanks, a fix ships Monday.")
        again = slack_message("Still crashing after the update", f"{time.time() + 1:.6f}")
        again["thread_ts"] = root
        assert await post_event(adapter, again, event_id="Ev2") == 200
        await _read(store, Platform.SLACK, again["text"], "complaint", "negative")
    finally:
        await adapter.stop()
        await slack.stop()


@pytest.fixture
async def history(db_url: str) -> AsyncIterator[History]:
    store = await open_store(db_url, upgrade=True)
    sink = CountingSink(store=store)
    start = datetime.now(UTC) - timedelta(minutes=1)
    ours: dict[str, str] = {}
    try:
        await _discord(store, sink, ours)
        await _telegram(store, sink, ours)
        await _slack(store, sink, ours)
        yield History(store, start, ours)
    finally:
        await store.aclose()


async def _report(h: History, *, days: int = 0) -> Report:
    return await build_report(h.store, h.start, datetime.now(UTC) + timedelta(days=days, minutes=1))


async def test_engagement_from_a_reaction_on_our_reply(history: History) -> None:
    o = (await _report(history)).outcomes
    assert o is not None
    discord = o.by["platform"]["discord"]
    assert (discord.replies, discord.reacted, discord.engaged, discord.answered) == (1, 1, 1, 0)
    # 👍 from the member, ❤️ from another (🎉 taken back); our bot's 🤖 is not counted
    assert (discord.reactions, discord.reactors, discord.with_reactions) == (2, 2, 1)
    assert o.by["intent"]["question"].engaged_share == 1.0


async def test_visibility_where_the_platform_gives_it(history: History) -> None:
    """Member counts recorded when each reply was posted: the Discord server's (2 in the
    local server's GUILD_CREATE), the Telegram chat's (getChatMemberCount: 250); none for
    Slack, which the community app is not allowed to ask."""
    o = (await _report(history)).outcomes
    assert o is not None
    by = o.by["platform"]
    assert (by["discord"].median_audience, by["telegram"].median_audience) == (2, 250)
    assert by["slack"].audiences == [] and by["slack"].median_audience is None
    assert o.overall.audiences == [2, 250]


async def test_satisfaction_and_resolution_from_a_follow_up_thanks(history: History) -> None:
    o = (await _report(history)).outcomes
    assert o is not None
    tg = o.by["platform"]["telegram"]
    assert (tg.answered, tg.continued, tg.wrote_again, tg.thanked) == (1, 1, 1, 1)
    assert tg.mean_sentiment_change == 2.0  # negative complaint, then positive thanks
    assert tg.thanks_share == 1.0
    assert tg.resolutions == {"thanked/confirmed": 1}
    assert o.by["intent"]["complaint"].resolved_share() == 1.0


async def test_resolution_from_a_repeated_complaint(history: History) -> None:
    o = (await _report(history)).outcomes
    assert o is not None
    slack = o.by["platform"]["slack"]
    assert (slack.answered, slack.continued, slack.wrote_again, slack.thanked) == (1, 1, 1, 0)
    assert slack.resolutions == {"repeated complaint": 1}
    assert slack.mean_sentiment_change == 0.0
    assert o.by["group"]["product"].resolutions == {"repeated complaint": 1}
    # the Discord reply had no word after it: too early now, quiet once the window is over
    assert o.by["platform"]["discord"].resolutions == {"too early": 1}
    later = (await _report(history, days=4)).outcomes
    assert later is not None
    assert later.by["platform"]["discord"].resolutions == {"went quiet": 1}
    assert later.overall.engaged == 3 and later.overall.replies == 3


async def test_outcomes_in_html_and_csv(history: History, tmp_path: Path) -> None:
    r = await _report(history)
    html = to_html(r)
    assert "<h2>Outcomes of a reply</h2>" in html
    assert "correlations, not causes" in html
    assert "do not tell a bot how many people saw a message" in html
    write_csv(r, tmp_path)
    with (tmp_path / "outcomes.csv").open(newline="", encoding="utf-8") as f:
        rows = {(row["dimension"], row["key"]): row for row in csv.DictReader(f)}
    assert rows[("all", "all")]["replies"] == "3"
    assert rows[("platform", "telegram")]["thanked_confirmed"] == "1"
    assert rows[("platform", "slack")]["repeated_complaint"] == "1"
    assert rows[("platform", "discord")]["reactions"] == "2"
    assert rows[("platform", "telegram")]["median_audience"] == "250"
    assert rows[("platform", "slack")]["median_audience"] == ""
    with (tmp_path / "outcome_replies.csv").open(newline="", encoding="utf-8") as f:
        replies = list(csv.DictReader(f))
    assert sorted(row["resolution"] for row in replies) == [
        "repeated complaint",
        "thanked/confirmed",
        "too early",
    ]


@pytest.mark.skipif(os.environ.get("TACTLINE_SKIP_BROWSER") == "1", reason="asked to skip")
async def test_outcome_charts_render_in_a_browser(history: History, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(to_html(await _report(history)), encoding="utf-8")
    result = await _evaluate(
        page,
        """JSON.stringify([...document.querySelectorAll('figure.chart')]
        .map(f => { const svg = f.querySelector('svg');
                    return {title: f.querySelector('figcaption').textContent,
                            width: svg ? svg.getBoundingClientRect().width : 0,
                            marks: svg ? [...svg.querySelectorAll('rect.bar')]
                              .filter(e => e.getBBox().width > 0).length : 0}; }))""",
    )
    assert isinstance(result, list), result
    charts = {c["title"]: c for c in result}
    engaged = charts["Replies engaged with, by platform (%)"]
    assert engaged["width"] > 300 and engaged["marks"] == 3
    assert charts["Resolution by intent (replies)"]["marks"] == 3
    assert charts["Reactions on our replies by platform"]["marks"] >= 1


@pytest.mark.parametrize(
    ("text", "intent", "tone", "expected"),
    [
        ("Thanks, it works now!", "praise", "positive", "thanks"),
        ("Merci beaucoup !", None, None, "thanks"),
        ("Ça marche maintenant", "feedback", "neutral", "confirmation"),
        ("ok, fixed", None, "neutral", "confirmation"),
        ("Thanks, but it's still broken", "feedback", "neutral", "complaint"),
        ("Toujours le même problème", None, None, "complaint"),
        ("It doesn't work", "question", "neutral", "complaint"),
        ("Where is the export button?", "question", "neutral", "other"),
        ("This is useless", "complaint", "negative", "complaint"),
    ],
)
def test_how_a_later_message_is_read(
    text: str, intent: str | None, tone: str | None, expected: str
) -> None:
    assert reading(text, intent, tone) == expected


async def test_only_reactions_on_our_replies_are_kept_once(store: Store) -> None:
    async with store.begin() as conn:
        await conn.execute(
            insert(t.messages).values(
                id=1,
                platform="telegram",
                channel_id="-100",
                platform_message_id="7",
                author_id="42",
                author_name="maya",
                author_is_bot=False,
                text="hi",
                sent_at=datetime.now(UTC),
                received_at=datetime.now(UTC),
                raw={},
            )
        )
        await conn.execute(
            insert(t.drafts).values(
                id=1,
                message_id=1,
                version=1,
                text="hello",
                status="posted",
                group="g",
                model="m",
                notes=[],
                created_at=datetime.now(UTC),
            )
        )
        await conn.execute(
            insert(t.outbox).values(
                draft_id=1,
                idempotency_key="k1",
                platform="telegram",
                conversation={"platform": "telegram", "channel_id": "-100"},
                text="hello",
                status="sent",
                attempts=1,
                receipt={"platform_message_ids": ["80", "81"], "permalink": None},
                created_at=datetime.now(UTC),
                sent_at=datetime.now(UTC),
            )
        )
    at = datetime.now(UTC)

    def on(message_id: str, channel: str = "-100") -> NewReaction:
        return NewReaction(Platform.TELEGRAM, channel, message_id, "42", "👍", at)

    assert await store.record_reaction(on("81"))  # the second part of our reply
    assert not await store.record_reaction(on("81"))  # redelivered
    assert not await store.record_reaction(on("7"))  # the member's own message
    assert not await store.record_reaction(on("8"))  # a prefix of ours is not ours
    assert not await store.record_reaction(on("80", channel="-200"))  # another chat
    async with store.connect() as conn:
        kept = (await conn.execute(select(t.reactions.c.platform_message_id))).scalars().all()
    assert kept == ["81"]
