"""Discord (discord.py): guild channels and threads, replies threaded to the original.

- The privileged ``message_content`` intent is checked at start: without it messages arrive
  empty, so the adapter refuses to run and says why.
- A session that resumes gets its missed events from Discord; a new session (a restart of
  Tactline, or a session that could not resume) backfills each watched channel and thread
  from its history, after the newest stored message (at most a day back).
- A send whose outcome is unknown is looked for in the channel before any resend; sends also
  carry a nonce derived from the outbox key with ``enforce_nonce``, so a resend within
  Discord's few-minute window returns the message already created instead of a second one.
- discord.py has no base-URL option (the REST base and gateway URL are process-wide class
  attributes): each adapter's client gets its own HTTP client that sends REST calls and the
  gateway connection to the adapter's configured URLs (real Discord by default), so nothing
  process-wide is changed, at import or at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import discord
import yarl

from adapters.base import (
    AdapterHealth,
    Audience,
    MessageSink,
    PayloadInvalid,
    Reaction,
    SourceChange,
    pass_on,
    set_aside,
    tell_audience,
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
from bot.redact import exception_text

log = logging.getLogger(__name__)
DEFAULT_API = "https://discord.com/api/v10"
DEFAULT_GATEWAY = "wss://gateway.discord.gg/"


BACKFILL_AT_MOST = timedelta(days=1)
FATAL_CLOSE_CODES = {
    4004: "the bot token was refused by the gateway",
    4010: "invalid shard",
    4011: "sharding required: the bot is in too many guilds for one connection",
    4012: "invalid gateway API version",
    4013: "invalid intents",
    4014: (
        "the Message Content intent is not enabled for this bot: enable it in "
        "the Discord developer portal (Bot > Privileged Gateway Intents)"
    ),
}


def nonce_for(key: str) -> str:
    """A stable nonce (at most 25 characters) for one outbox row."""
    return hashlib.sha256(key.encode()).hexdigest()[:25]


def _invalid(message_id: object, reason: str) -> PayloadInvalid:
    return PayloadInvalid(Platform.DISCORD, str(message_id), reason)


def read_message(message: discord.Message) -> InboundMessage:
    """A gateway or history message as an InboundMessage, its text kept exactly as sent.
    discord.py builds messages without checking types, and derives the time from the id:
    PayloadInvalid for a message whose content, author or id Tactline cannot read."""
    if not isinstance(message.content, str):
        raise _invalid(message.id, f"content: not a string ({type(message.content).__name__})")
    if not isinstance(message.author.name, str):
        raise _invalid(message.id, "author.username: not a string")
    try:
        message.created_at.astimezone(UTC)  # from the snowflake: an absurd id overflows
    except (ValueError, OverflowError, OSError):
        raise _invalid(message.id, "id: not a Discord snowflake (no time in it)") from None
    return normalize(message)


def read_edit(message_id: int, channel_id: int, data: Any) -> SourceChange:
    """A raw MESSAGE_UPDATE as a change: the new text, or None when the update carries no
    content (an embed resolved). PayloadInvalid if the content is not text."""
    content = data.get("content") if isinstance(data, dict) else None
    if content is not None and not isinstance(content, str):
        raise _invalid(message_id, f"content: not a string ({type(content).__name__})")
    return SourceChange(str(message_id), str(channel_id), deleted=False, new_text=content)


def read_reaction(payload: discord.RawReactionActionEvent, *, removed: bool) -> Reaction:
    """A raw reaction event as a Reaction: a Unicode emoji as itself, a custom one as
    ``name:id``. Discord gives no time with it: the time it arrived."""
    emoji = payload.emoji
    name = emoji.name or "?"
    return Reaction(
        platform=Platform.DISCORD,
        channel_id=str(payload.channel_id),
        message_id=str(payload.message_id),
        user_id=str(payload.user_id),
        emoji=name if emoji.id is None else f"{name}:{emoji.id}",
        at=datetime.now(UTC),
        removed=removed,
    )


def normalize(message: discord.Message) -> InboundMessage:
    channel = message.channel
    thread_id = str(channel.id) if isinstance(channel, discord.Thread) else None
    parent = channel.parent if isinstance(channel, discord.Thread) else channel
    name = getattr(parent, "name", None) or str(getattr(parent, "id", channel.id))
    reply_to = message.reference.message_id if message.reference else None
    joined = getattr(message.author, "joined_at", None)
    return InboundMessage(
        platform=Platform.DISCORD,
        platform_message_id=str(message.id),
        conversation=ConversationRef(
            platform=Platform.DISCORD,
            channel_id=str(channel.id),
            thread_id=thread_id,
            reply_to_message_id=str(reply_to) if reply_to else None,
            channel_name=name,
        ),
        author=Author(
            id=str(message.author.id),
            name=message.author.name,
            is_bot=message.author.bot,
            joined_at=joined,
        ),
        text=message.content,
        sent_at=message.created_at.astimezone(UTC),
        raw={
            "id": str(message.id),
            "channel_id": str(channel.id),
            "guild_id": str(message.guild.id) if message.guild else None,
            "author_id": str(message.author.id),
            "content": message.content,
            "jump_url": message.jump_url,
            "permalink": message.jump_url,
        },
    )


def _payload(message: discord.Message) -> dict[str, Any]:
    """What is kept of a message that could not be read (discord.py keeps no raw payload)."""
    return {
        "id": str(message.id),
        "channel_id": str(message.channel.id),
        "author_id": str(getattr(message.author, "id", None)),
        "content": message.content,
    }


class _RoutedHTTPClient(discord.http.HTTPClient):
    """discord.py's HTTP client, with REST calls and the gateway connection sent to one
    adapter's URLs. discord.py builds every URL from two class attributes
    (``Route.BASE``, ``DiscordWebSocket.DEFAULT_GATEWAY``); this rewrites the URLs built from
    them, for this client only."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, *, api: str, gateway: str, **kw: Any
    ) -> None:
        super().__init__(loop, **kw)
        self.api, self.gateway = api, yarl.URL(gateway)

    async def request(self, route: discord.http.Route, **kw: Any) -> Any:
        base = discord.http.Route.BASE
        if route.url.startswith(base):  # a Route is built for one request: rebase it here
            route.url = self.api + route.url[len(base) :]
        return await super().request(route, **kw)

    async def ws_connect(self, url: str, *, compress: int = 0) -> aiohttp.ClientWebSocketResponse:
        # The first connection, and any after an invalidated session, go to the default
        # gateway (with its query); a resume goes to the URL from READY, left as it is.
        target = yarl.URL(url)
        if str(target.with_query(None)) == str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY):
            url = str(self.gateway.with_query(target.query))
        return await super().ws_connect(url, compress=compress)


