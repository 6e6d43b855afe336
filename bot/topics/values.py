"""The values topics are made of: a message to group, a topic, a period's topics."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class TopicMessage:
    """A stored message as grouping reads it."""

    id: int
    platform: str
    channel: str
    text: str
    sent_at: datetime
    received_at: datetime
    language: str | None = None
    intent: str | None = None
    sentiment: str | None = None
    group: str | None = None


@dataclass(frozen=True, slots=True)
class Example:
    """A representative message of a topic (closest to its centre)."""

    message_id: int
    text: str
    platform: str
    channel: str
    permalink: str | None = None


@dataclass(frozen=True, slots=True)
class Topic:
    """A group of messages close in meaning, with what the team needs to read it."""

    number: int  # 1 = the largest; 0 = "other" (the messages of tiny groups)
    label: str
    keywords: tuple[str, ...]
    size: int
    previous: int  # messages of the previous period of the same length close to it
    group: str  # the approver group it concerns (product, support, …)
    intents: Counter[str] = field(default_factory=Counter)
    sentiments: Counter[str] = field(default_factory=Counter)
    platforms: Counter[str] = field(default_factory=Counter)
    by_day: dict[date, int] = field(default_factory=dict)
    examples: tuple[Example, ...] = ()

    @property
    def is_new(self) -> bool:
        return self.previous == 0

    @property
    def negative(self) -> int:
        return self.sentiments["negative"]


@dataclass(frozen=True, slots=True)
class TopicsReport:
    """A period's topics, largest first, the rest as "other", and the call-outs."""

    since: datetime
    until: datetime
    messages: int
    topics: tuple[Topic, ...]
    other: Topic | None
    callouts: tuple[str, ...]

    def topic(self, number: int) -> Topic | None:
        return next((tp for tp in self.topics if tp.number == number), None)
