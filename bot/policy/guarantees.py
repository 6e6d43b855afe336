"""What holds whatever the policy files say, computed here and nowhere else.

- which messages are urgent (alerted to the team at once): :func:`is_urgent`;
- which are never left silent (abuse, threats, criticism): :func:`never_silent`; a
  ``no_reply`` for them becomes an escalation to humans;
- safety messages (self-harm, violence) go to humans at once, with no machine draft;
- a question no fact answers gets the ``unanswered`` strategy: the team follows up.

Each guarantee that changes a plan says so in its matched rules (``guarantee:...``), so a
moderator sees when one stepped in. Nothing here can delete, hide or ban: no action does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from bot.domain import Action, Classification, Intent, Sentiment
from bot.policy.facts import Found
from bot.policy.loader import Policy
from bot.policy.routing import Plan
from bot.policy.situation import Situation

# Messages that are never left without a reply or a human, whatever a rule says.
NEVER_SILENT_INTENTS = frozenset(
    {Intent.ATTACK, Intent.LEGAL_THREAT, Intent.SAFETY, Intent.COMPLAINT, Intent.BUG_REPORT}
)
# Flagged to the team at once.
URGENT_INTENTS = frozenset({Intent.ATTACK, Intent.LEGAL_THREAT, Intent.SAFETY})
URGENT_FLAGS = frozenset({"legal_threat", "safety"})


def is_urgent(c: Classification) -> bool:
    """Attacks, legal threats, safety and toxic messages: the team is alerted at once.

    A rule may also mark its messages urgent (``urgent = true``); a decision's ``urgent`` is
    this or the rule's.
    """
    return c.intent in URGENT_INTENTS or bool(c.flags & URGENT_FLAGS) or c.toxic


def is_safety(c: Classification) -> bool:
    """Self-harm or violence: a human answers, without a machine draft."""
    return c.intent == Intent.SAFETY or "safety" in c.flags


def never_silent(c: Classification) -> bool:
    """Messages a ``no_reply`` may not leave unanswered: abuse, threats, criticism."""
    return (
        c.intent in NEVER_SILENT_INTENTS
        or c.toxic
        or bool(c.flags & URGENT_FLAGS)
        or (c.sentiment == Sentiment.NEGATIVE and c.intent != Intent.SPAM)
    )


def _alert(plan: Plan, policy: Policy, s: Situation) -> Plan:
    if plan.urgent or not is_urgent(s.classification):
        return plan
    reason = "attacks, legal threats and safety are flagged at once"
    return replace(plan, urgent=True, matches=plan.noted("guarantee:alert", reason))


def _safety(plan: Plan, policy: Policy, s: Situation) -> Plan:
    if not is_safety(s.classification):
        return plan
    matches = plan.matches
    if plan.action != Action.ESCALATE or plan.want_draft:
        reason = "self-harm or violence: a human answers, no machine draft"
        matches = plan.noted("guarantee:safety", reason)
    # A rule that escalates safety names its group; any other plan goes to the urgent group.
    kept = plan.by_rule and plan.action == Action.ESCALATE
    group = plan.group if kept else policy.defaults.urgent_group
    return replace(plan, action=Action.ESCALATE, want_draft=False, group=group, matches=matches)


def _no_silence(plan: Plan, policy: Policy, s: Situation) -> Plan:
    c = s.classification
    if plan.action != Action.NO_REPLY or not never_silent(c):
        return plan
    reason = (
        f"a {c.intent} ({s.tone}) message is never left unanswered: "
        "escalated to humans instead of no_reply"
    )
    return replace(
        plan,
        action=Action.ESCALATE,
        want_draft=True,
        matches=plan.noted("guarantee:no-silence", reason),
    )


Guarantee = Callable[[Plan, Policy, Situation], Plan]
# Applied in this order to the routing rules' plan, before the autosend opt-in is read.
ROUTING_GUARANTEES: tuple[Guarantee, ...] = (_alert, _safety, _no_silence)


def guarantee(plan: Plan, policy: Policy, s: Situation) -> Plan:
    """The plan once urgency, safety and no-silence hold."""
    for step in ROUTING_GUARANTEES:
        plan = step(plan, policy, s)
    return plan


def grounded(plan: Plan, policy: Policy, s: Situation, found: Found) -> Plan:
    """A question no fact answers gets the ``unanswered`` strategy, unless a rule chose one:
    the draft must not answer in the brand's name."""
    if (
        s.classification.intent != Intent.QUESTION
        or found.answered
        or plan.strategy_key is not None
        or "unanswered" not in policy.strategies
    ):
        return plan
    reason = "no fact answers: the team follows up"
    return replace(
        plan, strategy_key="unanswered", matches=plan.noted("guarantee:grounded", reason)
    )
