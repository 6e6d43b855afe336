"""A topic's label: the words that set its messages apart from the other topics' (c-TF-IDF).

Each topic's messages are one class; a word scores by the share of the class's messages that
use it, times how rare it is across all classes. Stop words of English and French, links,
mentions and bare numbers never make a label. Words come from the messages in the team's
language when the topic has any, so a topic said in English and French is labelled in the
team's language; a topic said only in another language keeps that language's words.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from models.language import detect_language

FRENCH_STOP_WORDS = frozenset(
    """a à ai aie aient aies ait alors as au aucun aura aurai aurais aurait aussi autre aux avais
    avait avant avec avez aviez avoir avons ayant bah bcp bien bon bonjour c ça car ce ceci cela
    celle celles celui ces cet cette ceux chez ci comme comment d dans de des deux dois doit donc
    dont du elle elles en encore es est et étaient était étant été êtes être eu eux fait faire
    fais faut fois font hein ici il ils j je jour juste l la là le les leur leurs lui m ma mais
    me même mes moi mon n ne ni non nos notre nous on ont ou où par parce pas peu peut peux plus
    pour pourquoi qu quand que quel quelle quelles quels qui quoi s sa sans se sera ses si sien
    son sont souvent sous suis sur svp t ta te tes toi ton toujours tous tout toute toutes très
    trop tu un une vers via voilà vos votre vous vraiment y salut merci oui ok coucou
    franchement genre truc trucs tjrs qqn qq""".split()
)
CHAT_WORDS = frozenset(
    """hi hey hello thanks thank pls please guys anyone im ive dont cant doesnt isnt wont
    lol yeah yes ok okay just really still got get gets getting u ur rn idk btw""".split()
)
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | FRENCH_STOP_WORDS | CHAT_WORDS

_NOISE = re.compile(r"https?://\S+|<[@#!][^>]*>|@\w+")
_TOKEN = re.compile(r"[^\W_]+(?:[-.][^\W_]+)*", re.UNICODE)
KEYWORDS = 3


def words(text: str) -> list[str]:
    """The label-worthy words of ``text`` as written (case kept), in order."""
    out = []
    for raw in _TOKEN.findall(_NOISE.sub(" ", text)):
        for token in re.split(r"['’]", raw):
            key = token.lower()
            if len(key) < 2 or key in STOP_WORDS or key.replace(".", "").isdigit():
                continue
            out.append(token)
    return out


def in_language(texts: Sequence[tuple[str, str | None]], language: str) -> list[str]:
    """The texts written in ``language`` ((text, stored language) pairs; unknown languages
    detected), or all of them when none is."""
    chosen = [text for text, lang in texts if (lang or detect_language(text)) == language]
    return chosen or [text for text, _ in texts]


def _class_counts(texts: Sequence[str]) -> tuple[Counter[str], dict[str, Counter[str]]]:
    """Per lower-cased word: in how many of ``texts`` it appears; and how it was written."""
    counts: Counter[str] = Counter()
    spelling: dict[str, Counter[str]] = {}
    for text in texts:
        seen = set()
        for token in words(text):
            key = token.lower()
            spelling.setdefault(key, Counter())[token] += 1
            seen.add(key)
        counts.update(seen)
    return counts, spelling


def keywords(classes: Sequence[Sequence[str]], *, k: int = KEYWORDS) -> list[tuple[str, ...]]:
    """The ``k`` most distinctive words of each class of texts (c-TF-IDF), as most often
    written (``E1023``, ``Android``)."""
    per_class = [_class_counts(texts) for texts in classes]
    total: Counter[str] = Counter()
    for counts, _ in per_class:
        total.update(counts)
    average = sum(total.values()) / max(len(classes), 1)
    out = []
    for (counts, spelling), texts in zip(per_class, classes, strict=True):
        n = max(len(texts), 1)
        # A word used once in a large topic says little about it.
        floor = 2 if n >= 4 else 1
        scored = sorted(
            (
                (-(c / n) * math.log(1 + average / total[w]), w)
                for w, c in counts.items()
                if c >= floor
            ),
        )
        out.append(tuple(spelling[w].most_common(1)[0][0] for _, w in scored[:k]))
    return out


def label(words_: Sequence[str]) -> str:
    return " · ".join(words_) if words_ else "(no distinctive words)"
