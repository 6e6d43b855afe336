"""``tactline worker``: run workers alone (no adapters listening, but they post replies)."""

from __future__ import annotations

import argparse
import asyncio
import signal

from bot.app import open_app
from bot.config import Config
from bot.runtime import build_adapters_for


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("worker", help="process queued messages and deliver approved replies")
    p.add_argument(
        "--exit-when-idle",
        action="store_true",
        help="stop once no job is due (for batch runs and tests)",
    )
    p.set_defaults(handler=run_worker)


def stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def run_worker(args: argparse.Namespace, config: Config) -> int:
    adapters = build_adapters_for(config)
    async with open_app(config, adapters=adapters) as app:
        stop = asyncio.Event()
        stop_on_signals(stop)
        await app.worker.run(stop=stop, exit_when_idle=args.exit_when_idle)
    return 0
