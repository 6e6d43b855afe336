"""SQL stays in the store: the listener and the reports read and write through it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = ["bot/listening", "bot/reports"]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("folder", OUTSIDE)
def test_no_sql_outside_the_store(folder: str) -> None:
    files = sorted((ROOT / folder).glob("*.py"))
    assert files, folder
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name
            for name in imported_modules(path)
            if name.startswith("sqlalchemy") or name == "bot.store.schema"
        )
        for path in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}
