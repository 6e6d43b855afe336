"""``tactline run``: everything config.toml enables, in one process."""

from __future__ import annotations

import argparse
import asyncio

from adapters import build_adapters
from bot.app import open_app
from bot.commands.worker import stop_on_signals
from bot.config import Config
from bot.errors import TactlineError
from bot.runtime import serve


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("run", help="listen on the enabled platforms, draft, route and post")
    p.set_defaults(handler=run)


async def run(args: argparse.Namespace, config: Config) -> int:
    adapters = build_adapters(config.adapters)
    approvals = None
    if config.approval.enabled:
        from bot.slack_approval import build_approval_channel

        approvals = build_approval_channel(config)
        if not config.approval.channel:
            raise TactlineError("approval.channel: set the Slack channel id for approval cards")
    async with open_app(config, adapters=adapters, approvals=approvals) as app:
        stop = asyncio.Event()
        stop_on_signals(stop)
        if not adapters:
            print("no platform adapter is enabled in config.toml: only queued work runs")
        extra = []
        if approvals is not None:
            approvals.bind(store=app.store, policy=app.policy.current)
            await approvals.start()
            extra.append(approvals.run_reminders(stop))
        try:
            await serve(app, adapters, stop, extra=extra)
        finally:
            if approvals is not None:
                await approvals.stop()
    return 0
