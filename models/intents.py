"""The intent of a message, read from the policy's examples, and made to agree with its flags.

A multinomial logistic regression over the sentence embeddings of each intent's examples and
description (``policies/intents.toml``, and the examples moderators taught), plus how close a
message is to each intent's nearest examples, fitted when first needed (under a second):
admins teach it by adding examples, no retraining step. Its probabilities are calibrated on
the policy's own examples (a temperature fitted on cross-validated predictions, never on an
evaluation set), so that a confidence of 0.8 is right about 80% of the time.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.domain import Flag, Intent, IntentSpec
from models import signals
from models.encoder import Encoder, Vectors

# The settings below were chosen on one half of bench/data/community_intents.jsonl (split by
# a hash of the text) and checked on the other (figures: README, "Models").
# Regularisation of the intent model fitted on the policy's examples.
INTENT_C = 16.0
# How much an intent's description weighs against one of its examples.
DESCRIPTION_WEIGHT = 1.0
# Folds of the cross-validation that fits the temperature (fewer if an intent has fewer).
CALIBRATION_FOLDS = 5
TEMPERATURES = np.geomspace(0.1, 10.0, 81)
# An attack the tone heads do not call toxic stays an attack when the model is this sure
# that the policy's attack examples (insults at people) are what it looks like.
ATTACK_SURE = 0.8
# Praise the model is this sure of is sincere when only the irony head (trained on tweets)
# calls it sarcastic: the sarcasm flag is dropped rather than turning it into a complaint.
SINCERE_SURE = 0.9


# Thanks for a fix, in either order ("thanks for sorting it out", "fixed in an hour, merci"),
# on folded text. A fix in quotes ("thanks for 'fixing' it") is not one.
_THANKS = r"\b(thanks?|thank you|thx|cheers|kudos|merci)\b"
_FIX = (
    r"(?<!['\"«“‘])\b(fix(ed|ing)?|solv(ed|ing)|resolv(ed|ing)|sort(ed|ing) (it |this |that )?out|"
    r"repair(ed|ing)|corrige\w*|correction|regle\w*|resolu\w*|repare\w*)\b(?!['\"»”’])"
)
THANKS_FOR_A_FIX = re.compile(
    f"{signals.followed_by(_THANKS, _FIX)}|{signals.followed_by(_FIX, _THANKS)}"
)
# Praise said with an eye-roll, or a French "merci hein": sarcastic, whatever the heads read.
ROLLED_EYES = re.compile(
    r"🙄|😒|🙃|(?:^|\s)/s\s*$|\b(merci|bravo|super|genial|trop bien)\W{0,3}hein\b"
)
# The least confidence an intent forced by a flag gets.
FORCED = 0.6
# The nearest examples' part of the score: the mean cosine similarity of a message to each
# intent's NEAREST_K closest examples, times NEAREST_WEIGHT, added to the regression's logits.
NEAREST_K = 2
NEAREST_WEIGHT = 5.0


class _OneIntent:
    """A policy with a single intent: it is always that one."""

    def predict_proba(self, x: Vectors) -> np.ndarray:
        return np.ones((len(x), 1))


@dataclass(frozen=True)
class _Examples:
    """What the model learns from: texts, the intent each belongs to, and its weight."""

    texts: list[str]
    owners: np.ndarray
    weights: np.ndarray


def _examples(specs: Sequence[IntentSpec]) -> _Examples:
    """Each intent's description and examples; every intent weighs the same however many
    examples it has (moderators teaching one intent a lot do not drown the others)."""
    texts: list[str] = []
    owners: list[int] = []
    weights: list[float] = []
    for i, spec in enumerate(specs):
        examples = [e for ex in spec.examples.values() for e in ex]
        n = len(examples) + DESCRIPTION_WEIGHT
        texts.append(spec.description)
        owners.append(i)
        weights.append(DESCRIPTION_WEIGHT / n)
        for e in examples:
            texts.append(e)
            owners.append(i)
            weights.append(1.0 / n)
    w = np.array(weights)
    return _Examples(texts, np.array(owners), w * len(w) / w.sum())


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    out: np.ndarray = p / p.sum(axis=1, keepdims=True)
    return out


class _Scorer:
    """Logits of a message for each intent: the logistic regression's, plus how close the
    message is to the intent's nearest examples (a rare wording one example teaches is not
    averaged away by the others)."""

    def __init__(self, x: np.ndarray, data: _Examples) -> None:
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=INTENT_C, max_iter=3000)
        self._model = model.fit(x, data.owners, sample_weight=data.weights)
        self._x = x
        self._owners = data.owners

    def logits(self, q: np.ndarray) -> np.ndarray:
        similarity = q @ self._x.T
        nearest = np.stack(
            [
                np.sort(similarity[:, self._owners == k], axis=1)[:, -NEAREST_K:].mean(axis=1)
                for k in range(int(self._owners.max()) + 1)
            ],
            axis=1,
        )
        out: np.ndarray = np.asarray(self._model.decision_function(q)) + NEAREST_WEIGHT * nearest
        return out


class _Calibrated:
    """Intent probabilities: the scorer's logits divided by a temperature."""

    def __init__(self, scorer: _Scorer, temperature: float) -> None:
        self.scorer = scorer
        self.temperature = temperature

    def predict_proba(self, x: Vectors) -> np.ndarray:
        return _softmax(self.scorer.logits(x) / self.temperature)


