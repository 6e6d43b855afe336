"""``tactline worker``: classify, decide and draft alone, on as many machines as needed.

Replies are posted by ``tactline run``, the process that holds the platform connections."""

from __future__ import annotations

import argparse
import asyncio
import signal

from bot.app import build_app
from bot.config import Config


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "worker", help="classify, decide and draft queued messages (`tactline run` posts)"
    )
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
    async with build_app(config) as app:
        stop = asyncio.Event()
        stop_on_signals(stop)
        await app.worker.run(
            stop=stop, exit_when_idle=args.exit_when_idle, lanes=("process", "draft")
        )
    return 0
