"""An in-process platform, for the demo and the tests.

It behaves like an adapter: messages injected into it go to the sink, replies sent to it are
recorded (optionally appended to a JSON Lines file that outlives the process, so a crash test
can count posts across worker restarts), and ``find_sent`` reconciles by idempotency key.
Faults can be scripted with ``fail_next``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from adapters.base import AdapterHealth, MessageSink
from bot.domain import DeliveryReceipt, InboundMessage, OutboundReply, Platform
from bot.redact import exception_text


@dataclass(frozen=True, slots=True)
class FakePost:
    platform_message_id: str
    channel_id: str
    thread_id: str | None
    reply_to_message_id: str | None
    text: str
    idempotency_key: str


class FakeAdapter:
    def __init__(
        self, *, platform: Platform, name: str | None = None, log_path: Path | None = None
    ) -> None:
        self.platform = platform
        self.name = name or f"fake-{platform}"
        self._log_path = log_path
        self._sink: MessageSink | None = None
        self._posts: list[FakePost] = []
        self._faults: list[tuple[Exception, bool]] = []
        self._last_event_at: datetime | None = None
        self._last_error: str | None = None

    async def start(self, sink: MessageSink) -> None:
        if self._sink is not None:
            raise RuntimeError(f"{self.name} already started")
        self._sink = sink

    async def stop(self) -> None:
        self._sink = None

    async def inject(self, message: InboundMessage) -> bool:
        """A community member posts ``message``; returns False for a redelivery."""
        if self._sink is None:
            raise RuntimeError(f"{self.name} is not started")
        self._last_event_at = datetime.now(UTC)
        return await self._sink.accept(message)

    def fail_next(self, *errors: Exception, after_delivery: bool = False) -> None:
        """The next sends raise these, in order (DeliveryFailed, DeliveryUnknown, ...).
        ``after_delivery``: the reply is posted, then the error is raised (a lost answer)."""
        self._faults.extend((e, after_delivery) for e in errors)

    @property
    def posts(self) -> list[FakePost]:
        if self._log_path is not None:
            return self._read_log()
        return list(self._posts)

    async def send(self, reply: OutboundReply) -> DeliveryReceipt:
        fault = self._faults.pop(0) if self._faults else None
        if fault is not None and not fault[1]:
            self._last_error = exception_text(fault[0])
            raise fault[0]
        existing = self.posts
        post = FakePost(
            platform_message_id=f"{self.platform}-reply-{len(existing) + 1}",
            channel_id=reply.conversation.channel_id,
            thread_id=reply.conversation.thread_id,
            reply_to_message_id=reply.conversation.reply_to_message_id,
            text=reply.text,
            idempotency_key=reply.idempotency_key,
        )
        if self._log_path is not None:
            line = json.dumps(_as_dict(post))
            with self._log_path.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        else:
            self._posts.append(post)
        if fault is not None:
            self._last_error = exception_text(fault[0])
            raise fault[0]
        return DeliveryReceipt(
            platform=self.platform,
            platform_message_ids=(post.platform_message_id,),
            sent_at=datetime.now(UTC),
        )

    async def find_sent(self, reply: OutboundReply) -> DeliveryReceipt | None:
        for post in self.posts:
            if post.idempotency_key == reply.idempotency_key:
                return DeliveryReceipt(
                    platform=self.platform,
                    platform_message_ids=(post.platform_message_id,),
                    sent_at=datetime.now(UTC),
                )
        return None

    def health(self) -> AdapterHealth:
        return AdapterHealth(
            name=self.name,
            connected=self._sink is not None,
            last_event_at=self._last_event_at,
            last_error=self._last_error,
        )

    def _read_log(self) -> list[FakePost]:
        assert self._log_path is not None
        if not self._log_path.exists():
            return []
        posts = []
        for line in self._log_path.read_text(encoding="utf-8").splitlines():
            try:
                posts.append(FakePost(**json.loads(line)))
            except (json.JSONDecodeError, TypeError):
                continue  # a line torn by a crash mid-write: that post did not complete
        return posts


def _as_dict(post: FakePost) -> dict[str, object]:
    return {f: getattr(post, f) for f in FakePost.__slots__}