class _NoVoiceWarning(logging.Filter):
    """Tactline has no voice: discord.py's "voice will NOT be supported" lines are noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "voice will NOT be supported" not in record.getMessage()


class _Client(discord.Client):
    def __init__(
        self,
        adapter: DiscordAdapter,
        identify_delay: float,
        *,
        api: str,
        gateway: str,
        max_ratelimit_timeout: float,
        **kw: Any,
    ) -> None:
        quiet = _NoVoiceWarning()  # discord.py warns once, while a client is constructed
        logging.getLogger("discord.client").addFilter(quiet)
        try:
            super().__init__(max_ratelimit_timeout=max_ratelimit_timeout, **kw)
        finally:
            logging.getLogger("discord.client").removeFilter(quiet)
        # Replaced before anything used it: the connection state shares the client's.
        self.http = self._connection.http = _RoutedHTTPClient(
            self.http.loop, api=api, gateway=gateway, max_ratelimit_timeout=max_ratelimit_timeout
        )
        self.adapter = adapter
        self.identify_delay = identify_delay

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        if not initial:
            await asyncio.sleep(self.identify_delay)

    async def on_ready(self) -> None:
        await self.adapter._on_ready()

    async def on_message(self, message: discord.Message) -> None:
        await self.adapter._on_message(message)

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        await self.adapter._on_edit(payload.message_id, payload.channel_id, payload.data)

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        await self.adapter._on_change(
            str(payload.message_id), str(payload.channel_id), deleted=True, new_text=None
        )

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        await self.adapter._on_reaction(payload, removed=False)

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        await self.adapter._on_reaction(payload, removed=True)


class DiscordAdapter:
    platform = Platform.DISCORD

    def __init__(
        self,
        config: PlatformAdapterConfig,
        *,
        token: str,
        identify_delay: float = 5.0,
        ready_timeout: float = 30.0,
        retry_delay: float = 2.0,
    ) -> None:
        self.name = "discord"
        self.config = config
        self._token = token
        self._identify_delay = identify_delay
        self._ready_timeout = ready_timeout
        self._sink: MessageSink | None = None
        self._client: _Client | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._fatal: str | None = None
        self._permanent = False  # the fatal error needs an admin (token, intent)
        self._listening_since = datetime.now(UTC)
        self._connected = False
        self._last_event: datetime | None = None
        self._last_error: str | None = None
        self._retry_delay = retry_delay
        self._gaps: dict[int, int] = {}  # channel id -> first message id the store missed
        self._catch_up_task: asyncio.Task[None] | None = None

    def _text(self, exc: BaseException) -> str:
        """An error as text for logs, health and alerts, the token hidden whatever it says."""
        return exception_text(exc, (self._token,))

    def health(self) -> AdapterHealth:
        connected = self._connected and self._client is not None and not self._client.is_closed()
        return AdapterHealth(self.name, connected, self._last_event, self._last_error)

    async def start(self, sink: MessageSink) -> None:
        self._sink = sink
        self._ready, self._fatal, self._permanent = asyncio.Event(), None, False
        self._listening_since = datetime.now(UTC)
        intents = discord.Intents(  # reactions: engagement with our replies (not privileged)
            guilds=True,
            guild_messages=True,
            message_content=True,
            guild_reactions=True,
            members=False,
        )
        self._client = _Client(
            self,
            self._identify_delay,
            api=self.config.api_base_url or DEFAULT_API,
            gateway=self.config.gateway_url or DEFAULT_GATEWAY,
            intents=intents,
            guild_ready_timeout=0.5,
            max_ratelimit_timeout=30.0,
            chunk_guilds_at_startup=False,
        )
        self._task = asyncio.create_task(self._run(), name="discord")
        ready = asyncio.create_task(self._ready.wait())
        await asyncio.wait(
            {ready, self._task}, timeout=self._ready_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        ready.cancel()
        if self._fatal is not None or not self._ready.is_set():
            reason = self._fatal or "no READY from the gateway in time"
            await self.stop()
            raise AdapterUnhealthy(f"discord: {reason}", permanent=self._permanent)

    async def _run(self) -> None:
        """Log in, then stay connected. discord.py resumes or reconnects by itself after
        network errors; anything else it lets through (a payload it cannot parse, say) is
        logged and the connection is opened again, with backoff. A refused token or intent
        stops the adapter for good: retrying cannot fix it, an admin must."""
        assert self._client is not None
        try:
            await self._client.login(self._token)
            await self._stay_connected()
        except discord.PrivilegedIntentsRequired:
            self._fatal, self._permanent = FATAL_CLOSE_CODES[4014], True
        except discord.LoginFailure as exc:
            self._fatal, self._permanent = f"the bot token was refused ({self._text(exc)})", True
        except Exception as exc:  # the adapter reports, the other adapters keep going
            self._fatal = f"{exc.__class__.__name__}: {self._text(exc)}"
        finally:
            self._connected = False
            if self._fatal:
                self._last_error = self._fatal
                log.error("discord adapter stopped: %s", self._fatal)

    async def _stay_connected(self) -> None:
        assert self._client is not None
        delay = self._retry_delay
        while not self._client.is_closed():
            try:
                await self._client.connect(reconnect=True)
            except discord.ConnectionClosed as exc:
                if exc.code in FATAL_CLOSE_CODES:
                    self._fatal, self._permanent = FATAL_CLOSE_CODES[exc.code], True
                    return
                raise
            except (discord.PrivilegedIntentsRequired, discord.LoginFailure):
                raise
            except Exception as exc:
                await self._gateway_failed(exc, delay)
                delay = min(delay * 2, 60.0)
            else:
                return

    async def _gateway_failed(self, exc: Exception, delay: float) -> None:
        assert self._client is not None
        self._connected = False
        if self._client.ws is not None:  # stops its heartbeat thread too
            with contextlib.suppress(Exception):
                await self._client.ws.close(code=4000)
        self._last_error = f"gateway: {exc.__class__.__name__}: {self._text(exc)}"
        log.exception("discord: gateway failed; reconnecting in %.0fs", delay)
        await asyncio.sleep(delay)

    async def stop(self) -> None:
        if self._catch_up_task is not None:
            self._catch_up_task.cancel()
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, 10)
        self._connected = False

    # -- inbound -------------------------------------------------------------------------------

    def _wanted(self, message: discord.Message) -> bool:
        channel = message.channel
        ids = {str(channel.id)}
        if isinstance(channel, discord.Thread) and channel.parent_id:
            ids.add(str(channel.parent_id))
        if self.config.channels and not ids & set(self.config.channels):
            return False
        if self.config.mention_only and self._client is not None and self._client.user:
            return self._client.user in message.mentions
        return True

    async def _on_ready(self) -> None:
        assert self._client is not None
        flags = self._client.application_flags
        if not (flags.gateway_message_content or flags.gateway_message_content_limited):
            self._fatal, self._permanent = FATAL_CLOSE_CODES[4014], True
            await self._client.close()
            return
        self._connected, self._last_error = True, None
        self._ready.set()
        await self._backfill()  # a new session: events from before it are not replayed

    async def _backfill(self) -> None:
        """Each watched channel and active thread, from its newest stored message: what was
        said while Tactline was away (a restart, a session that could not resume), at most
        a day back. A channel with nothing stored yet starts from now: history from before
        Tactline listened there is not its to answer."""
        assert self._client is not None and self._sink is not None
        floor = discord.utils.time_snowflake(datetime.now(UTC) - BACKFILL_AT_MOST)
        fresh = discord.utils.time_snowflake(self._listening_since)
        for guild in self._client.guilds:
            places: list[discord.TextChannel | discord.Thread] = [
                *guild.text_channels,
                *guild.threads,
            ]
            for channel in places:
                watched = {str(channel.id), str(getattr(channel, "parent_id", None))}
                if self.config.channels and not watched & set(self.config.channels):
                    continue
                newest = await self._sink.last_seen(Platform.DISCORD, str(channel.id))
                if newest and newest.isdigit():
                    after = discord.Object(id=max(int(newest), floor))
                else:
                    after = discord.Object(id=fresh)
                count = 0
                try:
                    async for message in channel.history(limit=500, after=after, oldest_first=True):
                        await self._on_message(message)
                        count += 1
                except discord.HTTPException as exc:
                    log.warning("discord backfill of #%s failed: %s", channel.name, self._text(exc))
                    continue
                if count:
                    log.info("discord: backfilled %d message(s) in #%s", count, channel.name)

    async def _on_message(self, message: discord.Message) -> None:
        """A gateway event. Discord does not redeliver it, so a message the store could not
        take is fetched again from the channel history once the store is back."""
        self._last_event = datetime.now(UTC)
        try:
            await self._store(message)
        except PayloadInvalid as exc:
            await self._set_aside(exc, _payload(message))
        except Exception as exc:
            channel_id = message.channel.id
            self._gaps[channel_id] = min(self._gaps.get(channel_id, message.id), message.id)
            self._last_error = f"could not store a message: {exc.__class__.__name__}"
            log.error(
                "discord: could not store message %s (%s); it will be read again from the "
                "channel history",
                message.id,
                self._text(exc),
            )
            if self._catch_up_task is None or self._catch_up_task.done():
                self._catch_up_task = asyncio.create_task(self._catch_up(), name="discord-gaps")

    async def _store(self, message: discord.Message) -> None:
        assert self._sink is not None
        if self._client is not None and message.author == self._client.user:
            return
        if not self._wanted(message):
            return
        if not message.content:
            log.info("discord message %s has no text (attachment or embed only)", message.id)
            return
        await self._sink.accept(read_message(message))

    async def _catch_up(self) -> None:
        """Re-read each channel from just before the first message that was not stored."""
        delay = self._retry_delay
        while self._gaps:
            await asyncio.sleep(delay)
            for channel_id, first in list(self._gaps.items()):
                try:
                    channel = await self._channel(str(channel_id))
                    async for message in channel.history(
                        limit=500, after=discord.Object(id=first - 1), oldest_first=True
                    ):
                        try:
                            await self._store(message)
                        except PayloadInvalid as exc:
                            await self._set_aside(exc, _payload(message))
                except discord.Forbidden as exc:  # retrying cannot help; 403s get IPs banned
                    log.error(
                        "discord: cannot read the history of channel %s (%s): the messages "
                        "the store missed there are lost",
                        channel_id,
                        self._text(exc),
                    )
                    del self._gaps[channel_id]
                    continue
                except Exception as exc:
                    log.warning(
                        "discord: catching up channel %s failed: %s", channel_id, self._text(exc)
                    )
                    continue
                if self._gaps.get(channel_id) == first:
                    del self._gaps[channel_id]
                    log.info("discord: channel %s caught up", channel_id)
            delay = min(delay * 2, 60.0)
        self._last_error = None

    async def _on_edit(self, message_id: int, channel_id: int, data: Any) -> None:
        try:
            change = read_edit(message_id, channel_id, data)
        except PayloadInvalid as exc:
            await self._set_aside(exc, data)
            return
        await self._on_change(
            change.platform_message_id, change.channel_id, deleted=False, new_text=change.new_text
        )

    async def _on_reaction(self, payload: discord.RawReactionActionEvent, *, removed: bool) -> None:
        """A reaction, passed on when it may be on one of our replies (the sink keeps only
        those); never our bot's own. Discord does not redeliver: one the store could not
        take is logged and lost, as a reaction is a measure, not a message to answer."""
        self._last_event = datetime.now(UTC)
        me = self._client.user if self._client is not None else None
        if me is not None and payload.user_id == me.id:
            return
        author = getattr(payload, "message_author_id", None)  # only on an added reaction
        if me is not None and author is not None and author != me.id:
            return
        try:
            await pass_on(self._sink, read_reaction(payload, removed=removed))
        except Exception as exc:
            log.warning(
                "discord: reaction on message %s not kept: %s", payload.message_id, self._text(exc)
            )

    async def _set_aside(self, exc: PayloadInvalid, payload: Any) -> None:
        """Discord does not redeliver: an unreadable message is kept as a dead letter (or in
        the log), never retried from the history, where it would be as unreadable."""
        try:
            await set_aside(self._sink, exc, payload)
        except Exception as failed:
            log.error(
                "discord: %s could not be set aside (%s): %s",
                exc,
                self._text(failed),
                json.dumps(payload, default=repr),
            )

    async def _on_change(
        self, message_id: str, channel_id: str, *, deleted: bool, new_text: str | None
    ) -> None:
        assert self._sink is not None
        self._last_event = datetime.now(UTC)
        await self._sink.source_changed(
            Platform.DISCORD, message_id, deleted=deleted, new_text=new_text, channel_id=channel_id
        )

    # -- outbound ------------------------------------------------------------------------------

    async def _channel(self, channel_id: str) -> Any:
        assert self._client is not None
        channel = self._client.get_channel(int(channel_id))
        if channel is None:
            try:
                channel = await self._client.fetch_channel(int(channel_id))
            except discord.NotFound:
                raise DeliveryFailed(
                    f"discord channel {channel_id} not found", permanent=True
                ) from None
        return channel

    async def send(self, reply: OutboundReply) -> DeliveryReceipt:
        if self._client is None or self._fatal:
            raise AdapterUnhealthy(
                f"discord: {self._fatal or 'not started'}", permanent=self._permanent
            )
        ref = reply.conversation
        channel = await self._channel(ref.thread_id or ref.channel_id)
        ids: list[str] = []
        for i, part in enumerate(split_text(reply.text, LIMITS["discord"])):
            reference = None
            if i == 0 and ref.reply_to_message_id:
                reference = discord.MessageReference(
                    message_id=int(ref.reply_to_message_id),
                    channel_id=int(ref.channel_id),
                    fail_if_not_exists=False,
                )
            try:
                sent = await channel.send(
                    part,
                    reference=reference,
                    nonce=nonce_for(f"{reply.idempotency_key}:{i}"),
                    mention_author=False,
                    allowed_mentions=discord.AllowedMentions.none(),
                )
            except (discord.RateLimited, discord.HTTPException, TimeoutError, OSError) as exc:
                raise self._send_error(exc, parts_sent=len(ids)) from None
            ids.append(str(sent.id))
        await self._tell_audience(channel)
        return DeliveryReceipt(Platform.DISCORD, tuple(ids), datetime.now(UTC), permalink=None)

    async def _tell_audience(self, channel: Any) -> None:
        """The members who can see the reply, from discord.py's cache (no request): a
        thread's members (Discord counts them up to 50), else the server's."""
        members: int | None = (
            channel.member_count
            if isinstance(channel, discord.Thread)
            else getattr(getattr(channel, "guild", None), "member_count", None)
        )
        if isinstance(members, int):
            audience = Audience(Platform.DISCORD, str(channel.id), members, datetime.now(UTC))
            await tell_audience(self._sink, audience)

    def _send_error(self, exc: Exception, *, parts_sent: int) -> Exception:
        """What a failed post means for the outbox: retry later, give up, or ask first."""
        if isinstance(exc, discord.RateLimited):
            if parts_sent:
                return DeliveryFailed(f"rate limited after {parts_sent} part(s)", permanent=True)
            return DeliveryFailed("discord rate limit", retry_after=exc.retry_after)
        if isinstance(exc, discord.Forbidden):
            return DeliveryFailed(
                f"discord: missing permission ({self._text(exc)})", permanent=True
            )
        if isinstance(exc, discord.NotFound):
            return DeliveryFailed(f"discord: {self._text(exc)}", permanent=True)
        if isinstance(exc, discord.DiscordServerError):
            return DeliveryUnknown(f"discord server error {exc.status}")
        if isinstance(exc, discord.HTTPException):
            if exc.status == 401:
                self._last_error = "token refused"
                return AdapterUnhealthy("discord: the bot token was refused", permanent=True)
            return DeliveryFailed(f"discord: {self._text(exc)}", permanent=True)
        return DeliveryUnknown(f"discord: {exc.__class__.__name__}")

    async def find_sent(self, reply: OutboundReply) -> DeliveryReceipt | None:
        """After an unknown outcome: look for the reply in the channel (the bot's messages
        after the one it answers, with the same text). Not found: None, and the resend
        carries the same nonces, which Discord also deduplicates for a few minutes."""
        if self._client is None or self._client.user is None or self._fatal:
            raise DeliveryUnknown(f"discord: {self._fatal or 'not connected'}")
        ref = reply.conversation
        parts = split_text(reply.text, LIMITS["discord"])
        channel = await self._channel(ref.thread_id or ref.channel_id)
        source = ref.reply_to_message_id
        after = discord.Object(id=int(source)) if source and source.isdigit() else None
        mine: list[discord.Message] = []
        try:  # after the source message; without one, the newest messages
            async for message in channel.history(limit=100, after=after):
                if message.author.id == self._client.user.id:
                    mine.append(message)
        except discord.HTTPException as exc:
            raise DeliveryUnknown(f"discord history: {exc.status}") from None
        mine.sort(key=lambda m: m.id)
        for i, message in enumerate(mine):
            replied = message.reference.message_id if message.reference else None
            if message.content != parts[0] or (source and str(replied) != source):
                continue
            run = mine[i : i + len(parts)]
            if [m.content for m in run] == parts:
                return DeliveryReceipt(
                    Platform.DISCORD, tuple(str(m.id) for m in run), datetime.now(UTC)
                )
            raise DeliveryFailed(
                f"only {len(run)} of {len(parts)} parts of the reply are in the channel: "
                "check it and post the rest by hand",
                permanent=True,
            )
        return None
