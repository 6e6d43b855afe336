"""The intent of a message, read from the policy's examples, and made to agree with its flags.

A multinomial logistic regression over the sentence embeddings of each intent's examples and
description (``policies/intents.toml``, and the examples moderators taught), fitted when
first needed (about a second): admins teach it by adding examples, no retraining step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.domain import Flag, Intent, IntentSpec
from models import signals
from models.encoder import Encoder, Vectors

# Regularisation of the intent model fitted on the policy's examples (chosen on the
# community set in bench/data: 1 to 64 within .005 of each other with 283 examples).
INTENT_C = 16.0


class _OneIntent:
    """A policy with a single intent: it is always that one."""

    def predict_proba(self, x: Vectors) -> np.ndarray:
        return np.ones((len(x), 1))


class IntentModel:
    """The policy's intents, scored on a message's embedding."""

    def __init__(self, specs: Sequence[IntentSpec], encoder: Encoder, batch_size: int) -> None:
        self.names = [spec.name for spec in specs]
        self._specs = tuple(specs)
        self._encoder = encoder
        self._batch_size = batch_size
        self._model: Any = None

    def _fitted(self) -> Any:
        if self._model is None:
            from sklearn.linear_model import LogisticRegression

            texts: list[str] = []
            owners: list[int] = []
            for i, spec in enumerate(self._specs):
                for example in [
                    spec.description,
                    *(e for ex in spec.examples.values() for e in ex),
                ]:
                    texts.append(example)
                    owners.append(i)
            vectors = self._encoder.encode(texts, batch_size=self._batch_size)
            if len(set(owners)) == 1:
                self._model = _OneIntent()
            else:
                self._model = LogisticRegression(C=INTENT_C, max_iter=3000).fit(
                    vectors, np.array(owners)
                )
        return self._model

    def proba(self, x: Vectors) -> np.ndarray:
        """One row per message, one column per intent (the policy's order)."""
        return np.asarray(self._fitted().predict_proba(x))

    def read(self, scores: np.ndarray, folded: str) -> Reading:
        """The most likely intent of one message, from its row of ``proba``."""
        order = np.argsort(scores)[::-1]
        best = int(order[0])
        if (
            self.names[best] == Intent.SAFETY
            and len(order) > 1
            and signals.figurative(folded)
            and not signals.safety(folded)
        ):
            best = int(order[1])  # "this meme killed me 😂" is not a safety matter
        return Reading(self.names, scores, self.names[best], float(scores[best]))


@dataclass
class Reading:
    """The intent as it is being settled, with what it can be forced to."""

    names: list[str]
    scores: np.ndarray
    intent: str
    confidence: float

    def force(self, name: str) -> None:
        if name in self.names and self.intent != name:
            score = float(self.scores[self.names.index(name)])
            self.intent, self.confidence = name, max(self.confidence, score, 0.6)


def agree(reading: Reading, flags: set[str], *, toxic: bool, hate: bool) -> None:
    """Flags and intent must tell the same story."""
    intent = reading.intent
    if Flag.SAFETY in flags:
        reading.force(Intent.SAFETY)
    elif Flag.LEGAL_THREAT in flags:
        reading.force(Intent.LEGAL_THREAT)
    elif Flag.SPAM in flags:
        reading.force(Intent.SPAM)
    elif hate:
        reading.force(Intent.ATTACK)  # it demeans people: never a complaint to apologise for
    elif toxic and intent not in (Intent.COMPLAINT, Intent.BUG_REPORT, Intent.ATTACK):
        reading.force(Intent.ATTACK)
    elif intent == Intent.ATTACK and not toxic:
        # Harsh but legitimate criticism is a complaint to answer, not an attack.
        reading.force(Intent.COMPLAINT)
    if Flag.SARCASM in flags and reading.intent == Intent.PRAISE:
        reading.force(Intent.COMPLAINT)
