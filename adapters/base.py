"""The Protocol every platform adapter implements, and the sink it feeds."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from bot.domain import DeliveryReceipt, InboundMessage, OutboundReply, Platform
from bot.errors import TactlineError


class PayloadInvalid(TactlineError):
    """A platform payload Tactline cannot read as a message or a change (a missing key, a
    wrong type, a value out of range). Retrying cannot help: the adapter sets the payload
    aside as a dead letter (or logs it whole when it has nowhere to put it) and moves on.
    ``ref``: the platform's id for the update, when it has one."""

    def __init__(self, platform: Platform, ref: str | None, reason: str) -> None:
        super().__init__(f"{platform.value} payload {ref or '(no id)'}: {reason}")
        self.platform, self.ref, self.reason = platform, ref, reason


@dataclass(frozen=True, slots=True)
class SourceChange:
    """A message edited (``new_text``) or deleted on the platform."""

    platform_message_id: str
    channel_id: str
    deleted: bool
    new_text: str | None = None


@dataclass(frozen=True, slots=True)
class Reaction:
    """Someone reacted to a message (``removed``: took the reaction back). Adapters pass on
    reactions that may be on Tactline's own replies, never its bot's own; the sink keeps
    only those on a reply Tactline posted (engagement and amplification in the report)."""

    platform: Platform
    channel_id: str
    message_id: str  # the message reacted to
    user_id: str
    emoji: str  # "👍"; a custom emoji's name or id; a Slack emoji name ("thumbsup")
    at: datetime
    removed: bool = False


class MessageSink(Protocol):
    """Where adapters hand inbound messages. ``accept`` returns once the message is stored,
    so an adapter acknowledges the platform only after it returns. Redelivery is a no-op."""

    async def accept(self, message: InboundMessage) -> bool: ...

    async def source_changed(
        self,
        platform: Platform,
        platform_message_id: str,
        *,
        deleted: bool,
        new_text: str | None = None,
        channel_id: str | None = None,
    ) -> None:
        """The source message was edited or deleted: drafts not yet posted go stale."""
        ...

    async def last_seen(self, platform: Platform, channel_id: str) -> str | None:
        """The newest stored platform message id in a channel (for history backfill)."""
        ...


@runtime_checkable
class DeadLetterSink(MessageSink, Protocol):
    """A sink with a place for poison updates: ones the store refused several times while
    the database was answering. An adapter that cannot set an update aside keeps it (and
    retries with backoff) rather than lose it."""

    async def dead_letter(
        self, platform: Platform, ref: str, payload: dict[str, Any], reason: str, tries: int
    ) -> None:
        """Record the update (``ref``: the platform's id for it) and tell the admins; raises
        if it could not be recorded, and then the adapter must not confirm the update."""
        ...


@dataclass(frozen=True, slots=True)
class Audience:
    """How many members a channel (or thread) had when Tactline posted there, as the
    platform says: the visibility the report can show without inventing views."""

    platform: Platform
    channel_id: str
    members: int
    at: datetime


@runtime_checkable
class AudienceSink(MessageSink, Protocol):
    """A sink that keeps channel member counts; an adapter whose sink has none drops them."""

    async def audience(self, audience: Audience) -> None: ...


async def tell_audience(sink: MessageSink | None, audience: Audience) -> None:
    """Hand a member count to ``sink`` when it keeps them. Never raises: a count is a
    measure, and the reply it goes with is posted already."""
    if not isinstance(sink, AudienceSink):
        return
    try:
        await sink.audience(audience)
    except Exception as exc:
        logging.getLogger("adapters").warning(
            "%s: the member count of %s was not kept (%s)",
            audience.platform.value,
            audience.channel_id,
            exc.__class__.__name__,
        )


@runtime_checkable
class ReactionSink(MessageSink, Protocol):
    """A sink that keeps reactions on Tactline's replies (``reacted``: True if kept). An
    adapter whose sink has no such place drops reactions."""

    async def reacted(self, reaction: Reaction) -> bool: ...


async def pass_on(sink: MessageSink | None, reaction: Reaction) -> bool:
    """Hand a reaction to ``sink`` when it keeps them; False when it has no place for them
    or did not keep it (not on one of our replies, or already kept)."""
    if isinstance(sink, ReactionSink):
        return await sink.reacted(reaction)
    return False


@dataclass(frozen=True, slots=True)
class AdapterHealth:
    name: str
    connected: bool
    last_event_at: datetime | None = None
    last_error: str | None = None


class Adapter(Protocol):
    """Lifecycle: ``start(sink)`` returns once listening; ``stop()`` is idempotent."""

    name: str
    platform: Platform

    async def start(self, sink: MessageSink) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, reply: OutboundReply) -> DeliveryReceipt:
        """Post a reply. Raises DeliveryFailed / DeliveryUnknown / AdapterUnhealthy."""
        ...

    async def find_sent(self, reply: OutboundReply) -> DeliveryReceipt | None:
        """After an unknown outcome: the receipt if ``reply`` was in fact posted, else None."""
        ...

    def health(self) -> AdapterHealth: ...


def _as_payload(payload: Any) -> dict[str, Any]:
    return payload if isinstance(payload, dict) else {"payload": payload}


async def set_aside(sink: MessageSink | None, error: PayloadInvalid, payload: Any) -> bool:
    """Keep a payload the adapter cannot read: a dead letter when ``sink`` has a place for it
    (raises if it could not be recorded: then the update must not be confirmed); False when
    it has none, after one error line that carries the payload whole."""
    text = json.dumps(payload, ensure_ascii=True, default=repr)
    if isinstance(sink, DeadLetterSink):
        # without the platform's id, one per distinct payload (the table is keyed by ref)
        ref = error.ref or "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:24]
        await sink.dead_letter(error.platform, ref, _as_payload(payload), error.reason, 1)
        return True
    logging.getLogger("adapters").error(
        "%s; nowhere to set it aside, so here it is: %s", error, text
    )
    return False
