"""``tactline replies``: what the reply bank learned from moderators' decisions (sent replies
and rejected drafts), one entry in full, and forgetting it (by entry, member or moderator)."""

from __future__ import annotations

import argparse

from bot.app import open_database
from bot.config import Config
from bot.learning import ReplyBank
from bot.policy import load_policy
from bot.store import replies
from bot.store.replies import Banked
from bot.store.store import Store


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("replies", help="the reply bank: list, show and forget what it learned")
    verbs = p.add_subparsers(dest="replies_command", metavar="ACTION")
    verbs.required = True
    ls = verbs.add_parser("list", help="the newest banked replies and rejected drafts")
    ls.add_argument("--limit", type=int, default=50)
    ls.set_defaults(handler=list_cmd)
    show = verbs.add_parser("show", help="one banked entry in full")
    show.add_argument("id", type=int)
    show.set_defaults(handler=show_cmd)
    forget = verbs.add_parser("forget", help="delete banked entries; never banked again")
    forget.add_argument("id", type=int, nargs="?", help="the entry's id")
    forget.add_argument(
        "--author",
        help="everything learned from this member's messages (id or name), or "
        "approved by this moderator",
    )
    forget.set_defaults(handler=forget_cmd)


async def _catch_up(store: Store, config: Config) -> None:
    """Bank the decisions made since the last draft, so the list is current."""
    from models.encoder import ENCODER_NAME, shared_encoder

    bank = ReplyBank(db=store.db, encoder=shared_encoder(), model=ENCODER_NAME)
    await bank.catch_up(load_policy(config.resolve(config.policies.path)))


def _line(b: Banked) -> str:
    what = "rejected" if b.verdict == str(replies.REJECTED) else b.verdict
    return (
        f"#{b.id} [{b.language}/{b.intent}] {what} by {b.approver} · "
        f"{' '.join(b.message_text.split())[:70]} → {' '.join(b.reply.split())[:70]}"
    )


async def list_cmd(args: argparse.Namespace, config: Config) -> int:
    store = await open_database(config)
    try:
        await _catch_up(store, config)
        banked = await replies.listing(store.db, limit=args.limit)
    finally:
        await store.aclose()
    if not banked:
        print("the reply bank is empty: nothing was posted or rejected yet")
    for b in banked:
        print(_line(b))
    return 0


async def show_cmd(args: argparse.Namespace, config: Config) -> int:
    store = await open_database(config)
    try:
        b = await replies.one(store.db, args.id)
        used = await replies.times_used(store.db, args.id) if b else 0
    finally:
        await store.aclose()
    if b is None:
        print(f"no banked entry #{args.id}")
        return 1
    print(_line(b))
    print(f"  message #{b.message_id} ({b.platform}) from {b.member_name} ({b.member_id})")
    print(f"  message: {b.message_text}")
    print(
        f"  {'rejected draft' if b.reason is not None or b.verdict == 'reject' else 'reply'}: "
        f"{b.reply}"
    )
    if b.reason:
        print(f"  reason: {b.reason}")
    print(
        f"  edited: {'yes' if b.edited else 'no'} · policy {b.policy_version} · "
        f"at {b.at:%Y-%m-%d %H:%M}"
    )
    print(f"  relies on facts: {', '.join(sorted(b.facts)) or 'none'} · used by {used} draft(s)")
    return 0


async def forget_cmd(args: argparse.Namespace, config: Config) -> int:
    if (args.id is None) == (args.author is None):
        print("give an entry id, or --author (not both)")
        return 2
    store = await open_database(config)
    try:
        if args.author is not None:
            # A member's data removal covers a decision made since the last draft too.
            await _catch_up(store, config)
            gone = await replies.forget_author(store.db, args.author)
        else:
            gone = await replies.forget(store.db, [args.id])
    finally:
        await store.aclose()
    print(f"{gone} banked entr{'y' if gone == 1 else 'ies'} forgotten (and their use by drafts)")
    return 0 if gone or args.author is not None else 1
