"""What the drafter is told, built last from the decision: strategy, facts, style, examples."""

from __future__ import annotations

from bot.domain import Action, Decision, DraftBrief, InboundMessage, PlatformStyle
from bot.policy.facts import Found, fact_text, said_first
from bot.policy.loader import Policy
from bot.policy.match import in_scope
from bot.policy.routing import Plan
from bot.policy.schema import StyleEntry
from bot.policy.situation import Situation

_STYLE_KEYS = ("max_chars", "max_sentences", "end_with_question", "formality", "emoji")


def platform_style(policy: Policy, message: InboundMessage) -> PlatformStyle:
    """``[style.default]``, then the platform's table, then matching channel overrides."""
    layers: list[StyleEntry] = [policy.style.default, getattr(policy.style, str(message.platform))]
    layers += [o for o in policy.style.channel if in_scope(o.platforms, o.channels, message)]
    merged: dict[str, object] = {}
    for layer in layers:
        for key in _STYLE_KEYS:
            value = getattr(layer, key)
            if value is not None:
                merged[key] = value
    return PlatformStyle(**merged)  # type: ignore[arg-type]


def strategy_for(policy: Policy, intent: str, tone: str, override: str | None = None) -> str:
    """The strategy text: the named (or the intent's, or the default) table, refined by tone."""
    entry = policy.strategies.get(override or intent) or policy.strategies["default"]
    return getattr(entry, tone, None) or entry.default


def examples_for(policy: Policy, strategy: str, language: str) -> tuple[tuple[str, str], ...]:
    """The policy's model answers for this strategy and language (at most two)."""
    found = [
        (e.message, e.reply)
        for e in policy.examples
        if e.strategy == strategy and e.language == language
    ]
    return tuple(found[:2])


def group_label(policy: Policy, group: str) -> str:
    """Who follows up, as drafts name them ("Customer support"); the group's key without."""
    entry = policy.groups.get(group)
    return (entry.label if entry is not None else "") or group


def _fallback_strategy(policy: Policy, strategy_key: str | None) -> str:
    """The ``unanswered`` strategy, to retry with when a draft answered what no fact states."""
    if "unanswered" in policy.strategies and strategy_key != "unanswered":
        return strategy_for(policy, "unanswered", "default")
    return ""


def draft_brief(
    policy: Policy, s: Situation, decision: Decision, plan: Plan, found: Found
) -> DraftBrief | None:
    """The brief for the decision, or None when it wants no draft (no_reply, safety)."""
    if decision.action == Action.NO_REPLY or not plan.want_draft:
        return None
    message, c = s.message, s.classification
    brand = policy.brand.brand
    return DraftBrief(
        text=message.text,
        language=c.language,
        intent=c.intent,
        platform=message.platform,
        voice=brand.voice,
        strategy=decision.strategy,
        facts=tuple(
            said_first(fact_text(p.fact, c.language) or p.fact.text, p) for p in found.picks
        ),
        style=platform_style(policy, message),
        forbidden_promises=brand.forbidden_promises,
        avoid_topics=brand.avoid_topics,
        author_name=message.author.name,
        context=s.context,
        flags=c.flags,
        fact_ids=tuple(p.fact.id for p in found.picks),
        answered=found.answered,
        group_label=group_label(policy, decision.group),
        examples=examples_for(policy, plan.strategy_key or c.intent, c.language),
        sentiment=str(c.sentiment),
        fallback_strategy=_fallback_strategy(policy, plan.strategy_key),
        fallback_examples=examples_for(policy, "unanswered", c.language),
        # The sentence of a long message that raised its flag stays in the prompt past its cut.
        evidence=c.evidence,
    )
