"""The autosend opt-in: whether a reply may be posted without a human's approval.

Off unless ``[autosend]`` enables it; then only replies of the listed low-risk intents, in
its scope, under its per-channel cap, and with none of the signals below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from bot.domain import Action, Sentiment
from bot.policy.loader import Policy
from bot.policy.match import in_scope
from bot.policy.routing import Plan
from bot.policy.schema import AutosendSection
from bot.policy.situation import Situation


def _unsure(auto: AutosendSection, s: Situation) -> str | None:
    confidence = s.classification.confidence
    if confidence < auto.min_confidence:
        return f"confidence {confidence:.2f} < {auto.min_confidence}"
    return None


def _signals(auto: AutosendSection, s: Situation) -> str | None:
    c = s.classification
    if c.toxic or c.flags:
        return f"signals {sorted(c.flags) or ['toxic']}"
    return None


def _negative(auto: AutosendSection, s: Situation) -> str | None:
    return "negative tone" if s.classification.sentiment == Sentiment.NEGATIVE else None


def _out_of_scope(auto: AutosendSection, s: Situation) -> str | None:
    if in_scope(auto.platforms, auto.channels, s.message):
        return None
    return "channel not in autosend scope"


def _capped(auto: AutosendSection, s: Situation) -> str | None:
    sent = s.auto_sends_in_window
    if sent < auto.max_per_channel:
        return None
    return f"channel cap reached ({sent}/{auto.max_per_channel} in {auto.window_seconds}s)"


Blocker = Callable[[AutosendSection, Situation], str | None]
# Each names why a human must approve; in the order they are listed.
BLOCKERS: tuple[Blocker, ...] = (_unsure, _signals, _negative, _out_of_scope, _capped)


def autosend(plan: Plan, policy: Policy, s: Situation) -> Plan:
    """The plan with ``auto_send`` set when the opt-in covers it; why not, when it is near."""
    auto = policy.autosend
    intent = s.classification.intent
    if not (auto.enabled and plan.action == Action.REPLY and intent in auto.intents):
        return plan
    blockers = [b for block in BLOCKERS if (b := block(auto, s)) is not None]
    if blockers:
        reason = "needs approval: " + ", ".join(blockers)
        return replace(plan, matches=plan.noted("autosend", reason))
    reason = (
        f"low-risk {intent}, opted in by policy "
        f"({s.auto_sends_in_window + 1}/{auto.max_per_channel})"
    )
    return replace(plan, auto_send=True, matches=plan.noted("autosend", reason))
