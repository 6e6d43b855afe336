"""``tactline drafts``: approve, edit or reject drafts from a terminal.

The Slack approval channel is the moderators' everyday tool; this is the same decision
(compare-and-set, recorded with its author) for a single operator or a demo.
"""

from __future__ import annotations

import argparse
import getpass

from bot.app import open_database
from bot.config import Config
from bot.domain import ApprovalDecision, Verdict
from bot.store.store import utcnow


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("drafts", help="list and decide drafts awaiting approval")
    dsub = p.add_subparsers(dest="drafts_command", metavar="ACTION")
    dsub.required = True
    ls = dsub.add_parser("list", help="drafts awaiting approval")
    ls.set_defaults(handler=list_drafts)
    for name, verdict in (
        ("approve", Verdict.APPROVE),
        ("edit", Verdict.EDIT),
        ("reject", Verdict.REJECT),
        ("escalate", Verdict.ESCALATE),
    ):
        q = dsub.add_parser(name, help=f"{name} a draft")
        q.add_argument("draft_id", type=int)
        q.add_argument("--as", dest="actor", default=None, help="who decides (default: $USER)")
        if verdict == Verdict.EDIT:
            q.add_argument("--text", required=True, help="the reply to post instead")
        if verdict == Verdict.REJECT:
            q.add_argument("--reason", required=True)
        if verdict == Verdict.ESCALATE:
            q.add_argument("--to", dest="group", required=True, help="approver group")
        q.set_defaults(handler=decide, verdict=verdict)


async def list_drafts(args: argparse.Namespace, config: Config) -> int:
    store = await open_database(config)
    try:
        pending = await store.pending_drafts()
    finally:
        await store.aclose()
    if not pending:
        print("no drafts awaiting approval")
    for p in pending:
        m = p.stored.message
        c = p.stored.classification
        print(
            f"#{p.draft.id} [{p.group}] {m.platform} {m.conversation.channel_name or ''} "
            f"{m.author.name}: {m.text[:200]}"
        )
        if c is not None:
            print(f"    {c.intent} / {c.sentiment}{' / toxic' if c.toxic else ''}")
        print(f"    draft: {p.draft.text or '(none: write the reply with edit)'}")
    return 0


async def decide(args: argparse.Namespace, config: Config) -> int:
    verdict: Verdict = args.verdict
    decision = ApprovalDecision(
        draft_id=args.draft_id,
        actor=f"cli:{args.actor or getpass.getuser()}",
        at=utcnow(),
        verdict=verdict,
        edited_text=getattr(args, "text", None),
        reason=getattr(args, "reason", None),
        target_group=getattr(args, "group", None),
    )
    store = await open_database(config)
    try:
        outcome = await store.decide_draft(decision)
    finally:
        await store.aclose()
    if not outcome.applied:
        print(f"draft {args.draft_id} was not changed: {outcome.reason}")
        return 1
    tail = " (a worker posts it)" if outcome.outbox_id else ""
    print(f"draft {args.draft_id} {outcome.status}{tail}")
    return 0
