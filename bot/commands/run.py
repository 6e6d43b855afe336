"""``tactline run``: everything config.toml enables, in one process."""

from __future__ import annotations

import argparse
import asyncio

from bot.app import build_app, run_parts
from bot.commands.worker import stop_on_signals
from bot.config import Config
from bot.runtime import serve


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("run", help="listen on the enabled platforms, draft, route and post")
    p.set_defaults(handler=run)


async def run(args: argparse.Namespace, config: Config) -> int:
    parts = run_parts(config)
    async with build_app(config, parts) as app:
        stop = asyncio.Event()
        stop_on_signals(stop)
        if not parts.adapters:
            print("no platform adapter is enabled in config.toml: only queued work runs")
        await serve(app, stop)
    return 0
