"""``tactline slack manifest``: print the Slack app manifest Tactline needs."""

from __future__ import annotations

import argparse
import sys
from typing import cast

from bot.config import Config
from bot.golive.manifest import APPS, AppName, Mode, build_manifest, to_yaml


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("slack", help="set up the Slack apps (approval, community)")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True
    m = verbs.add_parser(
        "manifest",
        help="print the app manifest (YAML) for Slack's 'Create an app > From a manifest'",
    )
    m.add_argument("--app", choices=sorted(APPS), required=True, help="which Slack app")
    m.add_argument(
        "--mode",
        choices=("socket", "http"),
        default=None,
        help="Socket Mode or signed HTTP requests (default: the mode config.toml sets)",
    )
    m.add_argument("--url", help="http mode: the public https:// address of Tactline")
    m.set_defaults(handler=manifest_cmd)


def configured_mode(app: AppName, config: Config) -> Mode:
    """The mode config.toml sets for ``app`` (the community adapter's default is http)."""
    if app == "approval":
        return config.approval.mode
    return "socket" if config.adapters.slack.mode == "socket" else "http"


def next_steps(app: AppName, mode: Mode, config: Config) -> list[str]:
    """What to do once the app exists, naming the variables config.toml reads."""
    if app == "approval":
        bot_env, app_env, signing_env = (
            config.approval.bot_token_env,
            config.approval.app_token_env,
            config.approval.signing_secret_env,
        )
    else:
        c = config.adapters.slack
        bot_env = c.token_env
        app_env = c.app_token_env or "TACTLINE_SLACK_COMMUNITY_APP_TOKEN"
        signing_env = c.signing_secret_env or "TACTLINE_SLACK_COMMUNITY_SIGNING_SECRET"
    steps = [
        "create the app at https://api.slack.com/apps > Create New App > From a manifest",
        f"install it to the workspace; put the Bot User OAuth Token (xoxb-…) in {bot_env}",
    ]
    if mode == "socket":
        steps.append(
            "Basic Information > App-Level Tokens: generate one with the scope "
            f"connections:write; put it (xapp-…) in {app_env}"
        )
    else:
        steps.append(f"Basic Information > Signing Secret: put it in {signing_env}")
    where = "the approval channel" if app == "approval" else "each channel to listen to"
    steps.append(f"invite the bot to {where} (/invite @{APPS[app].handle})")
    steps.append("check with `tactline doctor`")
    return steps


async def manifest_cmd(args: argparse.Namespace, config: Config) -> int:
    app = cast(AppName, args.app)
    mode = cast(Mode, args.mode or configured_mode(app, config))
    print(to_yaml(build_manifest(app, mode, args.url)), end="")
    for i, step in enumerate(next_steps(app, mode, config), 1):
        print(f"# {i}. {step}", file=sys.stderr)
    return 0
