"""A hostile member against the team's own Slack, at the I/O edge: every field a member
controls (text, display name, channel or group title, thread, the draft the model writes from
them, the check notes, a moderator's edit and reasons) carries special mentions, user mentions,
disguised links and entities. Every Slack call the local server recorded is then read as Slack
reads it: no mention or link from member text may be live anywhere."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import timedelta
from typing import Any

import pytest

from bot.domain import Classification, DraftBrief, IntentSpec
from bot.runtime import post_digest_if_due
from bot.store.store import utcnow
from models.base import ClassifyInput, DraftResult
from tests.builders import make_message
from tests.doubles import RuleClassifier
from tests.slack_approval.harness import Env, card_text, running_env
from tests.waiting import eventually

HOSTILE = (
    "<!channel> <!here> <!everyone> <@U0CEO> <https://evil.example/sso|Approved by legal> "
    "@everyone &lt;!channel&gt; *bold* _it_ `code` >>> quoted"
)
PERMALINK = "https://chat.example/c/help/1?a=1&b=<!here>|Approved"

# What Tactline itself writes in angle brackets: dates, approver mentions, its own links.
OURS = re.compile(
    r"<!date\^\d+\^\{date_short_pretty\} \{time\}\|[0-9: -]+ UTC>"
    r"|<!subteam\^S0[A-Z]+>"
    r"|<@U_[A-Z]+>"
    r"|<https://chat\.example/[^<>|]+\|(open|open the message|view the reply)>"
)
LIVE = ("<!", "<@", "<#", "<http", "<mailto")


class HateToo(RuleClassifier):
    """The rule classifier, plus: "vermin" is hate."""

    def __init__(self, intents: Sequence[IntentSpec] = ()) -> None:
        super().__init__(intents)

    async def classify(self, items: Sequence[ClassifyInput]) -> list[Classification]:
        out = await super().classify(items)
        return [
            dataclasses.replace(c, flags=c.flags | {"hate"}) if "vermin" in i.text else c
            for c, i in zip(out, items, strict=True)
        ]


class EchoDrafter:
    """A model that echoes the member: the draft and its check notes carry their markup."""

    name = "echo"

    async def draft(self, brief: DraftBrief) -> DraftResult:
        return DraftResult(
            text=f"Thanks {brief.author_name}! {HOSTILE}",
            model=self.name,
            notes=(f"link not in the facts: {HOSTILE}",),
            seconds=0.0,
        )

    async def aclose(self) -> None:
        return None


def hostile_message(text: str, n: int, **kw: Any) -> Any:
    """A message whose author's display name and channel title are hostile too."""
    m = make_message(text, message_id=f"h{n}", author=f"member{n}", **kw)
    ref = dataclasses.replace(m.conversation, channel_name=f"<!here> {HOSTILE}")
    author = dataclasses.replace(m.author, name=f"<!everyone> {HOSTILE} {n}")
    return dataclasses.replace(
        m, conversation=ref, author=author, raw={"text": text, "permalink": PERMALINK}
    )


def strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """Every (key, string) in a recorded Slack call's arguments."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v, key)
    elif isinstance(value, str):
        yield key, value


def live_markup(env: Env) -> list[tuple[str, str, str]]:
    """Angle-bracket markup Slack would act on that Tactline did not write."""
    found = []
    for call in env.slack.calls:
        for key, text in strings(call.args):
            if key == "initial_value":  # a plain_text_input's editable text: shown verbatim
                continue
            for token in re.findall(r"<[^<>]*>?", OURS.sub("", text)):
                if token.startswith(LIVE):
                    found.append((call.method, key, token))
    return found


@pytest.fixture
async def env(db_url: str) -> AsyncIterator[Env]:
    async with running_env(db_url, drafter=EchoDrafter(), classifier_factory=HateToo) as e:
        yield e


async def test_member_markup_reaches_the_teams_slack_inert(env: Env) -> None:
    # A question (community card, echoed draft), a legal threat (legal alert and card),
    # an insult storm from look-alike authors (bad buzz, raid) and a hate pile-up.
    await env.fake.inject(hostile_message(f"How do I export? {HOSTILE}", 0))
    await env.fake.inject(hostile_message(f"My lawyer will sue you {HOSTILE}", 1))
    for n in range(2, 7):
        await env.fake.inject(hostile_message(f"you idiots {HOSTILE}", n, thread="<!channel>"))
    for n in range(7, 10):
        await env.fake.inject(hostile_message(f"they are vermin {n} {HOSTILE}", n))
    await env.drain()
    # Moderators act on the cards: an edit, a reason, an escalation, a view of the draft.
    pending = {
        p.stored.message.platform_message_id: p for p in await env.app.store.pending_drafts()
    }
    assert await env.click("edit", pending["h0"].draft.id) == 200
    await eventually(lambda: env.slack.called("views.open"))
    assert await env.submit("edit", pending["h0"].draft.id, f"Sure {HOSTILE}") == 200
    assert await env.submit("reject", pending["h2"].draft.id, f"no {HOSTILE}") == 200
    assert (
        await env.submit("escalate", pending["h3"].draft.id, f"why {HOSTILE}", group="support")
        == 200
    )
    await eventually(lambda: "Escalated by" in card_text(env) and "Rejected by" in card_text(env))
    await env.drain()
    # Operations: an adapter down with an error carrying member text, and the weekly digest.
    await env.app.store.save_health(
        name="telegram",
        worker="w",
        connected=False,
        last_event_at=None,
        last_error=f"chat title {HOSTILE}",
    )
    await env.app.listener.check_operations(utcnow() + timedelta(hours=1))
    today = utcnow()
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    now = monday.replace(hour=23)  # the policy's digest: Mondays from 08:00 UTC
    assert await post_digest_if_due(env.app, now)

    kinds = {a["kind"] for a in await env.app.listener.open_alerts()}
    assert {"legal", "bad_buzz", "raid", "hate", "adapter_down", "digest"} <= kinds
    alerts = [
        c.args["text"] for c in env.slack.called("chat.postMessage") if "blocks" not in c.args
    ]
    assert len(alerts) >= 6
    assert all("&lt;!everyone&gt;" in a for a in alerts if "Legal threat" in a)
    assert any("*Tactline weekly digest*" in a for a in alerts)  # our own markup stays
    # The member's text is shown, escaped, on cards, notes, verdicts and alerts...
    shown = card_text(env)
    for escaped in ("&lt;!channel&gt;", "&lt;@U0CEO&gt;", "&lt;https://evil.example/sso|"):
        assert escaped in shown
    assert "&amp;lt;!channel&amp;gt;" in shown  # a literal "&lt;" stays literal
    assert "> How do I export? &lt;!channel&gt;" in shown  # quoted, and Tactline's quote
    assert "&gt;&gt;&gt; quoted" in shown  # a member's ">>>" cannot quote the rest of the card
    assert "link not in the facts: &lt;!channel&gt;" in shown
    assert "Rejected by <@U_ANA>" in shown and "“no &lt;!channel&gt;" in shown
    # ...and nothing a member wrote is live markup in any call Slack received.
    assert live_markup(env) == []
    assert not any(
        c.args.get("link_names") or c.args.get("parse") == "full" for c in env.slack.calls
    )
    # The source link is Tactline's: its URL cannot close the link or add a label.
    assert "<https://chat.example/c/help/1?a=1&amp;b=%3C!here%3E%7CApproved|open>" in shown


async def test_the_live_markup_check_catches_raw_member_text(env: Env) -> None:
    """The suite's own check would see an unescaped mention (so the test above can fail)."""
    await env.approval.client.chat_postMessage(channel="C_APPROVE", text=f"raw {HOSTILE}")
    assert {t for _, _, t in live_markup(env)} >= {"<!channel>", "<@U0CEO>"}
