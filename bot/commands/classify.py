"""``tactline classify``: JSON Lines in, one classification per line out."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.app import default_classifier_factory
from bot.config import Config
from bot.domain import Platform
from bot.errors import TactlineError
from bot.policy import load_policy
from models.base import Classifier, ClassifyInput

MAX_TEXT = 100_000  # longer texts are classified on their beginning (the encoder reads less)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("classify", help="classify messages: JSON Lines on stdin → stdout")
    p.add_argument("--batch", type=int, default=None, help="batch size (default: config)")
    p.set_defaults(handler=classify)


def parse_line(line: str, lineno: int) -> tuple[Any, ClassifyInput]:
    """One input line → (id, input). ValueError says what is wrong with the line."""
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"line {lineno}: not JSON ({exc.msg})") from None
    if not isinstance(item, dict):
        raise ValueError(f"line {lineno}: expected a JSON object")
    text = item.get("text")
    if not isinstance(text, str):
        raise ValueError(f'line {lineno}: "text" must be a string')
    platform = item.get("platform")
    if platform is not None:
        try:
            platform = Platform(platform)
        except ValueError:
            raise ValueError(f"line {lineno}: unknown platform {platform!r}") from None
    return item.get("id"), ClassifyInput(text=text[:MAX_TEXT], platform=platform)


def _progress(total: int) -> Any:
    if total < 200 or not sys.stderr.isatty():
        return None
    from rich.progress import Progress

    progress = Progress(transient=True)
    progress.start()
    progress.add_task("classifying", total=total)
    return progress


class _Output:
    """Classifies what it is given in batches and prints one JSON line per input line, in
    input order (a line that cannot be read prints its error line in its place)."""

    def __init__(self, classifier: Classifier, batch: int, progress: Any) -> None:
        self._classifier = classifier
        self._batch = batch
        self._progress = progress
        self._pending: list[tuple[Any, ClassifyInput]] = []
        self.bad = 0

    async def add(self, item_id: Any, item: ClassifyInput) -> None:
        self._pending.append((item_id, item))
        if len(self._pending) >= self._batch:
            await self.flush()

    async def error(self, lineno: int, exc: ValueError) -> None:
        await self.flush()
        self.bad += 1
        print(f"tactline classify: {exc}", file=sys.stderr)
        print(json.dumps({"id": None, "line": lineno, "error": str(exc)}))

    async def flush(self) -> None:
        if not self._pending:
            return
        results = await self._classifier.classify([p[1] for p in self._pending])
        for (item_id, _), c in zip(self._pending, results, strict=True):
            print(json.dumps({"id": item_id, **c.as_json()}, ensure_ascii=False))
        if self._progress is not None:
            self._progress.advance(0, len(self._pending))
        self._pending.clear()
        sys.stdout.flush()


async def classify(args: argparse.Namespace, config: Config) -> int:
    policy = load_policy(config.resolve(config.policies.path))
    classifier = default_classifier_factory(config)(policy.intents)
    lines = sys.stdin.read().splitlines()
    progress = _progress(len(lines))
    out = _Output(classifier, args.batch or config.models.classifier.batch_size, progress)
    try:
        for lineno, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                item_id, item = parse_line(line, lineno)
            except ValueError as exc:
                await out.error(lineno, exc)
                continue
            await out.add(item_id, item)
        await out.flush()
    finally:
        if progress is not None:
            progress.stop()
    if out.bad:
        raise TactlineError(f"{out.bad} input line(s) could not be read (see the error lines)")
    return 0