def _temperature(x: np.ndarray, data: _Examples) -> float:
    """The temperature that makes cross-validated predictions on the examples most likely
    (weighted as in training)."""
    from sklearn.model_selection import StratifiedKFold

    folds = min(CALIBRATION_FOLDS, min(Counter(data.owners.tolist()).values()))
    if folds < 2:
        return 1.0
    logits = np.zeros((len(x), int(data.owners.max()) + 1))
    split = StratifiedKFold(folds, shuffle=True, random_state=0).split(x, data.owners)
    for train, test in split:
        part = _Examples([data.texts[i] for i in train], data.owners[train], data.weights[train])
        logits[test] = _Scorer(x[train], part).logits(x[test])
    rows = np.arange(len(x))
    nll = [
        -float(np.log(_softmax(logits / t)[rows, data.owners] + 1e-12) @ data.weights)
        for t in TEMPERATURES
    ]
    return float(TEMPERATURES[int(np.argmin(nll))])


# Fitted models by what they learned from: classifiers built on the same policy (tests, the
# CLI and the service reloading an unchanged policy) fit it once.
_FITTED: dict[str, _Calibrated] = {}
_FITTED_KEPT = 4


def _calibrated(x: np.ndarray, data: _Examples) -> _Calibrated:
    """The model for these examples' embeddings, fitted and calibrated once."""
    digest = hashlib.sha256()
    for part in (x, data.owners, data.weights):
        digest.update(np.ascontiguousarray(part).tobytes())
    digest.update(repr((INTENT_C, NEAREST_WEIGHT, NEAREST_K, CALIBRATION_FOLDS)).encode())
    key = digest.hexdigest()
    if key not in _FITTED:
        from threadpoolctl import threadpool_limits

        if len(_FITTED) >= _FITTED_KEPT:
            _FITTED.pop(next(iter(_FITTED)))
        # A few hundred examples: one thread is fastest (several fight over busy cores).
        with threadpool_limits(1):
            _FITTED[key] = _Calibrated(_Scorer(x, data), _temperature(x, data))
    return _FITTED[key]


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
            data = _examples(self._specs)
            if len(self._specs) == 1:
                self._model = _OneIntent()
            else:
                x = self._encoder.encode(data.texts, batch_size=self._batch_size)
                self._model = _calibrated(np.asarray(x), data)
        return self._model

    @property
    def temperature(self) -> float:
        """What the model's logits are divided by (fitted on the examples' folds)."""
        model = self._fitted()
        return model.temperature if isinstance(model, _Calibrated) else 1.0

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
            # "this meme killed me 😂" is not a safety matter: the next intent takes its place
            # and its probability.
            best = int(order[1])
            confidence = float(scores[best] + scores[order[0]])
            return Reading(self.names, scores, self.names[best], confidence, folded)
        return Reading(self.names, scores, self.names[best], float(scores[best]), folded)


