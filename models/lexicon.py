"""Lexicon polarity beside the embedding, for the sentiment head.

VADER's compound, positive and negative scores for English (vaderSentiment 3.3.2, MIT), the
same read VADER's way from the French VADER lexicon (vaderSentiment-fr 1.3.4, MIT, copied
with its licence into ``models/weights/fr_lexicon.json``: the package itself needs GPL-2.0
dependencies), and VADER's compound of the message's emojis alone.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models import signals
from models.language import detect_language

WEIGHTS = Path(__file__).resolve().parent / "weights"

# Lexicon polarity beside the embedding, for the sentiment head: VADER's compound, positive
# and negative scores for English (vaderSentiment 3.3.2), the same from the French VADER
# lexicon for French (the other language's three left at zero), and VADER's compound of the
# message's emojis alone. On 5-fold CV over UMSAB EN+FR train the head's macro-recall went
# from .608 to .645 with them (models/train_tone.py).
LEXICON_FEATURES = 7
_ELISION = re.compile(r"\b(?:[jldmtsnc]|qu)'")
_FR_WORD = re.compile(r"[a-z]+")
_CLAUSE = re.compile(r"[,.;:!?()]+")
_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")
# French negations (VADER's 0.74 flip when one is among the three words before a word of the
# lexicon) and intensifiers (its 0.293 step), folded.
_FR_NEGATIONS = frozenset("pas jamais rien aucun aucune aucunement nullement sans ni".split())
_FR_BOOSTERS = {
    **dict.fromkeys(
        "absolument carrement completement extremement hyper grave trop tres tellement "
        "vraiment vachement super ultra totalement".split(),
        0.293,
    ),
    **dict.fromkeys("assez peu plutot presque moins".split(), -0.293),
}


@functools.cache
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


@functools.cache
def _fr_lexicon() -> dict[str, float]:
    """Folded French word -> valence (-4..4): vaderSentiment-fr's lexicon, MIT (the file
    keeps its source and licence)."""
    data = json.loads((WEIGHTS / "fr_lexicon.json").read_text(encoding="utf-8"))
    return {str(k): float(v) for k, v in data["valence"].items()}


def _fr_valences(text: str) -> list[float]:
    """The valence of each lexicon word, read with the three words before it in its clause
    (a negation or an intensifier does not reach across a comma: "pas de pub, juste...")."""
    lexicon = _fr_lexicon()
    out: list[float] = []
    for clause in _CLAUSE.split(_ELISION.sub(" ", signals.fold(text))):
        words = _FR_WORD.findall(clause)
        for i, word in enumerate(words):
            v = lexicon.get(word)
            if v is None:
                continue
            before = words[max(0, i - 3) : i]
            v += sum(math.copysign(_FR_BOOSTERS.get(b, 0.0), v) for b in before)
            if any(b in _FR_NEGATIONS for b in before):
                v *= -0.74
            out.append(v)
    return out


def french_polarity(text: str) -> tuple[float, float, float]:
    """(compound, positive, negative) of a French text, VADER's way on its French lexicon:
    valences summed (negation and intensifiers read), exclamation marks stressing them,
    normalised to -1..1; positive and negative are their shares of the words."""
    valences = _fr_valences(text)
    total = sum(valences)
    if total:
        total += math.copysign(min(text.count("!"), 4) * 0.292, total)
    compound = total / math.sqrt(total * total + 15)
    positive = sum(v + 1 for v in valences if v > 0)
    negative = sum(-v + 1 for v in valences if v < 0)
    words = len(_FR_WORD.findall(signals.fold(text)))
    mass = positive + negative + max(0, words - len(valences)) or 1.0
    return compound, positive / mass, negative / mass


def lexicon_features(texts: Sequence[str]) -> np.ndarray:
    """``LEXICON_FEATURES`` columns per text: English (compound, positive, negative), French
    (the same), the emojis' compound; each text is read in its language only."""
    out = np.zeros((len(texts), LEXICON_FEATURES), dtype=np.float32)
    vader = _vader()
    for i, text in enumerate(texts):
        if detect_language(text) == "fr":
            out[i, 3:6] = french_polarity(text)
        else:
            s = vader.polarity_scores(text)
            out[i, 0:3] = (s["compound"], s["pos"], s["neg"])
        emojis = "".join(_EMOJI.findall(text))
        if emojis:
            out[i, 6] = vader.polarity_scores(emojis)["compound"]
    return out
