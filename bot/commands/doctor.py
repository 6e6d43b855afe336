"""``tactline doctor``: check everything a live run needs; a checklist with the fix for each
failure, exit status 1 if anything failed. No secret is ever printed."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import aiohttp

from bot.config import Config
from bot.golive.checklist import any_failed, render, summary
from bot.golive.doctor import run_checks
from bot.golive.probe import Probe

TIMEOUT = aiohttp.ClientTimeout(total=15)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "doctor", help="check tokens, channels, database, policy, model and resources"
    )
    p.set_defaults(handler=doctor_cmd)


def config_path(args: argparse.Namespace) -> Path | None:
    """The file ``tactline`` read (the same choice as ``bot.cli``)."""
    if args.config is not None:
        return Path(args.config)
    env = os.environ.get("TACTLINE_CONFIG")
    if env:
        return Path(env)
    return Path("config.toml") if Path("config.toml").exists() else None


async def doctor_cmd(args: argparse.Namespace, config: Config) -> int:
    async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
        probe = Probe(config=config, config_path=config_path(args), env=os.environ, http=http)
        results = await run_checks(probe)
    print(render(results))
    print(summary(results))
    return 1 if any_failed(results) else 0
