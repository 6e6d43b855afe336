"""Deciding what happens to one message under a policy, and explaining why.

The rules in ``routing.toml`` are tried in order; the first that matches decides the action
and the group, and every rule's verdict is kept for ``tactline policy explain``. A few
guarantees hold whatever the files say; they appear in the matched rules as
``guarantee:...`` so a moderator sees when one stepped in:

- nothing is ever deleted, hidden or banned (there is no such action);
- abusive, threatening, negative or legally sensitive messages are never left silent: a
  ``no_reply`` for them becomes an escalation to humans;
- safety messages (self-harm, violence) go to humans at once, with no machine draft;
- nothing is posted without approval unless the autosend opt-in covers it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.domain import (
    Action,
    Classification,
    ContextMessage,
    Decision,
    DraftBrief,
    InboundMessage,
    Intent,
    PlatformStyle,
    RuleMatch,
    Sentiment,
)
from bot.policy.loader import Policy, fact_text
from bot.policy.schema import FactEntry, RuleEntry, StyleEntry

# Messages that are never left without a reply or a human, whatever a rule says.
_NEVER_SILENT_INTENTS = frozenset(
    {Intent.ATTACK, Intent.LEGAL_THREAT, Intent.SAFETY, Intent.COMPLAINT, Intent.BUG_REPORT}
)
# Flagged to the team at once.
_URGENT_INTENTS = frozenset({Intent.ATTACK, Intent.LEGAL_THREAT, Intent.SAFETY})
_URGENT_FLAGS = frozenset({"legal_threat", "safety"})


@dataclass(frozen=True, slots=True)
class RuleVerdict:
    rule: str
    matched: bool
    reason: str
    applied: bool = False


@dataclass(frozen=True, slots=True)
class Explanation:
    decision: Decision
    verdicts: tuple[RuleVerdict, ...]
    facts: tuple[FactPick, ...]  # the facts picked, best first, with why


def normalize(text: str) -> str:
    """Lower case, accents removed: "Exporter" and "exportér" look alike to keywords."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", normalize(text)) if len(w) > 2}


def _keyword_in(keyword: str, normalized_text: str) -> bool:
    k = normalize(keyword).strip()
    return bool(k) and re.search(rf"(?<![a-z0-9]){re.escape(k)}", normalized_text) is not None


def _channel_matches(channels: Sequence[str], message: InboundMessage) -> bool:
    if not channels:
        return True
    ref = message.conversation
    names = {ref.channel_id, (ref.channel_name or "").lstrip("#")}
    return any(c.lstrip("#") in names for c in channels)


def _in_scope(platforms: Sequence[str], channels: Sequence[str], message: InboundMessage) -> bool:
    return (not platforms or str(message.platform) in platforms) and _channel_matches(
        channels, message
    )


def _tone(c: Classification) -> str:
    if c.toxic:
        return "toxic"
    if "sarcasm" in c.flags:
        return "sarcasm"
    return str(c.sentiment)


def _check_rule(
    rule: RuleEntry, policy: Policy, message: InboundMessage, c: Classification
) -> tuple[bool, str]:
    platforms = rule.platforms if rule.platforms is not None else policy.defaults.platforms
    channels = rule.channels if rule.channels is not None else policy.defaults.channels
    if not _in_scope(platforms, channels, message):
        ref = message.conversation
        where = f"{message.platform}/{ref.channel_name or ref.channel_id}"
        wanted = f"platforms={list(platforms) or 'all'} channels={list(channels) or 'all'}"
        return False, f"out of scope: {where} is not in {wanted}"
    w = rule.when
    checks: list[tuple[bool, str]] = []
    if w.intents:
        checks.append((c.intent in w.intents, f"intent {c.intent} in {list(w.intents)}"))
    if w.flags:
        hit = sorted(c.flags & set(w.flags))
        checks.append((bool(hit), f"flags {hit or sorted(c.flags) or '[]'} ∩ {list(w.flags)}"))
    if w.sentiments:
        checks.append(
            (str(c.sentiment) in w.sentiments, f"sentiment {c.sentiment} in {list(w.sentiments)}")
        )
    if w.toxic is not None:
        checks.append((c.toxic == w.toxic, f"toxic is {c.toxic} (rule wants {w.toxic})"))
    if w.languages:
        checks.append((c.language in w.languages, f"language {c.language} in {list(w.languages)}"))
    if w.keywords:
        text = normalize(message.text)
        found = [k for k in w.keywords if _keyword_in(k, text)]
        checks.append((bool(found), f"keywords {found or 'none'} of {list(w.keywords)}"))
    if w.min_confidence is not None:
        checks.append(
            (
                c.confidence >= w.min_confidence,
                f"confidence {c.confidence:.2f} >= {w.min_confidence}",
            )
        )
    ok = all(m for m, _ in checks) if w.match == "all" else any(m for m, _ in checks)
    shown = [r for m, r in checks if m == ok] or [r for _, r in checks]
    return ok, ("; ".join(shown) if ok else "not: " + "; ".join(r for m, r in checks if not m))


