"""Read Python source (never import it) for what it asks of Slack: the Web API methods it
calls, the events it subscribes to, whether it takes clicks or modal submissions, and the
paths its HTTP listener serves. The manifest's tables are compared with this, so they cannot
drift from the code, however the modules are split."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

INTERACTIVE_LISTENERS = frozenset({"action", "view", "shortcut", "options", "block_action"})


@dataclass(frozen=True, slots=True)
class SlackUsage:
    """What a set of source files asks of Slack."""

    methods: frozenset[str]  # Web API methods, dotted: "chat.postMessage"
    events: frozenset[str]  # Bolt event types: "message", "subteam_members_changed"
    interactive: bool  # registers action/view/shortcut listeners
    paths: frozenset[str]  # paths given to ``web_app(path=...)``


@cache
def web_api_methods() -> dict[str, str]:
    """Every method of slack_sdk's AsyncWebClient, by attribute name: ``chat_postMessage``
    → ``chat.postMessage``."""
    from slack_sdk.web.async_client import AsyncWebClient

    found: dict[str, str] = {}
    for name, value in vars(AsyncWebClient).items():
        if name.startswith("_") or not inspect.iscoroutinefunction(value):
            continue
        found[name] = name.replace("_", ".")
    return found


def python_files(paths: Iterable[Path]) -> Iterator[Path]:
    """The ``.py`` files of ``paths`` (files as they are, folders searched)."""
    for path in paths:
        if path.is_dir():
            yield from sorted(path.rglob("*.py"))
        elif path.suffix == ".py":
            yield path


def _string_arg(call: ast.Call) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    return None


def _keyword(call: ast.Call, name: str) -> str | None:
    for kw in call.keywords:
        if kw.arg == name and isinstance(kw.value, ast.Constant):
            return str(kw.value.value)
    return None


@dataclass
class _Collector:
    methods: set[str]
    events: set[str]
    paths: set[str]
    interactive: bool = False

    def visit(self, call: ast.Call) -> None:
        if not isinstance(call.func, ast.Attribute):
            return
        attr, known = call.func.attr, web_api_methods()
        if attr == "api_call" and _string_arg(call):
            self.methods.add(str(_string_arg(call)))
        elif attr in known:
            self.methods.add(known[attr])
        elif attr == "event" and _string_arg(call):
            self.events.add(str(_string_arg(call)))
        elif attr in INTERACTIVE_LISTENERS:
            self.interactive = True
        elif attr == "web_app" and _keyword(call, "path"):
            self.paths.add(str(_keyword(call, "path")))


def scan(paths: Iterable[Path]) -> SlackUsage:
    """What the Python files under ``paths`` ask of Slack."""
    found = _Collector(set(), set(), set())
    for file in python_files(paths):
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                found.visit(node)
    return SlackUsage(
        frozenset(found.methods), frozenset(found.events), found.interactive, frozenset(found.paths)
    )
