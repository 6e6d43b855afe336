"""Loading ``policies/`` whole or not at all: read each file, cross-check, build the Policy.

The caller gets a :class:`Policy` or a :class:`PolicyErrors` listing every problem found,
each ``path:line: reason``, never a half-applied edit. Reading one file is ``reading.py``;
the checks across files are ``crosschecks.py``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from pydantic import BaseModel

from bot.domain import IntentSpec
from bot.errors import PolicyErrors, PolicyInvalid
from bot.policy import crosschecks
from bot.policy.crosschecks import LANGUAGE_NAMES, RESERVED_STRATEGIES, PolicyFiles
from bot.policy.facts import fact_text
from bot.policy.reading import FileRead, Parsed, read_file
from bot.policy.schema import (
    FILES,
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

__all__ = [
    "LANGUAGE_NAMES",
    "RESERVED_STRATEGIES",
    "Policy",
    "content_version",
    "fact_text",
    "load_policy",
]


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


def content_version(contents: Mapping[str, bytes]) -> str:
    """A short hash of every policy file's bytes: what decisions record as ``policy_version``."""
    h = hashlib.sha256()
    for name in sorted(contents):
        h.update(name.encode() + b"\0" + contents[name] + b"\0")
    return h.hexdigest()[:12]


def _stray_files(directory: Path) -> list[PolicyInvalid]:
    expected = ", ".join(sorted(FILES))
    return [
        PolicyInvalid(str(stray), 1, f"unknown policy file (expected {expected})")
        for stray in sorted(directory.glob("*.toml"))
        if stray.name not in FILES
    ]


M = TypeVar("M", bound=BaseModel)


def _parsed(reads: Mapping[str, FileRead[Any]], name: str, model: type[M]) -> Parsed[M]:
    """The file read as ``model`` (its type known to mypy again)."""
    parsed = reads[name].parsed
    assert parsed is not None and isinstance(parsed.value, model)
    return cast(Parsed[M], parsed)


def _read_files(directory: Path) -> tuple[PolicyFiles, dict[str, bytes]]:
    """Every file read and validated on its own; raises with all their problems."""
    problems = _stray_files(directory)
    reads = {name: read_file(directory / name, model) for name, model in FILES.items()}
    problems += [p for r in reads.values() for p in r.problems]
    if problems or any(r.parsed is None for r in reads.values()):
        raise PolicyErrors(problems)
    files = PolicyFiles(
        alerts=_parsed(reads, "alerts.toml", AlertsFile),
        brand=_parsed(reads, "brand.toml", BrandFile),
        intents=_parsed(reads, "intents.toml", IntentsFile),
        replies=_parsed(reads, "replies.toml", RepliesFile),
        routing=_parsed(reads, "routing.toml", RoutingFile),
    )
    return files, {name: r.raw for name, r in reads.items() if r.raw is not None}


def _intent_specs(intents: IntentsFile) -> tuple[IntentSpec, ...]:
    return tuple(
        IntentSpec(
            name=e.name,
            description=e.description,
            examples={lang: tuple(ex) for lang, ex in e.examples.items()},
        )
        for e in intents.intent
    )


def _policy(directory: Path, files: PolicyFiles, contents: Mapping[str, bytes]) -> Policy:
    replies, routing = files.replies.value, files.routing.value
    return Policy(
        version=content_version(contents),
        directory=directory,
        brand=files.brand.value,
        intents=_intent_specs(files.intents.value),
        strategies=dict(replies.strategy),
        style=replies.style,
        defaults=routing.defaults,
        groups=dict(routing.groups),
        rules=routing.rule,
        autosend=routing.autosend,
        alerts=files.alerts.value,
        examples=replies.example,
        warnings=tuple(crosschecks.warnings(files)),
    )


def load_policy(directory: Path) -> Policy:
    """Load and cross-check the policy files in ``directory``; raise PolicyErrors on problems."""
    if not directory.is_dir():
        raise PolicyErrors([PolicyInvalid(str(directory), 1, "policy directory not found")])
    files, contents = _read_files(directory)
    problems = crosschecks.cross_check(files)
    if problems:
        raise PolicyErrors(problems)
    return _policy(directory, files, contents)
