"""Deciding what happens to one message under a policy, and explaining why.

One pass, each step in its own module:

1. ``routing``: the rules in ``routing.toml`` are tried in order (``conditions``: one check
   per ``when`` key); the first that matches decides the action and the group, and every
   rule's verdict is kept for ``tactline policy explain``;
2. ``guarantees``: what holds whatever the files say (urgency, safety, no silence); they
   appear in the matched rules as ``guarantee:...`` so a moderator sees when one stepped in;
3. ``autosend``: nothing is posted without approval unless the opt-in covers it;
4. ``facts``: the facts the message is about; a question none answers is grounded
   (``guarantee:grounded``);
5. the decision, then ``brief``: what the drafter is told, built last from the decision.

Nothing is ever deleted, hidden or banned: there is no such action.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Unpack

from bot.domain import Classification, Decision, InboundMessage
from bot.policy.autosend import autosend
from bot.policy.brief import (
    draft_brief,
    examples_for,
    platform_style,
    strategy_for,
)
from bot.policy.facts import (
    MEANING_ANSWERS,
    MEANING_OFFER,
    FactPick,
    Found,
    answers,
    find_facts,
    pick_facts,
)
from bot.policy.guarantees import grounded, guarantee
from bot.policy.loader import Policy
from bot.policy.match import normalize
from bot.policy.routing import Plan, RuleVerdict, route
from bot.policy.situation import Circumstances, Situation

__all__ = [
    "MEANING_ANSWERS",
    "MEANING_OFFER",
    "Explanation",
    "FactPick",
    "RuleVerdict",
    "answers",
    "decide",
    "examples_for",
    "explain",
    "normalize",
    "pick_facts",
    "platform_style",
    "strategy_for",
    "ticket_summary",
]


@dataclass(frozen=True, slots=True)
class Explanation:
    decision: Decision
    verdicts: tuple[RuleVerdict, ...]
    facts: tuple[FactPick, ...]  # the facts picked, best first, with why


def ticket_summary(message: InboundMessage, c: Classification) -> str:
    """One line for the group's ticket: intent, where, who, when, and an excerpt."""
    ref = message.conversation
    excerpt = " ".join(message.text.split())
    if len(excerpt) > 280:
        excerpt = excerpt[:279] + "…"
    return (
        f"[{c.intent}] {message.platform} #{ref.channel_name or ref.channel_id} "
        f"by {message.author.name} at {message.sent_at:%Y-%m-%d %H:%M} UTC "
        f"({c.language}, {c.sentiment}): {excerpt}"
    )


def _decision(policy: Policy, s: Situation, plan: Plan) -> Decision:
    """The decision the plan comes to, without its brief yet."""
    c = s.classification
    return Decision(
        action=plan.action,
        group=plan.group,
        strategy=strategy_for(policy, c.intent, s.tone, plan.strategy_key),
        matched_rules=plan.matches,
        policy_version=policy.version,
        auto_send=plan.auto_send,
        urgent=plan.urgent,
        ticket=ticket_summary(s.message, c) if plan.ticket else None,
    )


def _explain(policy: Policy, s: Situation) -> Explanation:
    routed = route(policy, s)
    plan = guarantee(routed.plan, policy, s)
    plan = autosend(plan, policy, s)
    found: Found = find_facts(policy, s)
    plan = grounded(plan, policy, s, found)
    decision = _decision(policy, s, plan)
    decision = replace(decision, brief=draft_brief(policy, s, decision, plan, found))
    return Explanation(decision, routed.verdicts, found.picks)


def explain(
    policy: Policy,
    message: InboundMessage,
    classification: Classification,
    **circumstances: Unpack[Circumstances],
) -> Explanation:
    """The decision for one message, every rule's verdict and the facts picked.

    Keywords (all optional): ``context``, the thread before the message;
    ``auto_sends_in_window``, replies already sent without approval in the channel's
    autosend window; ``meaning``, fact id → closeness of meaning to the message.
    """
    return _explain(policy, Situation.of(message, classification, circumstances))


def decide(
    policy: Policy,
    message: InboundMessage,
    classification: Classification,
    **circumstances: Unpack[Circumstances],
) -> Decision:
    """What to do with one message under ``policy``: see the module docstring and
    :func:`explain` for the keywords."""
    return _explain(policy, Situation.of(message, classification, circumstances)).decision
