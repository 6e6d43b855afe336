"""Property-based tests of each adapter's payload reading: arbitrary and near-valid payloads
(keys missing or of the wrong type, empty and huge text, NUL, RTL marks, odd code points,
very long ids) never raise anything unexpected. Each one is either a message whose text is
kept whole, or a change, or ignored for a stated reason (no text), or a PayloadInvalid that
the adapter sets aside as a dead letter with the payload kept."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

import discord
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.base import PayloadInvalid, SourceChange
from adapters.discord import DiscordAdapter, read_edit, read_message
from adapters.slack import SlackCommunityAdapter, parse_event
from adapters.telegram import TelegramAdapter
from bot.config import DiscordAdapterConfig, SlackAdapterConfig, TelegramAdapterConfig
from bot.domain import InboundMessage, Platform

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ODD = [
    "",
    "\x00",
    "a\x00b",
    "\u202eolleh\u200f",
    "\u200b\ufeff",
    "\U0010ffff\U000e0001",
    "\ufffe\uffff",
    "👋🏽\U0001f9d1\u200d\U0001f4bb",
    "<!channel> @everyone",
    " \n\t ",
]
text = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=300),
    st.sampled_from(ODD),
    st.builds(
        lambda s, n: s * n, st.sampled_from(["x", "é", "\u202e", "🎉 "]), st.integers(1, 10_000)
    ),
)
json_value = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**20, max_value=10**80)
    | st.floats()
    | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)
long_id = st.integers(min_value=1, max_value=10**60)


@st.composite
def mangled(draw: st.DrawFn, valid: dict[str, Any]) -> dict[str, Any]:
    """``valid`` with some keys removed or given values of any type."""
    out = dict(valid)
    for key in list(out):
        action = draw(st.sampled_from(["keep", "keep", "keep", "drop", "replace"]))
        if action == "drop":
            del out[key]
        elif action == "replace":
            out[key] = draw(json_value)
    return out


@dataclass
class DeadLetterSink:
    """Accepts everything and keeps every dead letter."""

    accepted: list[InboundMessage] = field(default_factory=list)
    changed: list[tuple[str, bool, str | None]] = field(default_factory=list)
    dead: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)

    async def accept(self, message: InboundMessage) -> bool:
        self.accepted.append(message)
        return True

    async def source_changed(
        self,
        platform: Platform,
        platform_message_id: str,
        *,
        deleted: bool,
        new_text: str | None = None,
        channel_id: str | None = None,
    ) -> None:
        assert new_text is None or isinstance(new_text, str)
        self.changed.append((platform_message_id, deleted, new_text))

    async def last_seen(self, platform: Platform, channel_id: str) -> str | None:
        return None

    async def dead_letter(
        self, platform: Platform, ref: str, payload: dict[str, Any], reason: str, tries: int
    ) -> None:
        assert reason and tries >= 1
        self.dead.append((ref, payload, reason))


def one_outcome(sink: DeadLetterSink) -> int:
    return len(sink.accepted) + len(sink.changed) + len(sink.dead)


# -- Slack ------------------------------------------------------------------------------------


@st.composite
def slack_events(draw: st.DrawFn) -> Any:
    valid = {
        "type": "message",
        "channel": draw(st.sampled_from(["C_COMMUNITY", "C" + "9" * 200])),
        "user": draw(st.sampled_from(["U_MAYA", "U" + "1" * 300])),
        "text": draw(text),
        "ts": draw(st.sampled_from(["1700000000.000100", "1e400", "-1e30", "nan", "abc"])),
        "thread_ts": "1700000000.000050",
        "subtype": draw(
            st.sampled_from(
                [None, "thread_broadcast", "message_changed", "message_deleted", "bot_message"]
            )
        ),
        "message": {"ts": "1700000000.000100", "text": draw(text)},
        "deleted_ts": "1700000000.000100",
    }
    if valid["subtype"] is None:
        del valid["subtype"]
    return draw(st.one_of(mangled(valid), json_value))


@PROPERTY
@given(slack_events())
def test_slack_event_is_read_whole_or_refused_clearly(event: Any) -> None:
    try:
        parsed = parse_event(event)
    except PayloadInvalid as exc:
        assert exc.platform == Platform.SLACK and exc.reason
        return
    if isinstance(parsed, InboundMessage):
        assert parsed.text == event["text"]  # whole: no cut, no normalisation
        assert parsed.platform_message_id == event["ts"]
    elif isinstance(parsed, SourceChange):
        assert parsed.new_text is None or isinstance(parsed.new_text, str)


# users.info is not waited for (and would reach only a closed local port): id for name
SLACK = SlackCommunityAdapter(
    SlackAdapterConfig(enabled=True, api_base_url="http://127.0.0.1:9/api/"),
    token="xoxb-test",
    signing_secret="s",
    name_wait=0.0,
)
EVENT_IDS = itertools.count(1)
TELEGRAM = TelegramAdapter(
    TelegramAdapterConfig(enabled=True, mode="webhook"), token="123:test", webhook_secret="s3cret"
)


@PROPERTY
@given(slack_events())
def test_slack_adapter_stores_or_sets_aside_every_message_event(event: Any) -> None:
    sink = DeadLetterSink()
    adapter = SLACK
    adapter._sink = sink
    event_id = f"Ev{next(EVENT_IDS)}"  # the adapter is shared: each event is a new one
    body = {"type": "event_callback", "event_id": event_id, "event": event}

    async def acked() -> None:
        return None

    asyncio.run(adapter._store_first(body, acked))
    assert one_outcome(sink) <= 1
    for message in sink.accepted:
        assert message.text == event["text"]
    for ref, payload, _ in sink.dead:
        assert ref == event_id and payload is body  # the payload is kept as it came
    if isinstance(event, dict) and event.get("type") == "message" and not one_outcome(sink):
        assert event.get("subtype") not in (None, "thread_broadcast", "file_share")


# -- Telegram ---------------------------------------------------------------------------------


@st.composite
def telegram_updates(draw: st.DrawFn) -> Any:
    chat = {"id": draw(st.sampled_from([-100200, 42])), "type": "supergroup", "title": "Inkwell"}
    user = {"id": 42, "is_bot": False, "first_name": draw(text), "username": "maya"}
    message = {
        "message_id": draw(st.one_of(st.just(7), long_id)),
        "date": draw(st.sampled_from([1_700_000_000, 10**12, -(10**12), 0])),
        "chat": draw(st.one_of(st.just(chat), mangled(chat))),
        "from": draw(st.one_of(st.just(user), mangled(user))),
        "text": draw(text),
    }
    kind = draw(st.sampled_from(["message", "edited_message", "channel_post"]))
    update = {
        "update_id": draw(st.one_of(st.just(1), long_id)),
        kind: draw(st.one_of(st.just(message), mangled(message))),
    }
    return draw(st.one_of(st.just(update), mangled(update), json_value))


@PROPERTY
@given(telegram_updates())
def test_telegram_update_is_stored_whole_or_set_aside(update: Any) -> None:
    sink = DeadLetterSink()
    adapter = TELEGRAM
    adapter._sink = sink
    status = asyncio.run(adapter.handle_webhook("s3cret", update))
    assert status == 200
    assert one_outcome(sink) <= 1
    for accepted in sink.accepted:
        sent = update.get("message") or update.get("channel_post")
        assert accepted.text == sent["text"]  # whole
    for _, payload, reason in sink.dead:  # kept as it came (wrapped if not an object)
        assert (payload is update or payload == {"payload": update}) and reason
    message = update.get("message") if isinstance(update, dict) else None
    if isinstance(message, dict) and isinstance(message.get("text"), str) and message["text"]:
        assert one_outcome(sink) == 1  # a message with text is never dropped silently


# -- Discord ----------------------------------------------------------------------------------

_client = discord.Client(intents=discord.Intents.none())


@st.composite
def discord_messages(draw: st.DrawFn) -> tuple[dict[str, Any], discord.Message]:
    """Gateway MESSAGE_CREATE payloads, as discord.py turns them into messages (it reads the
    fields below without checking their types; the id must be digits)."""
    author = {"id": "42", "username": "maya", "discriminator": "0", "avatar": None}
    data = {
        "id": str(draw(st.one_of(st.just(1098765432109876543), long_id))),
        "channel_id": "10",
        "author": draw(
            st.one_of(st.just(author), st.just(author | {"username": draw(json_value)}))
        ),
        "content": draw(st.one_of(text, text, json_value)),
        "timestamp": "2024-01-01T00:00:00+00:00",
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "type": 0,
    }
    channel = _client.get_partial_messageable(10)
    return data, discord.Message(state=_client._connection, channel=channel, data=data)  # type: ignore[arg-type]


@PROPERTY
@given(discord_messages())
def test_discord_message_is_read_whole_or_set_aside(drawn: tuple[dict[str, Any], Any]) -> None:
    data, message = drawn
    try:
        read = read_message(message)
    except PayloadInvalid as exc:
        assert exc.platform == Platform.DISCORD and exc.ref == data["id"]
    else:
        assert read.text == data["content"] and read.platform_message_id == data["id"]
    sink = DeadLetterSink()
    adapter = DiscordAdapter(DiscordAdapterConfig(enabled=True), token="t")
    adapter._sink = sink
    asyncio.run(adapter._on_message(message))
    assert adapter.health().last_error is None  # not mistaken for a store failure
    assert one_outcome(sink) <= 1
    for m in sink.accepted:
        assert m.text == data["content"]
    for ref, payload, _ in sink.dead:
        assert ref == data["id"] and payload["content"] == data["content"]
    if isinstance(data["content"], str) and data["content"]:
        assert one_outcome(sink) == 1


@PROPERTY
@given(st.one_of(st.fixed_dictionaries({"content": json_value}), json_value))
def test_discord_edit_is_text_or_refused(data: Any) -> None:
    try:
        change = read_edit(1, 10, data)
    except PayloadInvalid:
        assert not isinstance(data["content"], str)
        return
    assert change.new_text is None or change.new_text == data["content"]
