"""Synthetic traffic with known surges through the real store: which alerts fire, and which
do not (a calm period fires none)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain import Author, Classification, ConversationRef, InboundMessage, Platform, Sentiment
from bot.listening.detect import similarity, surge
from bot.listening.listener import Listener
from bot.policy import decide, load_policy
from bot.policy.schema import BadBuzz
from bot.store import Store, open_store
from tests.policy.helpers import REPO

POLICY = load_policy(REPO / "policies")
T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


@dataclass
class Inbox:
    notices: list[str] = field(default_factory=list)

    async def __call__(self, text: str) -> None:
        self.notices.append(text)


@pytest.fixture
async def setup(db_url: str) -> AsyncIterator[tuple[Store, Listener, Inbox]]:
    store = await open_store(db_url, upgrade=True)
    inbox = Inbox()
    yield store, Listener(store=store, policy=lambda: POLICY, notify=inbox), inbox
    await store.aclose()


class Traffic:
    def __init__(self, store: Store, listener: Listener) -> None:
        self.store, self.listener, self.n = store, listener, 0

    async def say(
        self,
        text: str,
        at: datetime,
        *,
        intent: str = "question",
        sentiment: Sentiment = Sentiment.NEUTRAL,
        toxic: bool = False,
        flags: frozenset[str] = frozenset(),
        channel: str = "general",
        author: str | None = None,
        joined: datetime | None = None,
    ) -> list[str]:
        self.n += 1
        who = author or f"user{self.n}"
        msg = InboundMessage(
            platform=Platform.DISCORD,
            platform_message_id=f"m{self.n}",
            conversation=ConversationRef(Platform.DISCORD, channel, channel_name=channel),
            author=Author(id=who, name=who, joined_at=joined),
            text=text,
            sent_at=at,
        )
        mid = await self.store.accept(msg)
        assert mid is not None
        c = Classification("en", intent, sentiment, toxic, 0.9 if toxic else 0.1, flags, 0.9)
        await self.store.save_classification(mid, c)
        d = decide(POLICY, msg, c)
        await self.store.save_decision(mid, d)
        raised = await self.listener.observe(await self.store.message(mid), d)
        return [r.kind for r in raised if r.notified]


def test_surge_thresholds() -> None:
    cfg = BadBuzz(window_minutes=15, baseline_hours=24, min_messages=5, ratio=3.0)
    assert surge(4, 0, cfg) is None  # too few
    assert surge(5, 0, cfg) is not None  # no baseline: the minimum decides
    # 96 windows in 24 h; 192 negative messages a day is 2 per window: 5 is only 2.5x.
    assert surge(5, 192, cfg) is None
    s = surge(6, 192, cfg)
    assert s is not None and s.ratio == pytest.approx(3.0)


def test_similarity() -> None:
    a = "This app stole my data, everyone uninstall it now!!"
    assert similarity(a, "this app stole my data everyone uninstall it now") == 1.0
    assert similarity(a, "How do I export my notes?") == 0.0


async def test_calm_day_fires_nothing(setup: tuple[Store, Listener, Inbox]) -> None:
    store, listener, inbox = setup
    traffic = Traffic(store, listener)
    # A day of ordinary traffic: mostly questions, a complaint now and then.
    for i in range(60):
        at = T0 + timedelta(minutes=20 * i)
        if i % 6 == 0:
            await traffic.say(
                "sync is slow again", at, intent="complaint", sentiment=Sentiment.NEGATIVE
            )
        else:
            await traffic.say(f"how do I do thing {i}?", at)
    assert inbox.notices == []
    assert await listener.open_alerts() == []


async def test_pile_on_is_one_alert_updated_as_it_grows(
    setup: tuple[Store, Listener, Inbox],
) -> None:
    store, listener, inbox = setup
    traffic = Traffic(store, listener)
    for i in range(12):  # baseline: one complaint every two hours
        await traffic.say(
            "meh", T0 - timedelta(hours=2 * i + 1), intent="complaint", sentiment=Sentiment.NEGATIVE
        )
    fired: list[str] = []
    texts = [
        "this update is a disaster",
        "worst release ever",
        "you broke everything",
        "unacceptable, I lost my notes",
        "cancelling my subscription",
        "shame on you",
        "still broken??",
        "refund me",
        "garbage app",
        "what a mess",
        "I'm done",
        "awful",
    ]
    for i, text in enumerate(texts):
        fired += await traffic.say(
            text, T0 + timedelta(seconds=30 * i), intent="complaint", sentiment=Sentiment.NEGATIVE
        )
    # The 5th message opens the alerts (channel and intent), the 10th doubles them.
    assert fired.count("bad_buzz") == 4
    alerts = [a for a in await listener.open_alerts() if a["kind"] == "bad_buzz"]
    assert {a["key"] for a in alerts} == {"discord:general", "intent:complaint"}
    assert all(a["count"] == 12 for a in alerts)
    assert "Bad buzz in discord #general: 5 negative" in inbox.notices[0]
    assert inbox.notices[2].startswith("[growing] Bad buzz")
    # Cooldown: an hour later the storm is over; a single complaint fires nothing.
    assert (
        await traffic.say(
            "meh", T0 + timedelta(hours=2), intent="complaint", sentiment=Sentiment.NEGATIVE
        )
        == []
    )


async def test_praise_never_makes_bad_buzz(setup: tuple[Store, Listener, Inbox]) -> None:
    store, listener, inbox = setup
    traffic = Traffic(store, listener)
    for i in range(20):
        await traffic.say(
            "love it", T0 + timedelta(seconds=10 * i), intent="praise", sentiment=Sentiment.POSITIVE
        )
    assert inbox.notices == []


async def test_legal_and_safety_alert_at_once(setup: tuple[Store, Listener, Inbox]) -> None:
    store, listener, inbox = setup
    traffic = Traffic(store, listener)
    assert await traffic.say(
        "my lawyer will call you", T0, intent="legal_threat", flags=frozenset({"legal_threat"})
    ) == ["legal"]
    assert await traffic.say(
        "I want to end it", T0, intent="safety", sentiment=Sentiment.NEGATIVE
    ) == ["safety"]
    assert "Legal threat from" in inbox.notices[0] and "routed to legal" in inbox.notices[0]
    assert "routed to oncall" in inbox.notices[1]


async def test_raid_of_new_accounts_with_copied_text(
    setup: tuple[Store, Listener, Inbox],
) -> None:
    store, listener, _inbox = setup
    traffic = Traffic(store, listener)
    fired: list[str] = []
    for i in range(5):
        fired += await traffic.say(
            "Inkwell sells your notes to advertisers, uninstall now!",
            T0 + timedelta(seconds=20 * i),
            joined=T0 - timedelta(days=1),
            channel="announcements",
        )
    assert fired == ["raid"]  # one storm, one alert
    [raid] = [a for a in await listener.open_alerts() if a["kind"] == "raid"]
    assert raid["detail"]["new_accounts"] == 5
    assert "near-identical" in raid["summary"] and "younger than 7 days" in raid["summary"]


async def test_backlog_and_adapter_down(setup: tuple[Store, Listener, Inbox]) -> None:
    store, listener, inbox = setup
    traffic = Traffic(store, listener)
    await traffic.say("how?", T0)
    assert await store.pending_drafts() == []  # nothing drafted yet: no backlog
    mid = (await store.messages_since(T0 - timedelta(days=1)))[0].id
    await store.add_draft(message_id=mid, text="hi", group="community", model="m")
    later = datetime.now(UTC) + timedelta(hours=3)
    await store.save_health(
        name="discord",
        worker="w1",
        connected=False,
        last_event_at=None,
        last_error="401 invalid token",
    )
    kinds = sorted(r.kind for r in await listener.check_operations(later))
    assert kinds == ["adapter_down", "backlog"]
    assert any("Adapter discord is down: 401 invalid token" in n for n in inbox.notices)
    assert any("the oldest has waited" in n for n in inbox.notices)
    again = await listener.check_operations(later + timedelta(minutes=1))
    assert not any(r.notified for r in again)  # cooldown: told once


async def test_weekly_digest_is_posted_once_per_week(db_url: str, tmp_path: Path) -> None:
    from bot.app import open_app
    from bot.config import Config, DatabaseConfig, PoliciesConfig
    from bot.runtime import post_digest_if_due
    from tests.doubles import RuleClassifier, TemplateDrafter

    class Channel:
        def __init__(self) -> None:
            self.alerts: list[str] = []

        async def message_decided(self, *a: object) -> None: ...
        async def draft_ready(self, *a: object) -> None: ...
        async def drafting_delayed(self, *a: object) -> None: ...
        async def burst_grew(self, *a: object) -> None: ...
        async def delivery_result(self, *a: object) -> None: ...

        async def admin_alert(self, text: str) -> None:
            self.alerts.append(text)

    await (await open_store(db_url, upgrade=True)).aclose()
    channel = Channel()
    config = Config(
        database=DatabaseConfig(url=db_url), policies=PoliciesConfig(path=str(REPO / "policies"))
    )
    async with open_app(
        config, approvals=channel, drafter=TemplateDrafter(), classifier_factory=RuleClassifier
    ) as app:
        monday_9 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
        assert not await post_digest_if_due(app, monday_9 - timedelta(hours=2))  # too early
        assert not await post_digest_if_due(app, monday_9 + timedelta(days=1))  # tuesday
        assert await post_digest_if_due(app, monday_9)
        assert not await post_digest_if_due(app, monday_9 + timedelta(hours=1))  # once
        assert len(channel.alerts) == 1 and "weekly digest" in channel.alerts[0]
        assert await post_digest_if_due(app, monday_9 + timedelta(days=7))  # next week


async def test_two_workers_raising_one_alert_at_once_tell_the_team_once(db_url: str) -> None:
    stores = [await open_store(db_url, upgrade=True) for _ in range(2)]
    inbox = Inbox()
    listeners = [Listener(store=s, policy=lambda: POLICY, notify=inbox) for s in stores]
    try:
        for i in range(5):
            await asyncio.gather(
                *(
                    listener.raise_alert(
                        kind="bad_buzz",
                        key=f"discord:#general:{i}",
                        at=T0,
                        count=8,
                        summary=f"storm {i}",
                        detail={},
                        cooldown=timedelta(hours=1),
                    )
                    for listener in listeners
                )
            )
        open_now = await listeners[0].open_alerts()
    finally:
        for s in stores:
            await s.aclose()
    assert sorted(a["key"] for a in open_now) == [f"discord:#general:{i}" for i in range(5)]
    assert sorted(inbox.notices) == [f"storm {i}" for i in range(5)]


async def test_hate_piling_up_in_a_channel_is_one_alert(
    setup: tuple[Store, Listener, Inbox],
) -> None:
    store, listener, inbox = setup
    traffic = Traffic(store, listener)
    hate: dict[str, Any] = {
        "intent": "attack",
        "sentiment": Sentiment.NEGATIVE,
        "flags": frozenset({"hate"}),
    }
    texts = ["they are vermin", "send them all back", "not human, any of them", "out, all of them"]
    # Two in another channel (earlier) and one in this one: not yet a pile-up.
    for i in range(2):
        at = T0 - timedelta(minutes=20 - i)
        assert await traffic.say(texts[i], at, channel="random", **hate) == []
    assert await traffic.say(texts[0], T0, **hate) == []
    assert await traffic.say("is sync down?", T0 + timedelta(minutes=1)) == []
    assert await traffic.say(texts[1], T0 + timedelta(minutes=2), **hate) == []
    assert await traffic.say(texts[2], T0 + timedelta(minutes=3), **hate) == ["hate"]
    # The fourth updates the open alert without a new notice.
    assert await traffic.say(texts[3], T0 + timedelta(minutes=4), **hate) == []
    [notice] = inbox.notices
    assert "Hate piling up in" in notice and "#general" in notice and "3 messages" in notice
    # Outside the window the old ones no longer count.
    later = T0 + timedelta(hours=3)
    assert await traffic.say(texts[0], later, **hate) == []


async def test_an_insult_is_flagged_to_the_team_at_once(
    setup: tuple[Store, Listener, Inbox],
) -> None:
    store, listener, inbox = setup
    traffic = Traffic(store, listener)
    kinds = await traffic.say(
        "you are all idiots", T0, intent="attack", sentiment=Sentiment.NEGATIVE, toxic=True
    )
    assert kinds == ["attack"]
    [notice] = inbox.notices
    assert notice.startswith("Attack or insult from ") and "you are all idiots" in notice
    # Harsh words about the product are not an attack on anyone: no alert.
    assert await traffic.say("this update is garbage", T0, intent="complaint") == []


async def test_one_member_flooding_a_channel_is_one_alert(
    setup: tuple[Store, Listener, Inbox],
) -> None:
    store, listener, inbox = setup
    traffic = Traffic(store, listener)
    kinds = [
        await traffic.say(f"hello? anyone? ({i})", T0 + timedelta(seconds=i * 20), author="loud")
        for i in range(12)
    ]
    # The tenth message in the window tells the team; the next ones update the same alert.
    assert [k for ks in kinds for k in ks] == ["flood"]
    assert kinds[9] == ["flood"]
    flood = [n for n in inbox.notices if n.startswith("Flood")]
    assert len(flood) == 1 and "loud posted 10 messages" in flood[0]
    # Ten different members chatting are not a flood.
    others = [await traffic.say("hi", T0 + timedelta(hours=2, seconds=i)) for i in range(10)]
    assert all("flood" not in k for k in others)


def test_near_identical_reads_only_the_start_and_folds_accents() -> None:
    from bot.listening.detect import SHINGLE_CHARS, near_identical_authors, similarity

    campaign = "Boycottez cette appli, elle revend vos données à des tiers sans le dire. " * 8
    # The same start, a different 50 kB tail: still a copy, and read in bounded time.
    long_copy = campaign + "x " * 25_000
    assert similarity(campaign, long_copy) == 1.0
    assert len(long_copy) > 100 * SHINGLE_CHARS
    folded = campaign.replace("données", "donnees").replace("à", "a")
    authors = near_identical_authors(
        campaign, [("a", long_copy), ("b", folded), ("c", "Totally different words here.")], 0.8
    )
    assert authors == {"a", "b"}
