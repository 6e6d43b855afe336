"""``tactline discord invite-url``: the URL that adds the bot to a server, and the intent."""

from __future__ import annotations

import argparse
import os
import sys

from bot.config import Config
from bot.errors import TactlineError
from bot.golive.invite import MESSAGE_CONTENT_ADVICE, PERMISSIONS, client_id_from_token, invite_url


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("discord", help="set up the Discord bot")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True
    inv = verbs.add_parser(
        "invite-url", help="print the OAuth2 URL that adds the bot with the permissions it needs"
    )
    inv.add_argument(
        "--client-id",
        help="the application id (default: read from the bot token in the configured variable)",
    )
    inv.set_defaults(handler=invite_cmd)


def _client_id(given: str | None, config: Config) -> str:
    if given:
        return given
    env = config.adapters.discord.token_env
    found = client_id_from_token(os.environ.get(env, ""))
    if found is None:
        raise TactlineError(
            f"--client-id is required ({env} holds no bot token to read it from): developer "
            "portal > your application > General Information > Application ID"
        )
    return found


async def invite_cmd(args: argparse.Namespace, config: Config) -> int:
    print(invite_url(_client_id(args.client_id, config)))
    print(f"# permissions: {', '.join(PERMISSIONS)}", file=sys.stderr)
    print(f"# and {MESSAGE_CONTENT_ADVICE}", file=sys.stderr)
    return 0