# A fact whose meaning is this close to the message (best cosine of the classifier's
# multilingual embeddings over the fact's texts and questions) is offered to the drafter
# without a keyword; this close, it answers the message on its own. Read off the shipped
# facts: questions the facts answer scored .46-.86 against their fact, questions they do not
# answer (Wayland, a public API, attachment limits, Evernote) at most .40.
MEANING_OFFER = 0.45
MEANING_ANSWERS = 0.50
# Intents whose draft must carry the answering fact, or say who will answer.
_ANSWER_INTENTS = frozenset({Intent.QUESTION, Intent.BUG_REPORT})


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
    words = _words(text)
    scored: list[tuple[float, int, FactPick]] = []
    for order, fact in enumerate(policy.facts):
        if not _in_scope(fact.platforms, fact.channels, message):
            continue
        hits = [k for k in fact.keywords if _keyword_in(k, text)]
        # "sync" and "synchro" found in "synchro" are one word found, not two.
        found = tuple(
            k
            for k in hits
            if not any(o != k and normalize(o).startswith(normalize(k)) for o in hits)
        )
        close = meaning.get(fact.id) if meaning is not None else None
        if not found and (close is None or close < MEANING_OFFER):
            continue
        shared = len(words & (_words(fact.text) | _words(fact.text_fr or "")))
        score = len(found) * 10 + 20 * max(close or 0.0, 0.0) + shared
        scored.append((score, -order, FactPick(fact, round(score, 1), found, close)))
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


def platform_style(policy: Policy, message: InboundMessage) -> PlatformStyle:
    """``[style.default]``, then the platform's table, then matching channel overrides."""
    layers: list[StyleEntry] = [policy.style.default, getattr(policy.style, str(message.platform))]
    layers += [o for o in policy.style.channel if _in_scope(o.platforms, o.channels, message)]
    merged: dict[str, object] = {}
    for layer in layers:
        for key in ("max_chars", "max_sentences", "end_with_question", "formality", "emoji"):
            value = getattr(layer, key)
            if value is not None:
                merged[key] = value
    return PlatformStyle(**merged)  # type: ignore[arg-type]


def strategy_for(policy: Policy, intent: str, tone: str, override: str | None = None) -> str:
    entry = policy.strategies.get(override or intent) or policy.strategies["default"]
    return getattr(entry, tone, None) or entry.default


def ticket_summary(message: InboundMessage, c: Classification) -> str:
    ref = message.conversation
    excerpt = " ".join(message.text.split())
    if len(excerpt) > 280:
        excerpt = excerpt[:279] + "…"
    return (
        f"[{c.intent}] {message.platform} #{ref.channel_name or ref.channel_id} "
        f"by {message.author.name} at {message.sent_at:%Y-%m-%d %H:%M} UTC "
        f"({c.language}, {c.sentiment}): {excerpt}"
    )


