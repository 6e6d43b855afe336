"""A period's topics from the store: read, embed, group, label, compare, call out.

The period's messages are grouped by meaning; groups smaller than the period's minimum size
become "other". The previous period of the same length is not grouped again: each of its
messages counts for the nearest topic when it is close enough, which gives the trend.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np

from bot.store.database import Database
from bot.store.topics_reads import permalinks, topic_messages
from bot.topics import labels as wording
from bot.topics.embedding import message_vectors
from bot.topics.grouping import (
    THRESHOLD,
    Labels,
    centroid,
    closest,
    group_vectors,
    nearest_topic,
)
from bot.topics.trends import callouts
from bot.topics.values import Example, Topic, TopicMessage, TopicsReport
from models.encoder import Encoder, Vectors

# Where a topic goes when its messages were not routed yet: the policy's usual routes.
INTENT_GROUPS = {
    "bug_report": "product",
    "feature_request": "product",
    "feedback": "product",
    "complaint": "support",
    "legal_threat": "legal",
    "safety": "oncall",
}
DEFAULT_GROUP = "community"
# A message of the previous period counts for a topic when this close to its centre.
PREVIOUS_DISTANCE = 0.5


@dataclass(frozen=True, slots=True)
class TopicSettings:
    """How topics are made: the team's language for labels, the grouping distance, the
    smallest topic (None: 2, or one message in 500 on large periods), examples per topic."""

    language: str = "en"
    threshold: float = THRESHOLD
    min_size: int | None = None
    examples: int = 3

    def smallest(self, messages: int) -> int:
        return self.min_size if self.min_size is not None else max(2, messages // 500)


def _message(row: dict[str, Any]) -> TopicMessage:
    return TopicMessage(
        id=row["id"],
        platform=row["platform"],
        channel=row["channel_name"] or "",
        text=row["text"],
        sent_at=row["sent_at"],
        received_at=row["received_at"],
        language=row["language"],
        intent=row["intent"],
        sentiment=row["sentiment"],
        group=row["group"],
    )


def topic_group(members: Sequence[TopicMessage]) -> str:
    """The approver group most of the messages were routed to, else the usual route of the
    most common intent."""
    routed = Counter(m.group for m in members if m.group)
    if routed:
        return routed.most_common(1)[0][0]
    intents = Counter(m.intent for m in members if m.intent)
    for intent, _ in intents.most_common():
        if intent in INTENT_GROUPS:
            return INTENT_GROUPS[intent]
    return DEFAULT_GROUP


def split_clusters(labels: Labels, min_size: int) -> tuple[list[list[int]], list[int]]:
    """Row indices per topic (largest first, ties by first row), and the rows of groups
    smaller than ``min_size``."""
    members: dict[int, list[int]] = {}
    for row, lab in enumerate(labels):
        members.setdefault(int(lab), []).append(row)
    big = sorted(
        (rows for rows in members.values() if len(rows) >= min_size),
        key=lambda rows: (-len(rows), rows[0]),
    )
    rest = sorted(row for rows in members.values() if len(rows) < min_size for row in rows)
    return big, rest


@dataclass(frozen=True, slots=True)
class _Period:
    """A period's messages and their vectors (row i of one is row i of the other)."""

    messages: list[TopicMessage]
    vectors: Vectors

    def texts(self, rows: Sequence[int], language: str) -> list[str]:
        return wording.in_language(
            [(self.messages[i].text, self.messages[i].language) for i in rows], language
        )

    def examples(self, rows: Sequence[int], k: int) -> list[TopicMessage]:
        vectors = self.vectors[list(rows)]
        return [self.messages[rows[i]] for i in closest(vectors, centroid(vectors), k)]


def _topic(
    number: int, members: list[TopicMessage], previous: int, keywords: tuple[str, ...]
) -> Topic:
    return Topic(
        number=number,
        label=wording.label(keywords) if number else "other",
        keywords=keywords,
        size=len(members),
        previous=previous,
        group=topic_group(members),
        intents=Counter(m.intent for m in members if m.intent),
        sentiments=Counter(m.sentiment for m in members if m.sentiment),
        platforms=Counter(m.platform for m in members),
        by_day=dict(sorted(Counter(m.sent_at.date() for m in members).items())),
    )


def _previous_counts(big: list[list[int]], now: _Period, before: _Period) -> Counter[int]:
    if not big or not len(before.vectors):
        return Counter()
    centres = np.stack([centroid(now.vectors[rows]) for rows in big])
    nearest = nearest_topic(before.vectors, centres, threshold=PREVIOUS_DISTANCE)
    return Counter(int(i) for i in nearest if i >= 0)


async def _with_examples(
    db: Database, topics: list[Topic], picks: list[list[TopicMessage]]
) -> list[Topic]:
    links = await permalinks(db, [m.id for ms in picks for m in ms])
    out = []
    for tp, ms in zip(topics, picks, strict=True):
        examples = tuple(Example(m.id, m.text, m.platform, m.channel, links.get(m.id)) for m in ms)
        out.append(replace(tp, examples=examples))
    return out


async def _periods(
    db: Database, since: datetime, until: datetime, encoder: Encoder | None
) -> tuple[_Period, _Period]:
    """This period and the previous one of the same length, with their vectors."""
    now = [_message(r) for r in await topic_messages(db, since, until)]
    before = [_message(r) for r in await topic_messages(db, since - (until - since), since)]
    vectors = await message_vectors(db, [(m.id, m.text) for m in now + before], encoder=encoder)
    return _Period(now, vectors[: len(now)]), _Period(before, vectors[len(now) :])


async def find_topics(
    db: Database,
    since: datetime,
    until: datetime,
    *,
    settings: TopicSettings = TopicSettings(),
    encoder: Encoder | None = None,
) -> TopicsReport:
    """The topics of the messages received in [since, until), largest first."""
    now, before = await _periods(db, since, until, encoder)
    labels = await asyncio.to_thread(group_vectors, now.vectors, threshold=settings.threshold)
    big, rest = split_clusters(labels, settings.smallest(len(now.messages)))
    previous = _previous_counts(big, now, before)
    # "other" is a class too: its common words are then not distinctive of any topic.
    classes = [now.texts(rows, settings.language) for rows in [*big, rest]]
    keywords = wording.keywords(classes)
    topics = [
        _topic(n + 1, [now.messages[i] for i in rows], previous[n], keywords[n])
        for n, rows in enumerate(big)
    ]
    picks = [now.examples(rows, settings.examples) for rows in big]
    topics = await _with_examples(db, topics, picks)
    other = _topic(0, [now.messages[i] for i in rest], 0, ()) if rest else None
    return TopicsReport(
        since=since,
        until=until,
        messages=len(now.messages),
        topics=tuple(topics),
        other=other,
        callouts=callouts(topics, until - since),
    )
