"""The local classifier: intent from the policy's examples, tone from trained heads.

- Intent: each intent's examples and description (``policies/intents.toml``) are embedded
  once; a message goes to the intent whose examples it is closest to (best example and mean
  of the three best, cosine). Admins teach it by adding examples, no retraining step.
- Tone: logistic-regression heads over the same embedding, trained on the development sets
  by ``models/train_tone.py`` (weights and their provenance in ``models/weights``).
- Signals (``models/signals.py``) flag legal threats, safety, spam and injection attempts,
  and separate an insult at people from harsh words about a product, or from someone
  quoting an insult to condemn it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.domain import Classification, Flag, Intent, IntentSpec, Sentiment
from models import signals
from models.base import ClassifyInput
from models.encoder import ENCODER_NAME, Vectors, encode, prepare
from models.language import detect_language

WEIGHTS = Path(__file__).resolve().parent / "weights"
SENTIMENTS = (Sentiment.NEGATIVE, Sentiment.NEUTRAL, Sentiment.POSITIVE)
# Below this, an insult aimed at people is still not called toxic (the model disagrees).
INSULT_FLOOR = 0.25
# Without insult words aimed at people, only a very confident model calls a message toxic.
NO_LEXICON_FLOOR = 0.9
# The irony score that, with mixed sentiment, flags sarcasm without a lexical cue.
SARCASM_STRONG = 0.8


@dataclass(frozen=True)
class ToneHeads:
    sentiment_w: np.ndarray
    sentiment_b: np.ndarray
    offensive_w: np.ndarray
    offensive_b: np.ndarray
    irony_w: np.ndarray
    irony_b: np.ndarray
    offensive_threshold: float
    irony_threshold: float

    @staticmethod
    def load(directory: Path = WEIGHTS) -> ToneHeads:
        path = directory / "tone.npz"
        provenance = json.loads((directory / "PROVENANCE.json").read_text())
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != provenance["sha256"]:
            raise RuntimeError(f"{path} does not match PROVENANCE.json (sha256 {digest})")
        w = np.load(path)
        return ToneHeads(
            sentiment_w=w["sentiment_w"],
            sentiment_b=w["sentiment_b"],
            offensive_w=w["offensive_w"],
            offensive_b=w["offensive_b"],
            irony_w=w["irony_w"],
            irony_b=w["irony_b"],
            offensive_threshold=float(w["thresholds"][0]),
            irony_threshold=float(w["thresholds"][1]),
        )

    def sentiment(self, x: Vectors) -> np.ndarray:
        logits = x @ self.sentiment_w.T + self.sentiment_b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        out: np.ndarray = p / p.sum(axis=1, keepdims=True)
        return out

    def offensive(self, x: Vectors, profanity: np.ndarray) -> np.ndarray:
        z = np.hstack([x, profanity[:, None]]) @ self.offensive_w.T + self.offensive_b
        out: np.ndarray = 1 / (1 + np.exp(-z[:, 0]))
        return out

    def irony(self, x: Vectors) -> np.ndarray:
        z = x @ self.irony_w.T + self.irony_b
        out: np.ndarray = 1 / (1 + np.exp(-z[:, 0]))
        return out


_heads: ToneHeads | None = None


def tone_heads() -> ToneHeads:
    global _heads
    if _heads is None:
        _heads = ToneHeads.load()
    return _heads


def _profanity(texts: Sequence[str]) -> np.ndarray:
    from profanity_check import predict_prob

    return np.asarray(predict_prob([t or " " for t in texts]), dtype=np.float32)


class EmbeddingClassifier:
    """Implements ``models.base.Classifier``."""

    def __init__(self, intents: Sequence[IntentSpec], batch_size: int = 64) -> None:
        if not intents:
            raise ValueError("the classifier needs at least one intent")
        self.name = f"{ENCODER_NAME}+tone"
        self.batch_size = batch_size
        self._specs = tuple(intents)
        self._prototypes: list[Vectors] | None = None

    def _intent_vectors(self) -> list[Vectors]:
        if self._prototypes is None:
            texts: list[str] = []
            owners: list[int] = []
            for i, spec in enumerate(self._specs):
                for example in [
                    spec.description,
                    *(e for ex in spec.examples.values() for e in ex),
                ]:
                    texts.append(example)
                    owners.append(i)
            vectors = encode(texts, batch_size=self.batch_size)
            owner = np.array(owners)
            self._prototypes = [vectors[owner == i] for i in range(len(self._specs))]
        return self._prototypes

    async def classify(self, items: Sequence[ClassifyInput]) -> list[Classification]:
        if not items:
            return []
        return await asyncio.to_thread(self.classify_sync, [i.text for i in items])

    def classify_sync(self, texts: Sequence[str]) -> list[Classification]:
        heads = tone_heads()
        prototypes = self._intent_vectors()
        prepared = [prepare(t) for t in texts]
        x = encode(prepared, batch_size=self.batch_size)
        scores = np.stack([self._intent_score(x, p) for p in prototypes], axis=1)
        probs = np.exp((scores - scores.max(axis=1, keepdims=True)) * 25)
        probs /= probs.sum(axis=1, keepdims=True)
        sentiment = heads.sentiment(x)
        offensive = heads.offensive(x, _profanity(prepared))
        irony = heads.irony(x)
        return [
            self._one(text, probs[i], sentiment[i], float(offensive[i]), float(irony[i]), heads)
            for i, text in enumerate(prepared)
        ]

    def tone_scores(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """The heads' raw outputs (for evaluation): sentiment probabilities, P(offensive),
        P(irony), before the signals and the product's decisions adjust them."""
        heads = tone_heads()
        prepared = [prepare(t) for t in texts]
        x = encode(prepared, batch_size=self.batch_size)
        return {
            "sentiment": heads.sentiment(x),
            "offensive": heads.offensive(x, _profanity(prepared)),
            "irony": heads.irony(x),
            "offensive_threshold": np.array(heads.offensive_threshold),
            "irony_threshold": np.array(heads.irony_threshold),
        }

    @staticmethod
    def _intent_score(x: Vectors, prototypes: Vectors) -> np.ndarray:
        sims = x @ prototypes.T
        top = np.sort(sims, axis=1)[:, ::-1][:, :3]
        out: np.ndarray = 0.6 * top[:, 0] + 0.4 * top.mean(axis=1)
        return out

    def _one(
        self,
        text: str,
        intent_p: np.ndarray,
        sentiment_p: np.ndarray,
        offensive: float,
        irony: float,
        heads: ToneHeads,
    ) -> Classification:
        folded = signals.fold(text)
        names = [s.name for s in self._specs]
        best = int(intent_p.argmax())
        intent, confidence = names[best], float(intent_p[best])
        flags: set[str] = set()

        # Toxicity: the model's score, read in the light of who the words are aimed at.
        toxicity = offensive
        if signals.counter_speech(folded, text):
            toxicity *= 0.5
            toxic = False
        elif signals.insult_at_people(folded):
            toxicity = max(toxicity, 0.5 if signals.insult(folded) else toxicity)
            toxic = toxicity >= INSULT_FLOOR
        else:
            toxic = toxicity >= max(NO_LEXICON_FLOOR, heads.offensive_threshold) and bool(
                signals.PEOPLE.search(folded)
            )

        sentiment = SENTIMENTS[int(sentiment_p.argmax())]
        # Irony models trained on tweets fire on plenty of sincere messages: ask for a clash
        # of tones (praise words around a bad event, or mixed sentiment) as well.
        mixed = min(float(sentiment_p[0]), float(sentiment_p[2])) >= 0.25
        if (irony >= SARCASM_STRONG and mixed) or (
            irony >= heads.irony_threshold and signals.sarcastic_cue(folded)
        ):
            flags.add(Flag.SARCASM)
        if signals.legal(folded):
            flags.add(Flag.LEGAL_THREAT)
        if signals.safety(folded):
            flags.add(Flag.SAFETY)
        if signals.injection(folded):
            flags.add(Flag.PROMPT_INJECTION)
        if signals.spammy(folded) or (intent == Intent.SPAM and confidence > 0.5):
            flags.add(Flag.SPAM)

        def force(name: str) -> None:
            nonlocal intent, confidence
            if name in names and intent != name:
                intent, confidence = name, max(confidence, float(intent_p[names.index(name)]), 0.6)

        # Flags and intent must tell the same story.
        if intent == Intent.SAFETY and Flag.SAFETY not in flags and confidence >= 0.5:
            flags.add(Flag.SAFETY)
        if intent == Intent.LEGAL_THREAT and Flag.LEGAL_THREAT not in flags and confidence >= 0.5:
            flags.add(Flag.LEGAL_THREAT)
        if Flag.SAFETY in flags:
            force(Intent.SAFETY)
        elif Flag.LEGAL_THREAT in flags:
            force(Intent.LEGAL_THREAT)
        elif Flag.SPAM in flags:
            force(Intent.SPAM)
        elif toxic and intent not in (Intent.COMPLAINT, Intent.BUG_REPORT, Intent.ATTACK):
            force(Intent.ATTACK)
        elif intent == Intent.ATTACK and not toxic:
            # Harsh but legitimate criticism is a complaint to answer, not an attack.
            force(Intent.COMPLAINT)
        if Flag.SARCASM in flags and intent == Intent.PRAISE:
            force(Intent.COMPLAINT)
        if Flag.SARCASM in flags and sentiment == Sentiment.POSITIVE:
            sentiment = Sentiment.NEGATIVE
        if toxic:
            sentiment = Sentiment.NEGATIVE
        return Classification(
            language=detect_language(text),
            intent=intent,
            sentiment=sentiment,
            toxic=toxic,
            toxicity=float(min(1.0, max(0.0, toxicity))),
            flags=frozenset(str(f) for f in flags),
            confidence=float(min(1.0, max(0.0, confidence))),
            model=self.name,
        )
