"""Slack as a community platform (a public Slack community, not the approval workspace).

Events API over HTTP (signed) or Socket Mode, through slack-bolt. A middleware stores each
message *before* Bolt acknowledges the event, so an event Slack considers delivered is in the
store; Slack's retries and replays are deduplicated on ``event_id`` and on the message ts.
Slack wants the ack within 3 seconds, so nothing slow happens before it: the author's display
name (``users.info``) is cached, and a lookup slower than ``name_wait`` leaves the member's id
as the name while it finishes in the background for their next message.
Replies go in the message's thread and carry the outbox key in their metadata, so an unknown
outcome is reconciled by reading the thread rather than posting twice. A reply is posted
inert: ``&``, ``<`` and ``>`` are escaped, so ``<!channel>`` or ``<@U…>`` in a draft (the model
may echo a member) or an edit shows as text and pings nobody.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.base import (
    AdapterHealth,
    MessageSink,
    PayloadInvalid,
    Reaction,
    SourceChange,
    pass_on,
    set_aside,
)
from adapters.split import LIMITS, split_text
from bot.config import PlatformAdapterConfig
from bot.domain import (
    Author,
    ConversationRef,
    DeliveryReceipt,
    InboundMessage,
    OutboundReply,
    Platform,
)
from bot.errors import AdapterUnhealthy, DeliveryFailed, DeliveryUnknown
from bot.redact import exception_text, redact
from bot.slack_approval.mrkdwn import escape

log = logging.getLogger(__name__)
DEFAULT_API = "https://slack.com/api/"
METADATA_EVENT = "tactline_reply"
NAME_WAIT = 1.0  # seconds the ack may wait for users.info (Slack's deadline is 3 s)
_FATAL = {"invalid_auth", "account_inactive", "token_revoked", "not_authed", "missing_scope"}
_PERMANENT = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "msg_too_long",
    "no_text",
    "restricted_action",
    "thread_not_found",
}


def _when(ts: str) -> datetime:
    """A message's time from its ts; now, if the ts is no time at all."""
    try:
        return datetime.fromtimestamp(float(ts), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.now(UTC)


def _str(event: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = event.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        ref = event.get("ts") if isinstance(event.get("ts"), str) else None
        why = "missing" if value is None else f"not a string ({type(value).__name__})"
        raise PayloadInvalid(Platform.SLACK, ref, f"{key}: {why}")
    return value


def parse_event(event: Any) -> InboundMessage | SourceChange | None:
    """A Slack ``message`` event as a message, or as an edit or deletion; None for other
    events and for subtypes Tactline does not answer (joins, topics…). The text is kept
    exactly as sent. Raises :class:`PayloadInvalid` for a message event that cannot be read
    (a key missing or of the wrong type). The author's name is their id here: the adapter
    looks the display name up."""
    if not isinstance(event, dict):
        raise PayloadInvalid(Platform.SLACK, None, f"event: not an object ({type(event).__name__})")
    if event.get("type") != "message":
        return None
    channel = _str(event, "channel", required=True)
    assert channel is not None
    subtype = event.get("subtype")
    if subtype == "message_changed":
        changed = event.get("message")
        if not isinstance(changed, dict):
            raise PayloadInvalid(Platform.SLACK, None, "message_changed without its message")
        ts = _str(changed, "ts", required=True)
        assert ts is not None
        return SourceChange(ts, channel, deleted=False, new_text=_str(changed, "text"))
    if subtype == "message_deleted":
        deleted = _str(event, "deleted_ts", required=True)
        assert deleted is not None
        return SourceChange(deleted, channel, deleted=True)
    if subtype not in (None, "thread_broadcast", "file_share"):
        return None
    ts, text = _str(event, "ts", required=True), _str(event, "text")
    assert ts is not None
    if text is None:
        raise PayloadInvalid(Platform.SLACK, ts, "text: missing")
    user, bot_id, thread = _str(event, "user"), _str(event, "bot_id"), _str(event, "thread_ts")
    author = user or bot_id or ""
    return InboundMessage(
        platform=Platform.SLACK,
        platform_message_id=ts,
        conversation=ConversationRef(
            platform=Platform.SLACK,
            channel_id=channel,
            thread_id=thread if thread and thread != ts else None,
            reply_to_message_id=ts,
            channel_name=_str(event, "channel_name") or channel,
        ),
        author=Author(id=author, name=author, is_bot=bool(bot_id) or not user),
        text=text,
        sent_at=_when(ts),
        raw=event,
    )


REACTION_EVENTS = ("reaction_added", "reaction_removed")


def parse_reaction(event: Any) -> Reaction | None:
    """A ``reaction_added`` / ``reaction_removed`` event on a message as a Reaction; None for
    other events and for reactions on files. PayloadInvalid for one that cannot be read."""
    if not isinstance(event, dict) or event.get("type") not in REACTION_EVENTS:
        return None
    item = event.get("item")
    if not isinstance(item, dict):
        raise PayloadInvalid(Platform.SLACK, None, "reaction: item: not an object")
    if item.get("type") != "message":
        return None
    channel, ts = _str(item, "channel", required=True), _str(item, "ts", required=True)
    user, name = _str(event, "user", required=True), _str(event, "reaction", required=True)
    assert channel is not None and ts is not None and user is not None and name is not None
    return Reaction(
        platform=Platform.SLACK,
        channel_id=channel,
        message_id=ts,
        user_id=user,
        emoji=name,
        at=_when(_str(event, "event_ts") or ""),
        removed=event["type"] == "reaction_removed",
    )


class SlackCommunityAdapter:
    platform = Platform.SLACK

    def __init__(
        self,
        config: PlatformAdapterConfig,
        *,
        token: str,
        signing_secret: str | None = None,
        app_token: str | None = None,
        name_wait: float = NAME_WAIT,
    ) -> None:
        self.name = "slack"
        self.config = config
        self.client = AsyncWebClient(token=token, base_url=config.api_base_url or DEFAULT_API)
        self.bolt = AsyncApp(
            client=self.client,
            signing_secret=signing_secret or "socket-mode-needs-no-signing-secret",
            request_verification_enabled=config.mode != "socket",
        )
        self._app_token = app_token
        self._secrets = (token, signing_secret, app_token)  # hidden from every error text
        self._sink: MessageSink | None = None
        self._seen_events: OrderedDict[str, None] = OrderedDict()
        self._names: dict[str, str] = {}  # user id -> display name
        self._lookups: dict[str, asyncio.Task[str | None]] = {}  # users.info in flight
        self._name_wait = name_wait
        self._bot_user = ""
        self._connected = False
        self._last_event: datetime | None = None
        self._last_error: str | None = None
        self._runner: Any = None
        self._socket: Any = None
        self.bolt.middleware(self._store_first)
        self.bolt.event("message")(self._ack_only)
        # Reactions on our replies (outcomes); written out so the manifest's check sees them.
        self.bolt.event("reaction_added")(self._ack_only)
        self.bolt.event("reaction_removed")(self._ack_only)

    def _text(self, exc: BaseException) -> str:
        """An error as text for logs, health and alerts, the tokens hidden whatever it says."""
        return exception_text(exc, self._secrets)

    def _error(self, exc: SlackApiError) -> str:
        """Slack's error code (``invalid_auth``…) of a failed call, cleaned like any error
        text: a proxy may put anything there."""
        data = exc.response.data
        if not isinstance(data, dict):
            return f"HTTP {exc.response.status_code}"
        return redact(str(data.get("error")), self._secrets)

    def health(self) -> AdapterHealth:
        return AdapterHealth(self.name, self._connected, self._last_event, self._last_error)

    async def start(self, sink: MessageSink) -> None:
        self._sink = sink
        try:
            auth = await self.client.auth_test()
        except SlackApiError as exc:
            self._last_error = self._error(exc)
            if self._error(exc) in _FATAL:
                raise AdapterUnhealthy(
                    f"slack: the community token was refused ({self._error(exc)})", permanent=True
                ) from None
            raise AdapterUnhealthy(f"slack: auth.test failed ({self._error(exc)})") from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            self._last_error = f"{exc.__class__.__name__}: {self._text(exc)}"
            raise AdapterUnhealthy(
                f"slack: cannot reach the Web API ({self._last_error})"
            ) from None
        self._bot_user = str(auth.get("user_id") or "")
        if self.config.mode == "socket":
            from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

            self._socket = AsyncSocketModeHandler(self.bolt, self._app_token)
            await self._socket.connect_async()
        else:
            from aiohttp import web

            self._runner = web.AppRunner(
                self.bolt.web_app(path="/slack/community"), access_log=None
            )
            await self._runner.setup()
            await web.TCPSite(
                self._runner, self.config.listen_host, self.config.listen_port
            ).start()
        self._connected = True

    @property
    def http_port(self) -> int:
        assert self._runner is not None
        return int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        for lookup in list(self._lookups.values()):
            lookup.cancel()
        self._connected = False

    # -- inbound ------------------------------------------------------------------------------

    async def _ack_only(self) -> None:
        return None  # the middleware did the work; Bolt acks the event

    async def _store_first(self, body: dict[str, Any], next: Callable[[], Awaitable[Any]]) -> Any:
        """Store a message event before Bolt acknowledges it (an error answers 500 and Slack
        retries later). An event that cannot be read is set aside, then acknowledged: a retry
        would not read better."""
        if body.get("type") == "event_callback":
            event_id = str(body.get("event_id") or "")
            if event_id and event_id in self._seen_events:
                log.info("slack event %s redelivered: ignored", event_id)
                return await next()
            try:
                await self.handle_event(body.get("event"))
            except PayloadInvalid as exc:
                invalid = PayloadInvalid(Platform.SLACK, event_id or exc.ref, exc.reason)
                await set_aside(self._sink, invalid, body)
            if event_id:
                self._seen_events[event_id] = None
                while len(self._seen_events) > 10_000:
                    self._seen_events.popitem(last=False)
        return await next()

    async def _name(self, user: str) -> str:
        """The member's display name, from the cache or ``users.info``, waiting at most
        ``name_wait`` (the event is acked only once stored): a slower answer leaves the id as
        the name, and fills the cache when it comes. One lookup per member at a time."""
        if user in self._names:
            return self._names[user]
        lookup = self._lookups.get(user)
        if lookup is None:
            lookup = asyncio.create_task(self._look_up(user), name="slack-users.info")
            self._lookups[user] = lookup
        try:
            name = await asyncio.wait_for(asyncio.shield(lookup), self._name_wait)
        except TimeoutError:
            log.info("slack users.info for %s is slow: the id stands for the name", user)
            return user
        return name or user

    async def _look_up(self, user: str) -> str | None:
        """``users.info``: the name (cached), or None if Slack could not be asked (tried again
        for the member's next message)."""
        try:
            info = await self.client.users_info(user=user)
        except SlackApiError:
            name: str | None = user  # no such user, or not allowed: the id, as Slack shows it
        except Exception as exc:  # unreachable, timed out, an odd answer: not cached
            log.warning("slack users.info for %s failed: %s", user, self._text(exc))
            name = None
        else:
            member = info.get("user")
            profile = member.get("profile") if isinstance(member, dict) else None
            profile = profile if isinstance(profile, dict) else {}
            found = profile.get("display_name") or profile.get("real_name")
            name = found if isinstance(found, str) else user
        finally:
            self._lookups.pop(user, None)
        if name is not None:
            self._names[user] = name
        return name

    async def handle_event(self, event: Any) -> None:
        """Store one message event (or report its change); raises :class:`PayloadInvalid`
        for an event that cannot be read, which the caller sets aside."""
        assert self._sink is not None
        reaction = parse_reaction(event)
        if reaction is not None:
            author = event.get("item_user")  # who wrote the message reacted to
            if not (isinstance(author, str) and author and author != self._bot_user):
                await self._reacted(reaction)  # on ours (or Slack did not say whose)
            return
        parsed = parse_event(event)
        if parsed is None:
            return
        self._last_event = datetime.now(UTC)
        channel = (
            parsed.channel_id
            if isinstance(parsed, SourceChange)
            else (parsed.conversation.channel_id)
        )
        if self.config.channels and channel not in self.config.channels:
            return
        if isinstance(parsed, SourceChange):
            await self._sink.source_changed(
                Platform.SLACK,
                parsed.platform_message_id,
                deleted=parsed.deleted,
                new_text=parsed.new_text,
                channel_id=channel,
            )
            return
        author = parsed.author
        is_bot = author.is_bot or author.id == self._bot_user
        if self.config.mention_only and f"<@{self._bot_user}>" not in parsed.text:
            return
        name = await self._name(author.id) if not is_bot else author.name
        await self._sink.accept(replace(parsed, author=replace(author, name=name, is_bot=is_bot)))

    async def _reacted(self, reaction: Reaction) -> None:
        """Pass a reaction on (the sink keeps those on our replies), never the bot's own. A
        store error propagates: Slack gets a 500 and sends the event again."""
        self._last_event = datetime.now(UTC)
        if reaction.user_id == self._bot_user:
            return
        if self.config.channels and reaction.channel_id not in self.config.channels:
            return
        await pass_on(self._sink, reaction)

    # -- outbound -----------------------------------------------------------------------------

    async def send(self, reply: OutboundReply) -> DeliveryReceipt:
        ref = reply.conversation
        thread = ref.thread_id or ref.reply_to_message_id
        ids: list[str] = []
        for part in split_text(reply.text, LIMITS["slack"]):
            try:
                resp = await self.client.chat_postMessage(
                    channel=ref.channel_id,
                    text=escape(part),  # split first: an entity is never cut in two
                    thread_ts=thread,
                    metadata={
                        "event_type": METADATA_EVENT,
                        "event_payload": {"key": reply.idempotency_key},
                    },
                )
            except SlackApiError as exc:
                error = self._error(exc)
                if exc.response.status_code == 429 or error == "ratelimited":
                    retry = float(exc.response.headers.get("Retry-After", 1) or 1)
                    if ids:
                        raise DeliveryFailed(
                            f"rate limited after {len(ids)} part(s)", permanent=True
                        ) from None
                    raise DeliveryFailed("slack rate limit", retry_after=retry) from None
                if error in _FATAL:
                    self._connected, self._last_error = False, error
                    raise AdapterUnhealthy(
                        f"slack refused the community token: {error}", permanent=True
                    ) from None
                if error in _PERMANENT:
                    raise DeliveryFailed(f"slack: {error}", permanent=True) from None
                raise DeliveryUnknown(f"slack: {error}") from None
            except (TimeoutError, OSError) as exc:
                raise DeliveryUnknown(f"slack: {exc.__class__.__name__}") from None
            ids.append(str(resp["ts"]))
        return DeliveryReceipt(Platform.SLACK, tuple(ids), datetime.now(UTC))

    async def find_sent(self, reply: OutboundReply) -> DeliveryReceipt | None:
        ref = reply.conversation
        thread = ref.thread_id or ref.reply_to_message_id
        try:
            if thread:
                resp = await self.client.conversations_replies(
                    channel=ref.channel_id, ts=thread, include_all_metadata=True, limit=200
                )
            else:
                resp = await self.client.conversations_history(
                    channel=ref.channel_id, include_all_metadata=True, limit=200
                )
        except SlackApiError as exc:
            raise DeliveryUnknown(f"slack history: {self._error(exc)}") from None
        found = [
            str(m["ts"])
            for m in resp.get("messages") or []
            if ((m.get("metadata") or {}).get("event_payload") or {}).get("key")
            == reply.idempotency_key
        ]
        if not found:
            return None
        return DeliveryReceipt(Platform.SLACK, tuple(sorted(found)), datetime.now(UTC))