def explain(
    policy: Policy,
    message: InboundMessage,
    c: Classification,
    *,
    context: Sequence[ContextMessage] = (),
    auto_sends_in_window: int = 0,
    meaning: Mapping[str, float] | None = None,
) -> Explanation:
    verdicts: list[RuleVerdict] = []
    chosen: RuleEntry | None = None
    for rule in policy.rules:
        matched, reason = _check_rule(rule, policy, message, c)
        applied = matched and chosen is None
        if applied:
            chosen = rule
        elif matched:
            reason += f" (an earlier rule, {chosen.name if chosen else '?'}, decided)"
        verdicts.append(RuleVerdict(rule.name, matched, reason, applied))

    matches: list[RuleMatch] = []
    if chosen is not None:
        action = Action(chosen.action)
        group = chosen.group or policy.defaults.group
        urgent, want_draft, strategy_key = chosen.urgent, chosen.draft, chosen.strategy
        ticket = chosen.ticket
        matches.append(RuleMatch(chosen.name, next(v.reason for v in verdicts if v.applied)))
    else:
        action, group, urgent, want_draft, strategy_key, ticket = (
            Action.REPLY,
            policy.defaults.group,
            False,
            True,
            None,
            False,
        )
        matches.append(RuleMatch("defaults", "no rule matched: reply, default group"))

    flags = c.flags
    if c.intent in _URGENT_INTENTS or flags & _URGENT_FLAGS or c.toxic:
        if not urgent:
            matches.append(
                RuleMatch(
                    "guarantee:alert", "attacks, legal threats and safety are flagged at once"
                )
            )
        urgent = True
    if c.intent == Intent.SAFETY or "safety" in flags:
        if action != Action.ESCALATE or want_draft:
            matches.append(
                RuleMatch(
                    "guarantee:safety", "self-harm or violence: a human answers, no machine draft"
                )
            )
        if chosen is None or action != Action.ESCALATE:
            group = policy.defaults.urgent_group
        action, want_draft = Action.ESCALATE, False
    never_silent = (
        c.intent in _NEVER_SILENT_INTENTS
        or c.toxic
        or bool(flags & _URGENT_FLAGS)
        or (c.sentiment == Sentiment.NEGATIVE and c.intent != Intent.SPAM)
    )
    if action == Action.NO_REPLY and never_silent:
        matches.append(
            RuleMatch(
                "guarantee:no-silence",
                f"a {c.intent} ({_tone(c)}) message is never left unanswered: "
                "escalated to humans instead of no_reply",
            )
        )
        action, want_draft = Action.ESCALATE, True

    auto_send = False
    auto = policy.autosend
    if auto.enabled and action == Action.REPLY and c.intent in auto.intents:
        blockers = []
        if c.confidence < auto.min_confidence:
            blockers.append(f"confidence {c.confidence:.2f} < {auto.min_confidence}")
        if c.toxic or flags:
            blockers.append(f"signals {sorted(flags) or ['toxic']}")
        if c.sentiment == Sentiment.NEGATIVE:
            blockers.append("negative tone")
        if not _in_scope(auto.platforms, auto.channels, message):
            blockers.append("channel not in autosend scope")
        if auto_sends_in_window >= auto.max_per_channel:
            blockers.append(
                f"channel cap reached ({auto_sends_in_window}/{auto.max_per_channel} "
                f"in {auto.window_seconds}s)"
            )
        if blockers:
            matches.append(RuleMatch("autosend", "needs approval: " + ", ".join(blockers)))
        else:
            auto_send = True
            matches.append(
                RuleMatch(
                    "autosend",
                    f"low-risk {c.intent}, opted in by policy "
                    f"({auto_sends_in_window + 1}/{auto.max_per_channel})",
                )
            )

    tone = _tone(c)
    facts = pick_facts(policy, message, context, meaning)
    answered = bool(facts) and answers(facts[0]) and c.intent in _ANSWER_INTENTS
    if (
        c.intent == Intent.QUESTION
        and not answered
        and strategy_key is None
        and "unanswered" in policy.strategies
    ):
        # No fact answers: the draft must not answer in the brand's name.
        strategy_key = "unanswered"
        matches.append(RuleMatch("guarantee:grounded", "no fact answers: the team follows up"))
    strategy = strategy_for(policy, c.intent, tone, strategy_key)
    brief = None
    if action != Action.NO_REPLY and want_draft:
        language = c.language
        brief = DraftBrief(
            text=message.text,
            language=c.language,
            intent=c.intent,
            platform=message.platform,
            voice=policy.brand.brand.voice,
            strategy=strategy,
            facts=tuple(fact_text(p.fact, language) or p.fact.text for p in facts),
            style=platform_style(policy, message),
            forbidden_promises=policy.brand.brand.forbidden_promises,
            avoid_topics=policy.brand.brand.avoid_topics,
            author_name=message.author.name,
            context=tuple(context),
            flags=flags,
            fact_ids=tuple(p.fact.id for p in facts),
            answered=answered,
            group_label=_group_label(policy, group),
            examples=examples_for(policy, strategy_key or c.intent, language),
            sentiment=str(c.sentiment),
            fallback_strategy=strategy_for(policy, "unanswered", "default")
            if "unanswered" in policy.strategies and strategy_key != "unanswered"
            else "",
            fallback_examples=examples_for(policy, "unanswered", language),
        )
    decision = Decision(
        action=action,
        group=group,
        strategy=strategy,
        matched_rules=tuple(matches),
        policy_version=policy.version,
        auto_send=auto_send,
        urgent=urgent,
        brief=brief,
        ticket=ticket_summary(message, c) if ticket else None,
    )
    return Explanation(decision, tuple(verdicts), facts)


def _group_label(policy: Policy, group: str) -> str:
    entry = policy.groups.get(group)
    return (entry.label if entry is not None else "") or group


def examples_for(policy: Policy, strategy: str, language: str) -> tuple[tuple[str, str], ...]:
    """The policy's model answers for this strategy and language (at most two)."""
    found = [
        (e.message, e.reply)
        for e in policy.examples
        if e.strategy == strategy and e.language == language
    ]
    return tuple(found[:2])


def decide(
    policy: Policy,
    message: InboundMessage,
    classification: Classification,
    *,
    context: Sequence[ContextMessage] = (),
    auto_sends_in_window: int = 0,
    meaning: Mapping[str, float] | None = None,
) -> Decision:
    """What to do with one message under ``policy``: see the module docstring."""
    return explain(
        policy,
        message,
        classification,
        context=context,
        auto_sends_in_window=auto_sends_in_window,
        meaning=meaning,
    ).decision
