"""docs/ stays true to the code: every `tactline ...` command the guides show is one the CLI
accepts, and every TOML snippet is a config that loads (unknown keys are refused)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.config import load_config

REPO = Path(__file__).resolve().parents[2]
GUIDES = sorted((REPO / "docs").glob("*.md"))
EXPECTED_GUIDES = {
    "README.md",
    "slack-approval.md",
    "slack-community.md",
    "discord.md",
    "telegram.md",
    "postgresql.md",
    "inference-server.md",
}
# Commands the guides name that another change adds (issue 17): checked once registered.
ADDED_ELSEWHERE = {"doctor"}
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.DOTALL)
INLINE = re.compile(r"`(tactline [^`]+)`")


def code_blocks(text: str, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(text) if lang == language]


def shell_commands(text: str) -> list[str]:
    """`tactline ...` lines of the sh blocks (continuations joined, comments dropped) and
    inline `tactline ...` spans; those with a placeholder (``...``) are left out."""
    found = []
    for block in code_blocks(text, "sh"):
        for line in block.replace("\\\n", " ").splitlines():
            command = line.split(" #", 1)[0].split(">", 1)[0].strip()
            if command.startswith("tactline "):
                found.append(command)
    found += INLINE.findall(FENCE.sub("", text))
    return [c for c in found if "..." not in c and "…" not in c]


def registered_commands() -> set[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return set(sub.choices or ())


def test_there_is_one_guide_per_topic() -> None:
    assert {g.name for g in GUIDES} == EXPECTED_GUIDES


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: p.name)
def test_every_command_shown_is_one_the_cli_accepts(guide: Path) -> None:
    commands = shell_commands(guide.read_text())
    known = registered_commands()
    for command in commands:
        argv = shlex.split(command)[1:]
        if set(argv) & (ADDED_ELSEWHERE - known):
            continue
        try:
            args = build_parser().parse_args(argv)
        except SystemExit:
            pytest.fail(f"{guide.name}: the CLI refuses `{command}`")
        assert args.command in known, command


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: p.name)
def test_every_toml_snippet_is_a_config_that_loads(guide: Path, tmp_path: Path) -> None:
    for number, snippet in enumerate(code_blocks(guide.read_text(), "toml"), 1):
        f = tmp_path / f"snippet{number}.toml"
        f.write_text(snippet)
        try:
            load_config(f)
        except Exception as exc:
            pytest.fail(f"{guide.name}, TOML block {number}: {exc}")


def test_the_guides_show_commands_and_config() -> None:
    every = [c for g in GUIDES for c in shell_commands(g.read_text())]
    assert len(every) > 20
    assert sum(len(code_blocks(g.read_text(), "toml")) for g in GUIDES) >= 6
