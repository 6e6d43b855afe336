"""Whether one routing rule applies to a message: one check per ``when`` key, then the scope.

``CONDITIONS`` maps each key of a rule's ``when`` table to the function that checks it; a
check returns None when the rule does not set its key. A new ``when`` key in the schema
needs its check here (the loader uses the same table to insist on at least one condition).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from bot.domain import InboundMessage
from bot.policy.match import in_scope, keyword_in, normalize
from bot.policy.schema import Defaults, RuleEntry, When
from bot.policy.situation import Situation


@dataclass(frozen=True, slots=True)
class Condition:
    """One check's outcome, and the reason shown by ``tactline policy explain``."""

    met: bool
    reason: str


Check = Callable[[When, Situation], Condition | None]


def _intents(w: When, s: Situation) -> Condition | None:
    if not w.intents:
        return None
    c = s.classification
    return Condition(c.intent in w.intents, f"intent {c.intent} in {list(w.intents)}")


def _flags(w: When, s: Situation) -> Condition | None:
    if not w.flags:
        return None
    flags = s.classification.flags
    hit = sorted(flags & set(w.flags))
    return Condition(bool(hit), f"flags {hit or sorted(flags) or '[]'} ∩ {list(w.flags)}")


def _sentiments(w: When, s: Situation) -> Condition | None:
    if not w.sentiments:
        return None
    sentiment = s.classification.sentiment
    return Condition(
        str(sentiment) in w.sentiments, f"sentiment {sentiment} in {list(w.sentiments)}"
    )


def _toxic(w: When, s: Situation) -> Condition | None:
    if w.toxic is None:
        return None
    toxic = s.classification.toxic
    return Condition(toxic == w.toxic, f"toxic is {toxic} (rule wants {w.toxic})")


def _languages(w: When, s: Situation) -> Condition | None:
    if not w.languages:
        return None
    language = s.classification.language
    return Condition(language in w.languages, f"language {language} in {list(w.languages)}")


def _keywords(w: When, s: Situation) -> Condition | None:
    if not w.keywords:
        return None
    text = normalize(s.message.text)
    found = [k for k in w.keywords if keyword_in(k, text)]
    return Condition(bool(found), f"keywords {found or 'none'} of {list(w.keywords)}")


def _min_confidence(w: When, s: Situation) -> Condition | None:
    if w.min_confidence is None:
        return None
    confidence = s.classification.confidence
    return Condition(
        confidence >= w.min_confidence, f"confidence {confidence:.2f} >= {w.min_confidence}"
    )


# In the order their reasons are shown.
CONDITIONS: Mapping[str, Check] = MappingProxyType(
    {
        "intents": _intents,
        "flags": _flags,
        "sentiments": _sentiments,
        "toxic": _toxic,
        "languages": _languages,
        "keywords": _keywords,
        "min_confidence": _min_confidence,
    }
)


def has_conditions(w: When) -> bool:
    """Whether a ``when`` table sets at least one key besides ``match``."""
    return any(getattr(w, key) not in (None, ()) for key in CONDITIONS)


def _out_of_scope(rule: RuleEntry, defaults: Defaults, message: InboundMessage) -> str | None:
    platforms = rule.platforms if rule.platforms is not None else defaults.platforms
    channels = rule.channels if rule.channels is not None else defaults.channels
    if in_scope(platforms, channels, message):
        return None
    ref = message.conversation
    where = f"{message.platform}/{ref.channel_name or ref.channel_id}"
    wanted = f"platforms={list(platforms) or 'all'} channels={list(channels) or 'all'}"
    return f"out of scope: {where} is not in {wanted}"


def _combine(match: str, checks: list[Condition]) -> Condition:
    """``match = "all"`` or ``"any"`` of the checks; the reasons that decided are shown."""
    met = [c.met for c in checks]
    ok = all(met) if match == "all" else any(met)
    if not ok:
        return Condition(False, "not: " + "; ".join(c.reason for c in checks if not c.met))
    shown = [c.reason for c in checks if c.met] or [c.reason for c in checks]
    return Condition(True, "; ".join(shown))


def rule_applies(rule: RuleEntry, defaults: Defaults, s: Situation) -> Condition:
    """Whether ``rule`` applies to the message, and why (its scope first, then ``when``)."""
    out = _out_of_scope(rule, defaults, s.message)
    if out is not None:
        return Condition(False, out)
    checks = [c for check in CONDITIONS.values() if (c := check(rule.when, s)) is not None]
    return _combine(rule.when.match, checks)
