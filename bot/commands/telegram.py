"""``tactline telegram check``: can the bot read group messages, is the webhook as configured."""

from __future__ import annotations

import argparse
import os

import aiohttp

from bot.config import Config
from bot.golive.checklist import any_failed, render
from bot.golive.telegram_check import missing_token, telegram_results
from bot.redact import remember

TIMEOUT = aiohttp.ClientTimeout(total=15)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("telegram", help="set up the Telegram bot")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True
    check = verbs.add_parser(
        "check", help="privacy mode (can the bot read group messages?) and the webhook"
    )
    check.set_defaults(handler=check_cmd)


async def check_cmd(args: argparse.Namespace, config: Config) -> int:
    tc = config.adapters.telegram
    token = os.environ.get(tc.token_env, "")
    if not token:
        results = [missing_token(tc)]
    else:
        remember(token)
        async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
            results = await telegram_results(http, tc, token)
    print(render(results, (token,)))
    return 1 if any_failed(results) else 0
