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
from models.base import ClassifyInput

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


async def classify(args: argparse.Namespace, config: Config) -> int:
    policy = load_policy(config.resolve(config.policies.path))
    classifier = default_classifier_factory(config)(policy.intents)
    batch = args.batch or config.models.classifier.batch_size
    lines = sys.stdin.read().splitlines()
    pending: list[tuple[int, Any, ClassifyInput]] = []
    bad = 0
    progress = _progress(len(lines))

    async def flush() -> None:
        results = await classifier.classify([p[2] for p in pending])
        for (_, item_id, _), c in zip(pending, results, strict=True):
            print(json.dumps({"id": item_id, **c.as_json()}, ensure_ascii=False))
        if progress is not None:
            progress.advance(0, len(pending))
        pending.clear()
        sys.stdout.flush()

    try:
        for lineno, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                item_id, item = parse_line(line, lineno)
            except ValueError as exc:
                if pending:
                    await flush()
                bad += 1
                print(f"tactline classify: {exc}", file=sys.stderr)
                print(json.dumps({"id": None, "line": lineno, "error": str(exc)}))
                continue
            pending.append((lineno, item_id, item))
            if len(pending) >= batch:
                await flush()
        if pending:
            await flush()
    finally:
        if progress is not None:
            progress.stop()
    if bad:
        raise TactlineError(f"{bad} input line(s) could not be read (see the error lines)")
    return 0