@dataclass
class Reading:
    """The intent as it is being settled, with what it can be forced to."""

    names: list[str]
    scores: np.ndarray
    intent: str
    confidence: float
    folded: str = ""  # the message as signals.fold gives it

    def runner_up(self, besides: Collection[str] = ()) -> str:
        """The most likely intent other than the one it was read as and ``besides`` (the
        intent itself when there is no other)."""
        order = [self.names[int(i)] for i in np.argsort(self.scores)[::-1]]
        left = (n for n in order if n != self.intent and n not in besides)
        return next(left, self.intent)

    def force(self, name: str) -> None:
        """The flags say it is ``name``: the intent it was read as gives it its probability
        (what the model thought of the message is moved, not lost), and a flag's word is
        worth at least FORCED."""
        if name in self.names and self.intent != name:
            moved = self.confidence + float(self.scores[self.names.index(name)])
            self.intent, self.confidence = name, max(min(1.0, moved), FORCED)


# Intents that come with their flag (the classifier raises it when the model is sure): an
# intent a weaker reading falls back to is never one of these without it.
_FLAG_BOUND = (Intent.SAFETY, Intent.LEGAL_THREAT, Intent.SPAM)
# Intents a toxic message may keep: an angry complaint or bug report is answered as one, and
# a threat of violence is a safety matter before it is an insult.
_TOXIC_ALREADY = (Intent.COMPLAINT, Intent.BUG_REPORT, Intent.ATTACK, Intent.SAFETY)


def agree(reading: Reading, flags: set[str], *, toxic: bool, hate: bool) -> None:
    """Flags and intent must tell the same story: the flags force the intent, except where
    the model is sure of an intent a weaker signal contradicts (an attack the tone heads do
    not call toxic, sincere praise read as sarcastic); praise said with rolled eyes is a
    sarcastic complaint whatever the heads read."""
    intent = reading.intent
    if Flag.SAFETY in flags:
        reading.force(Intent.SAFETY)
    elif Flag.LEGAL_THREAT in flags:
        reading.force(Intent.LEGAL_THREAT)
    elif Flag.SPAM in flags:
        reading.force(Intent.SPAM)
    elif hate:
        reading.force(Intent.ATTACK)  # it demeans people: never a complaint to apologise for
    elif Flag.PROMPT_INJECTION in flags and intent == Intent.LEGAL_THREAT:
        # No legal words (they would have raised the flag): what else the model thought.
        reading.force(reading.runner_up(besides=_FLAG_BOUND))
    elif toxic and intent not in _TOXIC_ALREADY:
        reading.force(Intent.ATTACK)
    elif intent == Intent.ATTACK and not toxic and not _sure_attack(reading):
        # No one is insulted: it is what else the model thought it was (harsh but
        # legitimate criticism is a complaint to answer), short of what needs a flag.
        reading.force(reading.runner_up(besides=_FLAG_BOUND))
    _praise_or_sarcasm(reading, flags)


def _praise_or_sarcasm(reading: Reading, flags: set[str]) -> None:
    """Praise said with rolled eyes is sarcastic; praise only the irony head doubts is not."""
    if reading.intent == Intent.PRAISE and ROLLED_EYES.search(reading.folded) is not None:
        flags.add(Flag.SARCASM)
    if Flag.SARCASM in flags and reading.intent == Intent.PRAISE:
        if _sincere(reading):
            flags.discard(Flag.SARCASM)  # only the irony head thought so: sincere praise
        else:
            reading.force(Intent.COMPLAINT)


def _sure_attack(reading: Reading) -> bool:
    """An insult at people the tone heads missed ("the designers have the brains of a
    goldfish"): the model is sure, and it is not someone condemning an insult."""
    folded = reading.folded
    return reading.confidence >= ATTACK_SURE and not signals.counter_speech(folded, folded)


def _sincere(reading: Reading) -> bool:
    """Praise only the irony head doubts: the model is sure of it, or it thanks someone for a
    fix ("thank you for fixing the crash so fast") with no sarcastic turn of phrase."""
    if _said_sarcastically(reading.folded):
        return False
    return reading.confidence >= SINCERE_SURE or THANKS_FOR_A_FIX.search(reading.folded) is not None


def _said_sarcastically(folded: str) -> bool:
    """Praise words around a bad event, or rolled eyes: sarcastic whatever the model thinks."""
    return (
        signals.sarcastic_opening(folded)
        or signals.sarcastic_cue(folded)
        or ROLLED_EYES.search(folded) is not None
    )
