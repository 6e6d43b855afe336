"""The policy engine: admin-edited files in, explained decisions out."""

from bot.errors import PolicyErrors, PolicyInvalid
from bot.policy.engine import (
    Explanation,
    FactPick,
    RuleVerdict,
    decide,
    explain,
    pick_facts,
)
from bot.policy.guarantees import is_urgent, never_silent
from bot.policy.loader import Policy, load_policy
from bot.policy.watcher import PolicyWatcher

__all__ = [
    "Explanation",
    "FactPick",
    "Policy",
    "PolicyErrors",
    "PolicyInvalid",
    "PolicyWatcher",
    "RuleVerdict",
    "decide",
    "explain",
    "is_urgent",
    "load_policy",
    "never_silent",
    "pick_facts",
]
