"""Test doubles for learning: sentence vectors from words, a classifier that learns from the
intents' examples, and a drafter that keeps every brief it was given."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from bot.domain import Classification, DraftBrief, IntentSpec, Sentiment
from bot.learning.bank import Vectors
from models.base import ClassifyInput, DraftResult

_WORD = re.compile(r"[a-zà-ÿ0-9]{3,}")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


class WordEncoder:
    """L2-normalised bags of words (3 letters or more): the cosine of two texts is how many
    words they share, like a sentence encoder on paraphrases, instantly."""

    name = "test-words"

    def encode(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), 512), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _words(text):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % 512] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        normalised: Vectors = (out / np.maximum(norms, 1e-9)).astype(np.float32)
        return normalised


class ExampleClassifier:
    """The intent whose example shares the largest part of its words with the message."""

    name = "test-examples"

    def __init__(self, intents: Sequence[IntentSpec] = ()) -> None:
        self.intents = intents

    def _intent(self, text: str) -> str:
        mine = _words(text)
        best, score = "question", 0.0
        for spec in self.intents:
            for example in (e for ex in spec.examples.values() for e in ex):
                theirs = _words(example)
                overlap = len(mine & theirs) / max(len(mine | theirs), 1)
                if overlap > score:
                    best, score = spec.name, overlap
        return best

    async def classify(self, items: Sequence[ClassifyInput]) -> list[Classification]:
        return [
            Classification(
                language="en",
                intent=self._intent(item.text),
                sentiment=Sentiment.NEUTRAL,
                toxic=False,
                toxicity=0.05,
                flags=frozenset(),
                confidence=0.9,
                model=self.name,
            )
            for item in items
        ]


class RecordingDrafter:
    """The same reply to every brief; keeps the briefs (what the prompt was built from)."""

    name = "test-recording"

    def __init__(self) -> None:
        self.briefs: list[DraftBrief] = []

    async def draft(self, brief: DraftBrief) -> DraftResult:
        self.briefs.append(brief)
        return DraftResult(
            text="Thanks for asking! Could you tell us a bit more?",
            model=self.name,
            notes=(),
            seconds=0.0,
        )

    async def aclose(self) -> None:
        return None
