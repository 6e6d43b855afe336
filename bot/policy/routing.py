"""The routing rules in order: every rule's verdict, and the plan of the first that applies.

The plan is what the files ask for; the guarantees (``guarantees.py``) may still change it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import Action, RuleMatch
from bot.policy.conditions import rule_applies
from bot.policy.loader import Policy
from bot.policy.schema import RuleEntry
from bot.policy.situation import Situation


@dataclass(frozen=True, slots=True)
class RuleVerdict:
    """One rule's outcome for a message: matched, and applied when it was the first."""

    rule: str
    matched: bool
    reason: str
    applied: bool = False


@dataclass(frozen=True, slots=True)
class Plan:
    """What will happen to the message so far, and every rule or guarantee that said so."""

    action: Action
    group: str
    urgent: bool
    want_draft: bool
    strategy_key: str | None  # a [strategy.<key>] named by a rule or a guarantee
    ticket: bool
    matches: tuple[RuleMatch, ...]
    by_rule: bool  # False: no rule matched, the defaults apply
    auto_send: bool = False

    def noted(self, rule: str, reason: str) -> tuple[RuleMatch, ...]:
        """The matches with one more, for ``dataclasses.replace``."""
        return (*self.matches, RuleMatch(rule, reason))


@dataclass(frozen=True, slots=True)
class Routed:
    verdicts: tuple[RuleVerdict, ...]
    plan: Plan


def _verdicts(policy: Policy, s: Situation) -> tuple[tuple[RuleVerdict, ...], RuleEntry | None]:
    verdicts: list[RuleVerdict] = []
    chosen: RuleEntry | None = None
    for rule in policy.rules:
        outcome = rule_applies(rule, policy.defaults, s)
        reason = outcome.reason
        applied = outcome.met and chosen is None
        if applied:
            chosen = rule
        elif outcome.met:
            reason += f" (an earlier rule, {chosen.name if chosen else '?'}, decided)"
        verdicts.append(RuleVerdict(rule.name, outcome.met, reason, applied))
    return tuple(verdicts), chosen


def _plan_of(rule: RuleEntry, policy: Policy, reason: str) -> Plan:
    return Plan(
        action=Action(rule.action),
        group=rule.group or policy.defaults.group,
        urgent=rule.urgent,
        want_draft=rule.draft,
        strategy_key=rule.strategy,
        ticket=rule.ticket,
        matches=(RuleMatch(rule.name, reason),),
        by_rule=True,
    )


def _default_plan(policy: Policy) -> Plan:
    return Plan(
        action=Action.REPLY,
        group=policy.defaults.group,
        urgent=False,
        want_draft=True,
        strategy_key=None,
        ticket=False,
        matches=(RuleMatch("defaults", "no rule matched: reply, default group"),),
        by_rule=False,
    )


def route(policy: Policy, s: Situation) -> Routed:
    """Try the rules in order; the first that matches decides, the others are explained."""
    verdicts, chosen = _verdicts(policy, s)
    if chosen is None:
        return Routed(verdicts, _default_plan(policy))
    reason = next(v.reason for v in verdicts if v.applied)
    return Routed(verdicts, _plan_of(chosen, policy, reason))
