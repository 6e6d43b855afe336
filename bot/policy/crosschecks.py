"""Checks across the validated files: every name one file uses is defined where it should be.

Each check reads the files and returns its problems (or, for ``WARNINGS``, what an admin
should know); ``CROSS_CHECKS`` runs them in the order their problems are listed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

from bot.domain import Flag
from bot.errors import PolicyInvalid
from bot.policy.conditions import has_conditions
from bot.policy.facts import fact_text, text_key
from bot.policy.reading import Parsed, Where
from bot.policy.schema import (
    NEVER_AUTOSEND,
    AlertsFile,
    BrandFile,
    IntentsFile,
    RepliesFile,
    RoutingFile,
    RuleEntry,
)

LANGUAGE_NAMES = {"en": "English", "fr": "French"}
# Strategy tables the engine itself names: `default` for intents without their own table,
# `unanswered` for questions the policy's facts do not answer.
RESERVED_STRATEGIES = frozenset({"default", "unanswered"})
KNOWN_FLAGS = frozenset(str(f) for f in Flag)
_STYLE_KEYS = ("max_chars", "max_sentences", "end_with_question", "formality", "emoji")


@dataclass(frozen=True)
class PolicyFiles:
    """The five files, each validated on its own, before they are checked together."""

    alerts: Parsed[AlertsFile]
    brand: Parsed[BrandFile]
    intents: Parsed[IntentsFile]
    replies: Parsed[RepliesFile]
    routing: Parsed[RoutingFile]

    @cached_property
    def intent_names(self) -> frozenset[str]:
        return frozenset(e.name for e in self.intents.value.intent)

    @property
    def strategy_names(self) -> str:
        return ", ".join(sorted(self.replies.value.strategy))


Problems = Iterator[PolicyInvalid]
CrossCheck = Callable[[PolicyFiles], Iterable[PolicyInvalid]]


def _unknown_intents(files: PolicyFiles, values: tuple[str, ...], where: Where) -> Problems:
    known = files.intent_names
    for v in values:
        if v not in known:
            yield files.routing.problem(
                where,
                f"unknown intent {v!r} (defined in intents.toml: {', '.join(sorted(known))})",
            )


def _unknown_group(files: PolicyFiles, value: str | None, where: Where) -> Problems:
    groups = files.routing.value.groups
    if value is not None and value not in groups:
        yield files.routing.problem(
            where, f"unknown group {value!r} (defined: {', '.join(sorted(groups))})"
        )


# --- intents.toml -----------------------------------------------------------------------


def intents_defined_once(files: PolicyFiles) -> Problems:
    seen: set[str] = set()
    for i, entry in enumerate(files.intents.value.intent):
        if entry.name in seen:
            yield files.intents.problem(
                ("intent", i, "name"), f"intent {entry.name!r} is defined twice"
            )
        seen.add(entry.name)


# --- replies.toml -----------------------------------------------------------------------


def strategies_have_a_user(files: PolicyFiles) -> Problems:
    """A strategy table is named after an intent, or after what a routing rule names."""
    named_by_rules = {r.strategy for r in files.routing.value.rule if r.strategy is not None}
    used = RESERVED_STRATEGIES | files.intent_names | named_by_rules
    for key in files.replies.value.strategy:
        if key not in used:
            yield files.replies.problem(
                ("strategy", key), f"strategy for unknown intent {key!r} (and no rule names it)"
            )


def default_strategy_exists(files: PolicyFiles) -> Problems:
    if "default" not in files.replies.value.strategy:
        yield PolicyInvalid(
            str(files.replies.path),
            1,
            "missing [strategy.default], used for intents without their own strategy",
        )


def examples_name_strategies(files: PolicyFiles) -> Problems:
    strategies = files.replies.value.strategy
    for i, example in enumerate(files.replies.value.example):
        if example.strategy not in strategies:
            yield files.replies.problem(
                ("example", i, "strategy"),
                f"example for unknown strategy {example.strategy!r} "
                f"(defined: {files.strategy_names})",
            )


def default_style_is_complete(files: PolicyFiles) -> Problems:
    default = files.replies.value.style.default
    for key in _STYLE_KEYS:
        if getattr(default, key) is None:
            yield files.replies.problem(("style", "default"), f"[style.default] must set {key}")


# --- routing.toml -----------------------------------------------------------------------


def default_groups_exist(files: PolicyFiles) -> Problems:
    defaults = files.routing.value.defaults
    yield from _unknown_group(files, defaults.group, ("defaults", "group"))
    yield from _unknown_group(files, defaults.urgent_group, ("defaults", "urgent_group"))


def _rule_named_once(files: PolicyFiles, i: int, rule: RuleEntry) -> Problems:
    if any(r.name == rule.name for r in files.routing.value.rule[:i]):
        yield files.routing.problem(("rule", i, "name"), f"rule {rule.name!r} is defined twice")


def _rule_group(files: PolicyFiles, i: int, rule: RuleEntry) -> Problems:
    yield from _unknown_group(files, rule.group, ("rule", i, "group"))


def _rule_intents(files: PolicyFiles, i: int, rule: RuleEntry) -> Problems:
    yield from _unknown_intents(files, rule.when.intents, ("rule", i, "when", "intents"))


def _rule_flags(files: PolicyFiles, i: int, rule: RuleEntry) -> Problems:
    for f in rule.when.flags:
        if f not in KNOWN_FLAGS:
            yield files.routing.problem(
                ("rule", i, "when", "flags"),
                f"unknown flag {f!r} (known: {', '.join(sorted(KNOWN_FLAGS))})",
            )


def _rule_strategy(files: PolicyFiles, i: int, rule: RuleEntry) -> Problems:
    if rule.strategy is not None and rule.strategy not in files.replies.value.strategy:
        yield files.routing.problem(
            ("rule", i, "strategy"),
            f"unknown strategy {rule.strategy!r} (defined in replies.toml: {files.strategy_names})",
        )


def _rule_has_conditions(files: PolicyFiles, i: int, rule: RuleEntry) -> Problems:
    if not has_conditions(rule.when):
        yield files.routing.problem(
            ("rule", i, "when"), "a rule needs at least one condition under `when`"
        )


RuleCheck = Callable[[PolicyFiles, int, RuleEntry], Iterable[PolicyInvalid]]
# Per rule, in this order; a rule's problems are listed together.
RULE_CHECKS: tuple[RuleCheck, ...] = (
    _rule_named_once,
    _rule_group,
    _rule_intents,
    _rule_flags,
    _rule_strategy,
    _rule_has_conditions,
)


def rules_are_consistent(files: PolicyFiles) -> Problems:
    for i, rule in enumerate(files.routing.value.rule):
        for check in RULE_CHECKS:
            yield from check(files, i, rule)


def autosend_intents_known(files: PolicyFiles) -> Problems:
    yield from _unknown_intents(
        files, files.routing.value.autosend.intents, ("autosend", "intents")
    )


def autosend_only_low_risk(files: PolicyFiles) -> Problems:
    for v in files.routing.value.autosend.intents:
        if v in NEVER_AUTOSEND:
            yield files.routing.problem(
                ("autosend", "intents"),
                f"{v!r} is never low-risk: it always needs a human's approval",
            )


def autosend_lists_intents(files: PolicyFiles) -> Problems:
    auto = files.routing.value.autosend
    if auto.enabled and not auto.intents:
        yield files.routing.problem(
            ("autosend", "enabled"), "autosend is enabled but lists no intents"
        )


CROSS_CHECKS: tuple[CrossCheck, ...] = (
    intents_defined_once,
    strategies_have_a_user,
    default_strategy_exists,
    examples_name_strategies,
    default_style_is_complete,
    default_groups_exist,
    rules_are_consistent,
    autosend_intents_known,
    autosend_only_low_risk,
    autosend_lists_intents,
)


# --- warnings: the policy loads, but an admin should know -------------------------------


def facts_in_every_language(files: PolicyFiles) -> Iterator[str]:
    brand = files.brand
    for i, fact in enumerate(brand.value.fact):
        for lang in brand.value.brand.languages:
            if fact_text(fact, lang) is None:
                name = LANGUAGE_NAMES[lang]
                yield (
                    f"{brand.path}:{brand.index.line(('fact', i, 'id'))}: fact {fact.id!r} "
                    f"has no {name} text ({text_key(lang)}): {name} replies will quote it "
                    "in English"
                )


WARNINGS: tuple[Callable[[PolicyFiles], Iterable[str]], ...] = (facts_in_every_language,)


def cross_check(files: PolicyFiles) -> list[PolicyInvalid]:
    """Every cross-check's problems, in order."""
    return [p for check in CROSS_CHECKS for p in check(files)]


def warnings(files: PolicyFiles) -> list[str]:
    """What an admin should know about a policy that loads."""
    return [w for check in WARNINGS for w in check(files)]
