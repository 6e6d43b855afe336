"""Policy directories to edit in tests, and classifications to decide on."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.domain import Classification, Sentiment

REPO = Path(__file__).resolve().parents[2]


def policy_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped policy files."""
    target = tmp_path / "policies"
    shutil.copytree(REPO / "policies", target)
    return target


def edit(directory: Path, name: str, old: str, new: str) -> None:
    path = directory / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def classified(
    intent: str = "question",
    *,
    sentiment: Sentiment = Sentiment.NEUTRAL,
    toxic: bool = False,
    flags: frozenset[str] = frozenset(),
    confidence: float = 0.9,
    language: str = "en",
) -> Classification:
    return Classification(
        language=language,
        intent=intent,
        sentiment=sentiment,
        toxic=toxic,
        toxicity=0.9 if toxic else 0.05,
        flags=flags,
        confidence=confidence,
        model="test",
    )
