"""``tactline learned``: the label corrections moderators made on the cards ("Not right?"),
and forgetting one (the classifier no longer learns from it)."""

from __future__ import annotations

import argparse

from bot.app import open_database
from bot.config import Config
from bot.store import learned


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("learned", help="label corrections from the cards: list and forget")
    verbs = p.add_subparsers(dest="learned_command", metavar="ACTION")
    verbs.required = True
    verbs.add_parser("list", help="every correction, oldest first").set_defaults(handler=list_cmd)
    forget = verbs.add_parser("forget", help="delete a correction")
    forget.add_argument("id", type=int)
    forget.set_defaults(handler=forget_cmd)


async def list_cmd(args: argparse.Namespace, config: Config) -> int:
    store = await open_database(config)
    try:
        items = await learned.listing(store.db)
    finally:
        await store.aclose()
    if not items:
        print("no corrections yet")
    for item in items:
        c = item.correction
        print(
            f"#{item.id} message #{c.message_id} [{c.language}] {c.field}: {c.previous} → "
            f"{c.value} by {c.author} at {c.at:%Y-%m-%d %H:%M} · {' '.join(c.text.split())[:80]}"
        )
    return 0


async def forget_cmd(args: argparse.Namespace, config: Config) -> int:
    store = await open_database(config)
    try:
        gone = await learned.forget(store.db, [args.id])
    finally:
        await store.aclose()
    print(f"{gone} correction(s) forgotten")
    return 0 if gone else 1
