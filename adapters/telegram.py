"""Telegram (python-telegram-bot): groups, supergroups and private chats.

Reliability, as ``../shared/PLATFORMS.md`` describes it: our own ``getUpdates`` loop stores
each update before it confirms it (the offset advances only after the store has it), so a
crash never loses a message; a restart polls without an offset and gets the unconfirmed ones
again, which the store ignores as duplicates. Webhook mode checks the secret token and
answers 200 only once the update is stored.

Unknown outcomes: Telegram has no idempotency key and a bot cannot read chat history, so a
send that timed out cannot be checked. It is reported as an unknown outcome and Tactline does
not resend it (a duplicate public reply is worse than a late one): the draft is marked failed,
and the card and the admins are told the reply may have been posted and to check the chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hmac
import logging
import os
import warnings
from datetime import UTC, datetime
from typing import Any

from telegram import (
    Bot,
    Chat,
    Message,
    MessageReactionUpdated,
    ReactionType,
    ReactionTypeCustomEmoji,
    ReactionTypeEmoji,
    ReplyParameters,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from adapters.base import (
    AdapterHealth,
    Audience,
    DeadLetterSink,
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
DEFAULT_API = "https://api.telegram.org/bot"
# An update the store refused this many times in a row (the database answering) is set
# aside as a dead letter, so that it cannot hold back every later update forever.
POISON_TRIES = 3
MAX_PAUSE = 30.0
MAX_ERROR_TEXT = 300  # a proxy's error page is quoted whole in PTB's message
# What the bot asks Telegram for. Reactions ("message_reaction") are not sent unless asked
# for by name, and in groups only to a bot that is an administrator there.
UPDATES = ["message", "edited_message", "channel_post", "message_reaction"]


class _NonJsonBodyAtDebug(logging.Filter):
    """python-telegram-bot logs a body that is not JSON (a proxy's 502 page) at ERROR with a
    traceback, then raises; the adapter retries and logs one line itself, so PTB's record
    is demoted to DEBUG, where the whole body is still available when needed."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and str(record.msg).startswith("Can not load invalid"):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            record.exc_info, record.exc_text = None, None
        return True


def _quiet_non_json_bodies() -> None:
    ptb = logging.getLogger("telegram.request.BaseRequest")
    if not any(isinstance(f, _NonJsonBodyAtDebug) for f in ptb.filters):
        ptb.addFilter(_NonJsonBodyAtDebug())


def _opt_in_to_timedelta() -> None:
    """Opt in to PTB's coming behaviour (``retry_after`` as a timedelta) rather than a
    deprecation warning each time a ``RetryAfter`` is built. PTB reads only the environment
    for it, at each use, so it is set when an adapter starts (never at import), and never
    overrides a value the operator chose."""
    os.environ.setdefault("PTB_TIMEDELTA", "1")


def retry_seconds(exc: RetryAfter) -> float:
    """``retry_after`` as seconds, whichever type this PTB version gives (int or timedelta)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value: Any = exc.retry_after
    return float(value.total_seconds() if hasattr(value, "total_seconds") else value)


class _Bot(Bot):
    """PTB's Bot, with ``getUpdates`` answered as raw JSON: PTB's ``get_updates`` parses the
    whole batch at once, so one update it cannot read would hide the others and block the
    offset for good. Each update is parsed on its own (:func:`parse_update`)."""

    async def raw_updates(
        self, *, offset: int | None, poll_seconds: int, allowed_updates: list[str]
    ) -> list[Any]:
        data = {"timeout": poll_seconds, "offset": offset, "allowed_updates": allowed_updates}
        # as get_updates does: the long poll's duration on top of the usual read timeout
        read_timeout = (self._request[0].read_timeout or 0) + poll_seconds
        result = await self._post("getUpdates", data, read_timeout=read_timeout)
        if not isinstance(result, list):
            raise TelegramError(f"getUpdates answered {type(result).__name__}, not a list")
        return result


def _need(value: Any, kind: type, what: str, ref: str | None, *, optional: bool = False) -> Any:
    """``value`` if it is of ``kind`` (None allowed when ``optional``), else PayloadInvalid.
    python-telegram-bot builds its objects without checking types, so Tactline does."""
    if value is None and optional:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise PayloadInvalid(Platform.TELEGRAM, ref, f"{what}: not {kind.__name__}")
    return value


def parse_update(payload: Any, bot: Bot) -> Update:
    """A raw Bot API update as PTB's ``Update``; PayloadInvalid if PTB cannot read it (its
    parser raises whatever the payload provokes: KeyError, TypeError, OverflowError…)."""
    if not isinstance(payload, dict):
        raise PayloadInvalid(Platform.TELEGRAM, None, "update: not an object")
    uid = payload.get("update_id")
    ref = str(uid) if isinstance(uid, int) and not isinstance(uid, bool) else None
    _need(uid, int, "update_id", None)
    try:
        update = Update.de_json(payload, bot)
    except Exception as exc:  # a parser fed untrusted input: any error is the payload's
        raise PayloadInvalid(
            Platform.TELEGRAM, ref, f"unreadable ({exc.__class__.__name__}: {exception_text(exc)})"
        ) from None
    return update


def _checked(message: Message, ref: str | None) -> Message:
    """``message``, once every field Tactline reads has the type the Bot API promises."""
    _need(message.message_id, int, "message_id", ref)
    _need(message.chat, Chat, "chat", ref)
    _need(message.chat.id, int, "chat.id", ref)
    for key in ("title", "username", "type"):
        _need(getattr(message.chat, key), str, f"chat.{key}", ref, optional=True)
    _need(message.text, str, "text", ref, optional=True)
    _need(message.caption, str, "caption", ref, optional=True)
    _need(message.date, datetime, "date", ref, optional=True)
    _need(message.message_thread_id, int, "message_thread_id", ref, optional=True)
    replied = message.reply_to_message
    for who, user in (
        ("from", message.from_user),
        ("reply_to_message.from", replied.from_user if replied is not None else None),
    ):
        if user is not None:
            _need(user.id, int, f"{who}.id", ref)
            _need(user.first_name, str, f"{who}.first_name", ref)
            for key in ("last_name", "username"):
                _need(getattr(user, key), str, f"{who}.{key}", ref, optional=True)
    if replied is not None:
        _need(replied.message_id, int, "reply_to_message.message_id", ref)
    return message


def read_update(update: Update) -> InboundMessage | SourceChange | None:
    """What an update says: a new message (text kept exactly as sent), an edit, or None
    (no message, or one without text: a sticker, a photo). PayloadInvalid if a field
    Tactline reads has the wrong type."""
    ref = str(update.update_id)
    if update.edited_message is not None:
        m = _checked(update.edited_message, ref)
        return SourceChange(
            str(m.message_id), str(m.chat.id), deleted=False, new_text=m.text or m.caption
        )
    message = update.message or update.channel_post
    if message is None:
        return None
    message = _checked(message, ref)
    if not (message.text or message.caption):
        return None
    return normalize(message, update.to_dict())


def _emoji(reaction: ReactionType, ref: str) -> str:
    if isinstance(reaction, ReactionTypeEmoji):
        return str(_need(reaction.emoji, str, "reaction.emoji", ref))
    if isinstance(reaction, ReactionTypeCustomEmoji):
        return "custom:" + str(
            _need(reaction.custom_emoji_id, str, "reaction.custom_emoji_id", ref)
        )
    return str(reaction.type)  # "paid"


def read_reaction(update: MessageReactionUpdated, ref: str) -> list[Reaction]:
    """A ``message_reaction`` update as the reactions it adds and takes back (Telegram sends
    the member's whole set before and after). An anonymous reaction (a chat reacting on its
    own behalf) is counted under the chat's id. PayloadInvalid for a field of the wrong
    type."""
    _need(update.message_id, int, "message_reaction.message_id", ref)
    _need(update.chat, Chat, "message_reaction.chat", ref)
    _need(update.chat.id, int, "message_reaction.chat.id", ref)
    _need(update.date, datetime, "message_reaction.date", ref)
    who = update.user or update.actor_chat
    if who is None:
        raise PayloadInvalid(Platform.TELEGRAM, ref, "message_reaction: neither user nor actor")
    _need(who.id, int, "message_reaction.user.id", ref)
    old = {_emoji(r, ref) for r in update.old_reaction or ()}
    new = {_emoji(r, ref) for r in update.new_reaction or ()}
    changes = [(e, False) for e in sorted(new - old)] + [(e, True) for e in sorted(old - new)]
    return [
        Reaction(
            platform=Platform.TELEGRAM,
            channel_id=str(update.chat.id),
            message_id=str(update.message_id),
            user_id=str(who.id),
            emoji=emoji,
            at=update.date.astimezone(UTC),
            removed=removed,
        )
        for emoji, removed in changes
    ]


def normalize(message: Message, raw: dict[str, Any]) -> InboundMessage:
    """A checked message (see :func:`read_update`) as an InboundMessage."""
    chat = message.chat
    user = message.from_user
    thread = message.message_thread_id if message.is_topic_message else None
    reply_to = message.reply_to_message.message_id if message.reply_to_message else None
    name = (user.username or user.full_name) if user else (chat.title or "unknown")
    return InboundMessage(
        platform=Platform.TELEGRAM,
        platform_message_id=str(message.message_id),
        conversation=ConversationRef(
            platform=Platform.TELEGRAM,
            channel_id=str(chat.id),
            thread_id=str(thread) if thread else None,
            reply_to_message_id=str(reply_to) if reply_to else None,
            channel_name=chat.title or chat.username or str(chat.id),
        ),
        author=Author(
            id=str(user.id) if user else str(chat.id), name=name, is_bot=bool(user and user.is_bot)
        ),
        text=message.text or message.caption or "",
        sent_at=message.date.astimezone(UTC) if message.date else datetime.now(UTC),
        raw=raw,
    )


class TelegramAdapter:
    platform = Platform.TELEGRAM

    def __init__(
        self,
        config: PlatformAdapterConfig,
        *,
        token: str,
        webhook_secret: str | None = None,
        poll_timeout: int = 25,
        retry_pause: float = 1.0,
    ) -> None:
        self.name = "telegram"
        self._webhook_secret = webhook_secret
        self._secrets = (token, webhook_secret)  # hidden from every error text we build
        self._runner: Any = None
        self.config = config
        self.bot = _Bot(token, base_url=config.api_base_url or DEFAULT_API)
        self._poll_timeout = poll_timeout
        self._retry_pause = retry_pause
        self._sink: MessageSink | None = None
        self._task: asyncio.Task[None] | None = None
        self._connected = False
        self._last_event: datetime | None = None
        self._last_error: str | None = None
        self._username = ""
        self._failures: dict[int, int] = {}  # update id -> failed attempts to store it

    def _text(self, exc: BaseException) -> str:
        """An SDK error as one line for logs, health and alerts: PTB puts the token in some,
        and a whole proxy error page in others."""
        text = exception_text(exc, self._secrets)
        return text if len(text) <= MAX_ERROR_TEXT else text[:MAX_ERROR_TEXT] + "…"

    def health(self) -> AdapterHealth:
        return AdapterHealth(self.name, self._connected, self._last_event, self._last_error)

    async def start(self, sink: MessageSink) -> None:
        self._sink = sink
        _quiet_non_json_bodies()
        _opt_in_to_timedelta()
        try:
            await self.bot.initialize()  # getMe: checks the token
        except (InvalidToken, Forbidden) as exc:
            self._last_error = f"invalid token: {self._text(exc)}"
            raise AdapterUnhealthy(
                f"telegram: the bot token was refused, or api_base_url is wrong "
                f"({self._text(exc)})",
                permanent=True,
            ) from None
        except NetworkError as exc:
            self._last_error = self._text(exc)
            raise AdapterUnhealthy(
                f"telegram: cannot reach the Bot API ({self._last_error})"
            ) from None
        self._username = self.bot.username or ""
        self._connected = True
        if self.config.mode == "webhook":
            await self._start_webhook()
        else:
            with contextlib.suppress(TelegramError):
                await self.bot.delete_webhook()
            self._task = asyncio.create_task(self._poll(), name="telegram-poll")

    async def _start_webhook(self) -> None:
        from aiohttp import web

        if not self._webhook_secret or not self.config.webhook_url:
            raise AdapterUnhealthy(
                "telegram webhook mode needs webhook_url and a secret (signing_secret_env)",
                permanent=True,
            )

        async def receive(request: web.Request) -> web.Response:
            secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
            try:
                payload = await request.json()
            except ValueError:
                return web.Response(status=400, text="not JSON")
            return web.Response(status=await self.handle_webhook(secret, payload))

        app = web.Application()
        app.router.add_post("/telegram", receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        host, port = self.config.listen_host, self.config.listen_port
        try:
            await web.TCPSite(self._runner, host, port).start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            self._connected = False
            why = "the port is taken" if exc.errno == errno.EADDRINUSE else self._text(exc)
            self._last_error = f"cannot listen on {host}:{port}: {why}"
            raise AdapterUnhealthy(
                f"telegram webhook {self._last_error} (set [adapters.telegram] listen_port; "
                "the Slack community listener defaults to 8443 too)",
                permanent=True,
            ) from None
        await self.bot.set_webhook(
            url=self.config.webhook_url,
            secret_token=self._webhook_secret,
            allowed_updates=UPDATES,
        )

    @property
    def webhook_port(self) -> int:
        assert self._runner is not None
        return int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._connected = False
        with contextlib.suppress(Exception):
            await self.bot.shutdown()

    # -- inbound -------------------------------------------------------------------------------

    def _wanted(self, message: Message) -> bool:
        if self.config.channels and str(message.chat.id) not in self.config.channels:
            return False
        if self.config.mention_only and message.chat.type != "private":
            text = message.text or message.caption or ""
            replied = message.reply_to_message
            to_bot = bool(replied and replied.from_user and replied.from_user.is_bot)
            return to_bot or (bool(self._username) and f"@{self._username}" in text)
        return True

    async def handle_update(self, update: Update) -> None:
        """Store one update (or report its change); returns once it is safe to confirm.
        Raises PayloadInvalid for an update that cannot be read."""
        assert self._sink is not None
        self._last_event = datetime.now(UTC)
        if update.message_reaction is not None:
            await self._reacted(update.message_reaction, str(update.update_id))
            return
        what = read_update(update)
        if isinstance(what, SourceChange):
            await self._sink.source_changed(
                Platform.TELEGRAM,
                what.platform_message_id,
                deleted=False,
                new_text=what.new_text,
                channel_id=what.channel_id,
            )
            return
        message = update.message or update.channel_post
        if what is None or message is None:
            log.info("telegram update %d ignored (no message with text)", update.update_id)
            return
        if not self._wanted(message):
            return
        await self._sink.accept(what)

    async def _reacted(self, update: MessageReactionUpdated, ref: str) -> None:
        """Pass reactions on (the sink keeps those on our replies), never the bot's own. A
        store error propagates: the update is not confirmed and comes again."""
        for reaction in read_reaction(update, ref):
            if reaction.user_id == str(self.bot.id):
                continue
            if self.config.channels and reaction.channel_id not in self.config.channels:
                continue
            await pass_on(self._sink, reaction)

    async def _poll(self) -> None:
        offset: int | None = None  # on start: Telegram resends what was never confirmed
        while True:
            try:
                updates = await self.bot.raw_updates(
                    offset=offset,
                    poll_seconds=self._poll_timeout,
                    allowed_updates=UPDATES,
                )
                self._connected, self._last_error = True, None
            except RetryAfter as exc:
                await asyncio.sleep(retry_seconds(exc))
                continue
            except (InvalidToken, Forbidden) as exc:
                self._connected = False
                self._last_error = f"token revoked: {self._text(exc)}"
                log.error("telegram: %s; polling stopped", self._last_error)
                return  # never loop on a bad token
            except Conflict as exc:
                self._last_error = f"conflict: {self._text(exc)} (another poller or a webhook)"
                log.warning("telegram: %s", self._last_error)
                await asyncio.sleep(self._retry_pause * 5)
                continue
            except (NetworkError, TelegramError) as exc:
                # 5xx, timeouts, unreachable: retried, so one line, no traceback
                self._connected, self._last_error = False, self._text(exc)
                log.warning("telegram polling failed: %s; retrying", self._last_error)
                await asyncio.sleep(self._retry_pause)
                continue
            for raw in updates:
                if not await self._take(raw):
                    break  # not confirmed: fetched again on the next poll
                uid = raw.get("update_id") if isinstance(raw, dict) else None
                if isinstance(uid, int) and not isinstance(uid, bool):
                    offset = uid + 1

    async def _take(self, raw: Any) -> bool:
        """Store one polled update; True once it may be confirmed: stored, or set aside (a
        dead letter) because it cannot be read or failed :data:`POISON_TRIES` times."""
        try:
            update = parse_update(raw, self.bot)
            uid = update.update_id
            try:
                await self.handle_update(update)
            except PayloadInvalid:
                raise
            except Exception as exc:  # the store is down, or this update cannot be stored
                return await self._not_stored(uid, raw, exc)
        except PayloadInvalid as exc:
            return await self._unreadable(exc, raw)
        self._failures.pop(uid, None)
        return True

    async def _not_stored(self, uid: int, raw: dict[str, Any], exc: Exception) -> bool:
        tries = self._failures[uid] = self._failures.get(uid, 0) + 1
        reason = self._text(exc)
        self._last_error = f"could not store update {uid}: {reason}"
        if tries >= POISON_TRIES and await self._dead_letter(uid, raw, reason, tries):
            self._failures.pop(uid, None)
            return True
        log.warning("telegram: %s (try %d); not confirmed, retrying", self._last_error, tries)
        await asyncio.sleep(min(self._retry_pause * 2 ** (tries - 1), MAX_PAUSE))
        return False

    async def _unreadable(self, exc: PayloadInvalid, raw: Any) -> bool:
        """An update that cannot be read: reading it again cannot help, so it is set aside
        (or logged whole when the sink has no dead-letter place) and confirmed; kept only
        while the dead letter itself cannot be recorded."""
        try:
            await set_aside(self._sink, exc, raw)
        except Exception as failed:
            log.warning(
                "telegram: %s; it could not be set aside either (%s): not confirmed",
                exception_text(exc, self._secrets),
                self._text(failed),
            )
            await asyncio.sleep(min(self._retry_pause * 5, MAX_PAUSE))
            return False
        return True

    async def _dead_letter(self, uid: int, raw: dict[str, Any], reason: str, tries: int) -> bool:
        """Set a poison update aside; False when there is nowhere to put it (the sink has no
        dead-letter place, or the database is down too), so it is kept and retried."""
        if not isinstance(self._sink, DeadLetterSink):
            return False
        try:
            await self._sink.dead_letter(Platform.TELEGRAM, str(uid), raw, reason, tries)
        except Exception as exc:
            log.warning(
                "telegram: update %d could not be set aside either (%s)", uid, self._text(exc)
            )
            return False
        return True

    async def handle_webhook(self, secret: str | None, payload: Any) -> int:
        """The webhook's answer: 403 on a wrong secret; 200 once stored, or once an update
        that cannot be read is set aside (400 when there is no place for it: Telegram may
        retry); 500 if it could not be kept, so Telegram sends it again."""
        if not self._webhook_secret or secret is None:
            return 403
        # constant time: the comparison must not tell an attacker how much of a guess is right
        if not hmac.compare_digest(secret.encode(), self._webhook_secret.encode()):
            return 403
        try:
            await self.handle_update(parse_update(payload, self.bot))
        except PayloadInvalid as exc:
            log.warning("telegram webhook: %s", exception_text(exc, self._secrets))
            try:
                kept = await set_aside(self._sink, exc, payload)
            except Exception as failed:
                log.warning("telegram webhook: not set aside (%s)", self._text(failed))
                return 500
            return 200 if kept else 400
        return 200

    # -- outbound -----------------------------------------------------------------------------

    async def send(self, reply: OutboundReply) -> DeliveryReceipt:
        ref = reply.conversation
        ids: list[str] = []
        for i, part in enumerate(split_text(reply.text, LIMITS["telegram"])):
            reply_to = ref.reply_to_message_id if i == 0 else (ids[-1] if ids else None)
            try:
                sent = await self.bot.send_message(
                    chat_id=int(ref.channel_id),
                    text=part,
                    message_thread_id=int(ref.thread_id) if ref.thread_id else None,
                    reply_parameters=ReplyParameters(
                        message_id=int(reply_to), allow_sending_without_reply=True
                    )
                    if reply_to
                    else None,
                )
            except RetryAfter as exc:
                wait = retry_seconds(exc)
                if ids:  # part of the reply is out: finishing it later would be confusing
                    raise DeliveryFailed(
                        f"rate limited after {len(ids)} part(s)", permanent=True
                    ) from None
                raise DeliveryFailed("telegram rate limit", retry_after=float(wait)) from None
            except TimedOut as exc:
                if ids:
                    raise DeliveryFailed(
                        f"telegram send timed out after {len(ids)} part(s) "
                        f"({self._text(exc)}): check the chat and post the rest by hand",
                        permanent=True,
                    ) from None
                # the outcome is unknown: the deliverer asks find_sent, which hands it to a
                # human (a bot cannot read the chat), and the card says it may be posted
                raise DeliveryUnknown(f"telegram send timed out ({self._text(exc)})") from None
            except (InvalidToken, Forbidden) as exc:
                self._connected, self._last_error = False, self._text(exc)
                raise DeliveryFailed(
                    f"telegram refused: {self._last_error}", permanent=True
                ) from None
            except BadRequest as exc:
                raise DeliveryFailed(f"telegram: {self._text(exc)}", permanent=True) from None
            except NetworkError as exc:
                if ids:
                    raise DeliveryFailed(
                        f"network error after {len(ids)} part(s): {self._text(exc)}",
                        permanent=True,
                    ) from None
                raise DeliveryFailed(f"telegram unreachable: {self._text(exc)}") from None
            ids.append(str(sent.message_id))
        await self._tell_audience(ref.channel_id)
        return DeliveryReceipt(Platform.TELEGRAM, tuple(ids), datetime.now(UTC))

    async def _tell_audience(self, chat_id: str) -> None:
        """The chat's member count (``getChatMemberCount``), once the reply is out; a failure
        only loses the count."""
        try:
            members = await self.bot.get_chat_member_count(chat_id=int(chat_id))
        except Exception as exc:  # the reply is posted: nothing here may fail the delivery
            log.info("telegram: no member count for chat %s (%s)", chat_id, self._text(exc))
            return
        if isinstance(members, int):
            audience = Audience(Platform.TELEGRAM, chat_id, members, datetime.now(UTC))
            await tell_audience(self._sink, audience)

    async def find_sent(self, reply: OutboundReply) -> DeliveryReceipt | None:
        raise DeliveryFailed(
            "a Telegram send had an unknown outcome and bots cannot read chat history: check "
            "the chat and post by hand if the reply is missing",
            permanent=True,
        )
