"""``tactline report`` and ``tactline digest``: figures over a period, from the store."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.app import open_database
from bot.commands.policy import parse_since
from bot.config import Config
from bot.reports.metrics import build_report
from bot.reports.render import digest, to_html, write_csv


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("report", help="an HTML report with charts (and CSV tables)")
    p.add_argument("--since", default="30d", help="period: 12h, 7d, 30d… (default 30d)")
    p.add_argument("--out", type=Path, default=Path("report.html"), help="HTML file to write")
    p.add_argument("--csv", type=Path, metavar="DIR", help="also export the tables as CSV")
    p.set_defaults(handler=report)
    d = sub.add_parser("digest", help="the headline figures (what the weekly digest posts)")
    d.add_argument("--since", default="7d")
    d.set_defaults(handler=print_digest)


async def report(args: argparse.Namespace, config: Config) -> int:
    # Whole seconds: the report's topics are sent with a command naming this period exactly.
    until = datetime.now(UTC).replace(microsecond=0)
    since = until - parse_since(args.since)
    store = await open_database(config)
    try:
        r = await build_report(store, since, until)
    finally:
        await store.aclose()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(to_html(r), encoding="utf-8")
    print(f"wrote {args.out} ({r.messages} messages since {since:%Y-%m-%d %H:%M} UTC)")
    if args.csv:
        for path in write_csv(r, args.csv):
            print(f"wrote {path}")
    return 0


async def print_digest(args: argparse.Namespace, config: Config) -> int:
    until = datetime.now(UTC)
    store = await open_database(config)
    try:
        r = await build_report(store, until - parse_since(args.since), until)
    finally:
        await store.aclose()
    sys.stdout.write(digest(r) + "\n")
    return 0
