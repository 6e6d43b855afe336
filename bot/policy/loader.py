"""Reading ``policies/``: every problem in every file reported as ``path:line: reason``.

A policy is loaded whole or not at all: the caller gets a :class:`Policy` or a
:class:`PolicyErrors` listing every problem found, never a half-applied edit.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot.domain import Flag, IntentSpec
from bot.errors import PolicyErrors, PolicyInvalid
from bot.policy.locate import LineIndex
from bot.policy.schema import (
    FILES,
    NEVER_AUTOSEND,
    AlertsFile,
    AutosendSection,
    BrandFile,
    Defaults,
    ExampleEntry,
    FactEntry,
    GroupEntry,
    IntentsFile,
    RepliesFile,
    RoutingFile,
    RuleEntry,
    StrategyEntry,
    StyleSection,
)


@dataclass(frozen=True)
class Policy:
    """The policy in force: validated files, and the content hash that identifies them."""

    version: str
    directory: Path
    brand: BrandFile
    intents: tuple[IntentSpec, ...]
    strategies: Mapping[str, StrategyEntry]
    style: StyleSection
    defaults: Defaults
    groups: Mapping[str, GroupEntry]
    rules: tuple[RuleEntry, ...]
    autosend: AutosendSection
    alerts: AlertsFile
    examples: tuple[ExampleEntry, ...] = ()
    # Not errors: what an admin should know (a fact without text in a reply language).
    warnings: tuple[str, ...] = ()

    @property
    def facts(self) -> tuple[FactEntry, ...]:
        return self.brand.fact

    @property
    def intent_names(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.intents)


class _Problems:
    def __init__(self) -> None:
        self.items: list[PolicyInvalid] = []

    def add(self, path: Path, line: int, reason: str) -> None:
        self.items.append(PolicyInvalid(str(path), line, reason))


def _describe(error: Mapping[str, Any]) -> str:
    loc = ".".join(str(p) for p in error["loc"])
    kind, msg = error["type"], error["msg"]
    if kind == "extra_forbidden":
        return f"unknown key {loc!r}"
    if kind == "missing":
        return f"missing required key {loc!r}"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return f"{loc}: {msg[0].lower()}{msg[1:]}" if loc else msg


def _read_bytes(path: Path, problems: _Problems) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        problems.add(path, 1, "file is missing")
    except OSError as exc:
        problems.add(path, 1, f"cannot be read: {exc.strerror}")
    return None


def _parse(path: Path, raw: bytes, problems: _Problems) -> tuple[dict[str, Any], LineIndex] | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        problems.add(path, 1, "not UTF-8 text")
        return None
    if not text.strip() or all(
        not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()
    ):
        problems.add(path, 1, "file is empty")
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11's message ends "(at line N, column M)"; 3.14 adds attributes.
        msg = str(exc)
        where = re.search(r"\s*\(at line (\d+), column \d+\)$", msg)
        line = int(where.group(1)) if where else 1
        problems.add(path, line, f"not valid TOML: {msg[: where.start()] if where else msg}")
        return None
    return data, LineIndex(text)


M = TypeVar("M", bound=BaseModel)


def _validate(
    model: type[M], path: Path, data: dict[str, Any], index: LineIndex, problems: _Problems
) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            problems.add(path, index.line(error["loc"]), _describe(error))
        return None


def content_version(contents: Mapping[str, bytes]) -> str:
    """A short hash of every policy file's bytes: what decisions record as ``policy_version``."""
    h = hashlib.sha256()
    for name in sorted(contents):
        h.update(name.encode() + b"\0" + contents[name] + b"\0")
    return h.hexdigest()[:12]


