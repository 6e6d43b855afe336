"""The reply bank at work: bank what moderators decided, and find, for a new message, the
sent replies to the closest messages (examples for its draft) and the closest rejected draft
(a warning on its card).

Banking catches up from the approvals table before each look-up, so an edit teaches the very
next draft. Vectors are the classifier's sentence embeddings (L2-normalised: a dot product
is the cosine similarity).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from bot.domain import DraftBrief
from bot.learning.reliance import relied_on, still_true
from bot.policy import Policy
from bot.store import replies
from bot.store.database import Database
from bot.store.replies import Banked, NewBanked

log = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]

# A banked reply is an example for a message this close to the one it answered (cosine of
# the sentence embeddings: paraphrases score 0.7 and more, another question on the same
# product 0.3 to 0.5).
MIN_SIMILARITY = 0.6
# How many banked replies a draft is shown, before the policy's own examples.
MAX_EXAMPLES = 2
# With no banked reply that close, the closest reply to a message of the same intent,
# language and strategy is still shown, as the team's voice for that kind of message: in the
# place of a policy example, checked as one (words copied from it are borrowed), and only
# when the facts it relies on are ones this draft was given (see Recall.voice_for).
MAX_VOICE = 1
# A draft is flagged when its message is this close to a rejected draft's message and its
# text this close to the rejected text.
REJECTED_MESSAGE = 0.7
REJECTED_TEXT = 0.8


class TextEncoder(Protocol):
    """Sentence embeddings, L2-normalised (``models.encoder.Encoder``)."""

    def encode(self, texts: Sequence[str]) -> Vectors: ...


@dataclass(frozen=True, slots=True)
class Match:
    """A banked decision and how close its message is to the one being drafted."""

    banked: Banked
    similarity: float


@dataclass(frozen=True, slots=True)
class Recall:
    """What the bank holds for one message: its vector, and the sent replies to the closest
    messages (most similar first)."""

    language: str
    vector: Vectors
    examples: tuple[Match, ...] = ()
    # Replies to less similar messages of the same intent, closest first (see MAX_VOICE).
    voice: tuple[Match, ...] = ()

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        """(message, reply) pairs for the brief."""
        return tuple((m.banked.message_text, m.banked.reply) for m in self.examples)

    def voice_for(self, brief: DraftBrief) -> tuple[Match, ...]:
        """The voice examples ``brief`` may be shown: none when it is shown a close reply
        already; else replies to messages answered under the same strategy that, when a
        fact answers this message, rely on facts it was given (at least one), and when none
        does, rely on no fact."""
        if self.examples:
            return ()
        given = set(brief.fact_ids) if brief.answered else set()
        fits = [
            m
            for m in self.voice
            if m.banked.strategy == brief.strategy
            and set(m.banked.facts) <= given
            and (bool(m.banked.facts) or not given)
        ]
        return tuple(fits[:MAX_VOICE])


def _bytes(vector: Vectors) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def _vector(data: bytes) -> Vectors:
    return np.frombuffer(data, dtype="<f4").astype(np.float32)


class ReplyBank:
    """Banks moderators' decisions and recalls them for new messages."""

    def __init__(self, *, db: Database, encoder: TextEncoder, model: str) -> None:
        self._db = db
        self._encoder = encoder
        self.model = model  # the encoder's name: vectors of another encoder are not compared

    async def encode(self, texts: Sequence[str]) -> Vectors:
        return await asyncio.to_thread(self._encoder.encode, list(texts))

    async def catch_up(self, policy: Policy) -> int:
        """Bank the decisions made since the last look-up; how many."""
        decided = await replies.unbanked(self._db)
        if not decided:
            return 0
        rejected = [d.verdict == str(replies.REJECTED) for d in decided]
        vectors = await self.encode(
            [d.message_text for d in decided]
            + [d.reply for d, r in zip(decided, rejected, strict=True) if r]
        )
        drafts = iter(vectors[len(decided) :])
        rows = [
            NewBanked(
                decided=d,
                facts=relied_on(policy, d.reply, d.message_text, d.language) if not r else {},
                model=self.model,
                vector=_bytes(vectors[i]),
                reply_vector=_bytes(next(drafts)) if r else None,
            )
            for i, (d, r) in enumerate(zip(decided, rejected, strict=True))
        ]
        added = await replies.add(self._db, rows)
        log.info("reply bank: %d decision(s) banked", added)
        return added

    async def recall(self, policy: Policy, text: str, language: str, intent: str) -> Recall:
        """The sent replies to the messages closest to ``text`` in its language (and intent,
        when the bank has replies of that intent), whose facts are unchanged."""
        await self.catch_up(policy)
        vector = (await self.encode([text]))[0]
        found = [
            b
            for b in await replies.candidates(self._db, language=language)
            if b.model == self.model and still_true(policy, b.facts, language)
        ]
        same_intent = [b for b in found if b.intent == intent]
        matches = _distinct(_closest(vector, same_intent or found, -1.0))
        close = [m for m in matches if m.similarity >= MIN_SIMILARITY]
        voice = [m for m in matches if m.similarity < MIN_SIMILARITY and m.banked.intent == intent]
        return Recall(language, vector, tuple(close[:MAX_EXAMPLES]), tuple(voice))

    async def rejected_like(self, recall: Recall, draft: str) -> Match | None:
        """The rejected draft closest to ``draft`` for a message close to this one, if any."""
        rejected = [
            b
            for b in await replies.candidates(self._db, language=recall.language, rejected=True)
            if b.model == self.model and b.reply_vector is not None
        ]
        near = _closest(recall.vector, rejected, REJECTED_MESSAGE)
        if not near:
            return None
        mine = (await self.encode([draft]))[0]
        for match in near:
            assert match.banked.reply_vector is not None
            if float(mine @ _vector(match.banked.reply_vector)) >= REJECTED_TEXT:
                return match
        return None

    async def record(self, draft_id: int, shown: Sequence[Match], rejected: Match | None) -> None:
        """Which banked decisions the draft was shown, or found close to."""
        uses = [(m.banked.id, "example", m.similarity) for m in shown]
        if rejected is not None:
            uses.append((rejected.banked.id, "rejected", rejected.similarity))
        await replies.record_uses(self._db, draft_id, uses)


def taught(brief: DraftBrief, recall: Recall | None) -> tuple[DraftBrief, tuple[Match, ...]]:
    """The brief with what the bank holds for its message: the replies to close messages as
    learned examples, or else a voice example before the policy's; and the banked replies
    shown."""
    if recall is None:
        return brief, ()
    voice = recall.voice_for(brief)
    taught_brief = dataclasses.replace(
        brief,
        learned_examples=recall.pairs,
        examples=(*((m.banked.message_text, m.banked.reply) for m in voice), *brief.examples),
    )
    return taught_brief, (*recall.examples, *voice)


def _distinct(matches: Sequence[Match]) -> list[Match]:
    """The first match of each reply text (the same reply banked twice is shown once)."""
    seen: set[str] = set()
    out = []
    for match in matches:
        if match.banked.reply not in seen:
            seen.add(match.banked.reply)
            out.append(match)
    return out


def _closest(vector: Vectors, rows: Sequence[Banked], floor: float) -> list[Match]:
    """The rows whose message vector is at least ``floor`` close to ``vector``, closest
    first."""
    if not rows:
        return []
    matrix = np.stack([_vector(b.vector) for b in rows])
    scores = matrix @ vector
    order = np.argsort(-scores, kind="stable")
    return [Match(rows[i], float(scores[i])) for i in order if scores[i] >= floor]
