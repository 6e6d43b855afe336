"""Which of the brand's facts a message is about, best first, and whether one answers it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.domain import ContextMessage, InboundMessage, Intent
from bot.policy.match import in_scope, keyword_in, normalize, words
from bot.policy.schema import FactEntry

if TYPE_CHECKING:  # the loader reads fact_text: no import cycle at run time
    from bot.policy.loader import Policy
    from bot.policy.situation import Situation

# A fact whose meaning is this close to the message (best cosine of the classifier's
# multilingual embeddings over the fact's texts and questions) is offered to the drafter
# without a keyword; this close, it answers the message on its own. Read off the shipped
# facts: questions the facts answer scored .46-.86 against their fact, questions they do not
# answer (Wayland, a public API, attachment limits, Evernote) at most .40.
MEANING_OFFER = 0.45
MEANING_ANSWERS = 0.50
# Intents whose draft must carry the answering fact, or say who will answer.
ANSWER_INTENTS = frozenset({Intent.QUESTION, Intent.BUG_REPORT})


@dataclass(frozen=True, slots=True)
class FactPick:
    """A fact picked for a message, and why: keywords found, closeness of meaning."""

    fact: FactEntry
    score: float
    keywords: tuple[str, ...]
    meaning: float | None

    @property
    def why(self) -> str:
        parts = []
        if self.keywords:
            parts.append("keywords " + ", ".join(self.keywords))
        if self.meaning is not None:
            parts.append(f"meaning {self.meaning:.2f}")
        return "; ".join(parts) or "-"


@dataclass(frozen=True, slots=True)
class Found:
    """The facts picked for a message, and whether the first answers it."""

    picks: tuple[FactPick, ...]
    answered: bool


def _keywords_found(fact: FactEntry, text: str) -> tuple[str, ...]:
    hits = [k for k in fact.keywords if keyword_in(k, text)]
    # "sync" and "synchro" found in "synchro" are one word found, not two.
    return tuple(
        k for k in hits if not any(o != k and normalize(o).startswith(normalize(k)) for o in hits)
    )


def _scored(
    fact: FactEntry, text: str, message_words: set[str], close: float | None
) -> tuple[float, FactPick] | None:
    """The fact's score (unrounded, to sort by) and pick, or None when it is not relevant."""
    found = _keywords_found(fact, text)
    if not found and (close is None or close < MEANING_OFFER):
        return None
    shared = len(message_words & (words(fact.text) | words(fact.text_fr or "")))
    score = len(found) * 10 + 20 * max(close or 0.0, 0.0) + shared
    return score, FactPick(fact, round(score, 1), found, close)


def pick_facts(
    policy: Policy,
    message: InboundMessage,
    context: Sequence[ContextMessage] = (),
    meaning: Mapping[str, float] | None = None,
) -> tuple[FactPick, ...]:
    """The facts relevant to a message, best first: keyword hits count most, closeness of
    meaning (``meaning``: fact id → cosine, from the classifier's embeddings) next, shared
    words break ties."""
    text = normalize(" ".join([message.text, *(m.text for m in context if not m.from_brand)]))
    message_words = words(text)
    scored: list[tuple[float, int, FactPick]] = []
    for order, fact in enumerate(policy.facts):
        if not in_scope(fact.platforms, fact.channels, message):
            continue
        close = meaning.get(fact.id) if meaning is not None else None
        picked = _scored(fact, text, message_words, close)
        if picked is not None:
            scored.append((picked[0], -order, picked[1]))
    scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
    return tuple(p for _, _, p in scored[: policy.brand.brand.max_facts])


def answers(pick: FactPick) -> bool:
    """Whether a fact answers the message by itself (not merely touches its subject): two of
    its keywords, or one and a close meaning, or a very close meaning. Without a meaning
    index (keywords only), one keyword is all there is to go on."""
    close = pick.meaning
    if close is None:
        return bool(pick.keywords)
    return (
        len(pick.keywords) >= 2
        or close >= MEANING_ANSWERS
        or (bool(pick.keywords) and close >= MEANING_OFFER)
    )


def find_facts(policy: Policy, s: Situation) -> Found:
    """The facts for the situation's message and thread; answered only for the intents
    whose draft must carry the answer (questions, bug reports)."""
    picks = pick_facts(policy, s.message, s.context, s.meaning)
    answered = bool(picks) and answers(picks[0]) and s.classification.intent in ANSWER_INTENTS
    return Found(picks, answered)


def text_key(language: str) -> str:
    """The fact key holding its text in ``language``: ``text`` (English), ``text_fr``…"""
    return "text" if language == "en" else f"text_{language}"


def fact_text(fact: FactEntry, language: str) -> str | None:
    """The fact's text in ``language``, or None when the admin has not written it."""
    value: str | None = getattr(fact, text_key(language), None)
    return value


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")


def said_first(text: str, pick: FactPick) -> str:
    """The fact's text with the sentence that holds most of the keywords the message hit
    first. A fact that says several things ("Plans: Free…, Pro at 4 euros… There is no
    student discount.") is read from its start by a small model, which then answers a
    question about students with the prices."""
    sentences = _SENTENCE_END.split(text.strip())
    if len(sentences) < 2 or not pick.keywords:
        return text
    hits = [sum(keyword_in(k, normalize(one)) for k in pick.keywords) for one in sentences]
    best = max(range(len(sentences)), key=lambda i: (hits[i], -i))
    if best == 0 or hits[best] <= hits[0]:
        return text
    return " ".join([sentences[best], *sentences[:best], *sentences[best + 1 :]])
