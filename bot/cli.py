"""``tactline``: the command line. The only place that turns errors into exit codes."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import pkgutil
import sys
from pathlib import Path

import bot.commands
from bot.config import Config, load_config
from bot.errors import TactlineError
from bot.logs import configure_logging
from bot.redact import redact, remember

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tactline",
        description="Listen to a community, draft measured replies, let humans approve them.",
    )
    parser.add_argument(
        "-c",
        "--config",
        type=Path,
        default=None,
        help="config file (default: $TACTLINE_CONFIG, else ./config.toml if present)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for info in sorted(pkgutil.iter_modules(bot.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"bot.commands.{info.name}")
        module.register(sub)
    return parser


def _config_path(arg: Path | None) -> Path | None:
    if arg is not None:
        return arg
    env = os.environ.get("TACTLINE_CONFIG")
    if env:
        return Path(env)
    default = Path("config.toml")
    return default if default.exists() else None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(verbose=args.verbose)  # text until config.toml says otherwise
    json_logs = False
    try:
        config: Config = load_config(_config_path(args.config))
        configure_logging(config.logging, verbose=args.verbose)
        json_logs = config.logging.format == "json"
        for name in config.secret_env_names():
            remember(os.environ.get(name))
        code: int = asyncio.run(args.handler(args, config))
        return code
    except TactlineError as exc:
        if json_logs:  # one JSON object per stderr line, this one too
            logging.getLogger("tactline").error("tactline: error: %s", redact(str(exc)))
        else:
            print(f"tactline: error: {redact(str(exc))}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("tactline: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