def load_policy(directory: Path) -> Policy:
    """Load and cross-check the policy files in ``directory``; raise PolicyErrors on problems."""
    problems = _Problems()
    if not directory.is_dir():
        problems.add(directory, 1, "policy directory not found")
        raise PolicyErrors(problems.items)
    for stray in sorted(directory.glob("*.toml")):
        if stray.name not in FILES:
            problems.add(stray, 1, f"unknown policy file (expected {', '.join(sorted(FILES))})")
    parsed: dict[str, tuple[Any, LineIndex, Path]] = {}
    contents: dict[str, bytes] = {}
    for name, model in FILES.items():
        path = directory / name
        raw = _read_bytes(path, problems)
        if raw is None:
            continue
        contents[name] = raw
        read = _parse(path, raw, problems)
        if read is None:
            continue
        data, index = read
        value = _validate(model, path, data, index, problems)
        if value is not None:
            parsed[name] = (value, index, path)
    if problems.items or len(parsed) != len(FILES):
        raise PolicyErrors(problems.items)
    alerts, _, _ = parsed["alerts.toml"]
    brand, brand_index, brand_path = parsed["brand.toml"]
    intents_file, intents_index, intents_path = parsed["intents.toml"]
    replies, replies_index, replies_path = parsed["replies.toml"]
    routing, routing_index, routing_path = parsed["routing.toml"]
    assert isinstance(brand, BrandFile) and isinstance(intents_file, IntentsFile)
    assert isinstance(alerts, AlertsFile)
    assert isinstance(replies, RepliesFile) and isinstance(routing, RoutingFile)

    names: list[str] = []
    for i, entry in enumerate(intents_file.intent):
        if entry.name in names:
            problems.add(
                intents_path,
                intents_index.line(("intent", i, "name")),
                f"intent {entry.name!r} is defined twice",
            )
        names.append(entry.name)
    known_intents = set(names)
    known_flags = {str(f) for f in Flag}
    groups = set(routing.groups)

    def check_intents(
        values: tuple[str, ...], where: tuple[str | int, ...], path: Path, index: LineIndex
    ) -> None:
        for v in values:
            if v not in known_intents:
                problems.add(
                    path,
                    index.line(where),
                    f"unknown intent {v!r} "
                    f"(defined in intents.toml: {', '.join(sorted(known_intents))})",
                )

    def check_group(value: str | None, where: tuple[str | int, ...]) -> None:
        if value is not None and value not in groups:
            problems.add(
                routing_path,
                routing_index.line(where),
                f"unknown group {value!r} (defined: {', '.join(sorted(groups))})",
            )

    # A strategy table is named after an intent, or after what a routing rule names.
    named_by_rules = {r.strategy for r in routing.rule if r.strategy is not None}
    for key in replies.strategy:
        if (
            key not in RESERVED_STRATEGIES
            and key not in known_intents
            and key not in named_by_rules
        ):
            problems.add(
                replies_path,
                replies_index.line(("strategy", key)),
                f"strategy for unknown intent {key!r} (and no rule names it)",
            )
    if "default" not in replies.strategy:
        problems.add(
            replies_path,
            1,
            "missing [strategy.default], used for intents without their own strategy",
        )
    for i, example in enumerate(replies.example):
        if example.strategy not in replies.strategy:
            problems.add(
                replies_path,
                replies_index.line(("example", i, "strategy")),
                f"example for unknown strategy {example.strategy!r} (defined: "
                f"{', '.join(sorted(replies.strategy))})",
            )
    d = replies.style.default
    for field in ("max_chars", "max_sentences", "end_with_question", "formality", "emoji"):
        if getattr(d, field) is None:
            problems.add(
                replies_path,
                replies_index.line(("style", "default")),
                f"[style.default] must set {field}",
            )

    check_group(routing.defaults.group, ("defaults", "group"))
    check_group(routing.defaults.urgent_group, ("defaults", "urgent_group"))
    seen_rules: set[str] = set()
    for i, rule in enumerate(routing.rule):
        at = ("rule", i)
        if rule.name in seen_rules:
            problems.add(
                routing_path,
                routing_index.line((*at, "name")),
                f"rule {rule.name!r} is defined twice",
            )
        seen_rules.add(rule.name)
        check_group(rule.group, (*at, "group"))
        check_intents(rule.when.intents, (*at, "when", "intents"), routing_path, routing_index)
        for f in rule.when.flags:
            if f not in known_flags:
                problems.add(
                    routing_path,
                    routing_index.line((*at, "when", "flags")),
                    f"unknown flag {f!r} (known: {', '.join(sorted(known_flags))})",
                )
        if rule.strategy is not None and rule.strategy not in replies.strategy:
            problems.add(
                routing_path,
                routing_index.line((*at, "strategy")),
                f"unknown strategy {rule.strategy!r} (defined in replies.toml: "
                f"{', '.join(sorted(replies.strategy))})",
            )
        w = rule.when
        if not (
            w.intents
            or w.flags
            or w.sentiments
            or w.toxic is not None
            or w.languages
            or w.keywords
            or w.min_confidence is not None
        ):
            problems.add(
                routing_path,
                routing_index.line((*at, "when")),
                "a rule needs at least one condition under `when`",
            )
    auto = routing.autosend
    check_intents(auto.intents, ("autosend", "intents"), routing_path, routing_index)
    for v in auto.intents:
        if v in NEVER_AUTOSEND:
            problems.add(
                routing_path,
                routing_index.line(("autosend", "intents")),
                f"{v!r} is never low-risk: it always needs a human's approval",
            )
    if auto.enabled and not auto.intents:
        problems.add(
            routing_path,
            routing_index.line(("autosend", "enabled")),
            "autosend is enabled but lists no intents",
        )
    if problems.items:
        raise PolicyErrors(problems.items)

    warnings = [
        f"{brand_path}:{brand_index.line(('fact', i, 'id'))}: fact {fact.id!r} has no "
        f"{LANGUAGE_NAMES[lang]} text ({_text_key(lang)}): {LANGUAGE_NAMES[lang]} replies "
        f"will quote it in English"
        for i, fact in enumerate(brand.fact)
        for lang in brand.brand.languages
        if fact_text(fact, lang) is None
    ]

    return Policy(
        version=content_version(contents),
        directory=directory,
        brand=brand,
        intents=tuple(
            IntentSpec(
                name=e.name,
                description=e.description,
                examples={lang: tuple(ex) for lang, ex in e.examples.items()},
            )
            for e in intents_file.intent
        ),
        strategies=dict(replies.strategy),
        style=replies.style,
        defaults=routing.defaults,
        groups=dict(routing.groups),
        rules=routing.rule,
        autosend=auto,
        alerts=alerts,
        examples=replies.example,
        warnings=tuple(warnings),
    )


LANGUAGE_NAMES = {"en": "English", "fr": "French"}
# Strategy tables the engine itself names: `default` for intents without their own table,
# `unanswered` for questions the policy's facts do not answer.
RESERVED_STRATEGIES = frozenset({"default", "unanswered"})


def _text_key(language: str) -> str:
    return "text" if language == "en" else f"text_{language}"


def fact_text(fact: FactEntry, language: str) -> str | None:
    """The fact's text in ``language``, or None when the admin has not written it."""
    value: str | None = getattr(fact, _text_key(language), None)
    return value
