"""``tactline demo``: a morning of community messages through the real pipeline.

The platforms are in-process fakes (no accounts, no tokens); everything else is real: the
SQLite store, the policy files, the local classifier and drafter, the approval decision and
the outbox. Run in a terminal, it asks you to approve, edit or reject each draft.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import tomllib
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from adapters.fake import FakeAdapter
from bot.app import App, AppParts, build_app
from bot.config import Config
from bot.domain import (
    ApprovalDecision,
    Author,
    ConversationRef,
    Decision,
    DeliveryReceipt,
    Draft,
    InboundMessage,
    Platform,
    Verdict,
)
from bot.store.store import PendingDraft, StoredMessage, utcnow


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="run bundled community messages through the pipeline")
    p.add_argument(
        "--review",
        action="store_true",
        help="only review drafts left pending by an earlier demo run, then post",
    )
    p.add_argument("--limit", type=int, default=None, help="use only the first N messages")
    p.set_defaults(handler=demo)


@dataclass
class DemoChannel:
    """Collects what the approval channel would show, for printing."""

    decisions: dict[int, Decision]
    posted: dict[int, DeliveryReceipt]
    errors: dict[int, str]
    alerts: list[str]

    async def message_decided(self, stored: StoredMessage, decision: Decision) -> None:
        self.decisions[stored.id] = decision
        if decision.urgent:
            c = stored.classification
            print(
                f"  ! ALERT for the {decision.group} approvers: {c.intent if c else '?'} from "
                f"{stored.message.author.name} on {stored.message.platform}",
                flush=True,
            )

    async def burst_grew(self, leader_id: int) -> None:
        return None

    async def drafting_delayed(self, stored: StoredMessage, decision: Decision, note: str) -> None:
        print(f"  ! message {stored.id} waits for its draft: {note}", flush=True)

    async def draft_ready(
        self, stored: StoredMessage, decision: Decision, draft: Draft, notes: tuple[str, ...]
    ) -> None:
        return None

    async def delivery_result(
        self, draft_id: int, receipt: DeliveryReceipt | None, error: str | None
    ) -> None:
        if receipt is not None:
            self.posted[draft_id] = receipt
        elif error:
            self.errors[draft_id] = error

    async def admin_alert(self, text: str) -> None:
        self.alerts.append(text)
        print(f"  ! admin alert: {text}", flush=True)


def load_demo_messages(run_id: str, limit: int | None = None) -> list[InboundMessage]:
    data = tomllib.loads(resources.files("bot").joinpath("demo_messages.toml").read_text("utf-8"))
    now = datetime.now(UTC)
    ids: dict[str, str] = {}
    out = []
    for i, m in enumerate(data["message"][:limit]):
        platform = Platform(m["platform"])
        pmid = f"demo-{run_id}-{i + 1}"
        ids[m["key"]] = pmid
        thread = ids.get(m.get("thread", ""))
        out.append(
            InboundMessage(
                platform=platform,
                platform_message_id=pmid,
                conversation=ConversationRef(
                    platform=platform,
                    channel_id=m["channel"],
                    thread_id=thread,
                    channel_name=m["channel"],
                ),
                author=Author(id=m["author"], name=m["author"]),
                text=m["text"],
                sent_at=now - timedelta(minutes=m["minutes_ago"]),
                raw={"demo": True, **m},
            )
        )
    return out


def _show(stored: StoredMessage, decision: Decision | None, drafts: list[Draft]) -> None:
    m, c = stored.message, stored.classification
    print(f"\n[{m.platform} #{m.conversation.channel_name}] {m.author.name}: {m.text}")
    if c is not None:
        tone = f"{c.sentiment}, toxicity {c.toxicity:.2f}{' (toxic)' if c.toxic else ''}"
        flags = f", flags: {', '.join(sorted(c.flags))}" if c.flags else ""
        print(
            f"  intent: {c.intent} ({c.confidence:.2f}) | tone: {tone} | lang: {c.language}{flags}"
        )
    if decision is not None:
        print(
            f"  action: {decision.action} -> {decision.group}"
            f"{' | auto-send allowed by policy' if decision.auto_send else ''}"
        )
        for r in decision.matched_rules[:4]:
            print(f"    rule {r.rule}: {r.reason}")
    for d in drafts:
        text = d.text if d.text else "(no safe draft: a human writes this reply)"
        print(f"  draft #{d.id} [{d.status}]: {text}")


async def _drain(app: App) -> None:
    """Run every lane until nothing is due (again after the review: ``run`` starts once)."""
    await app.worker.recover()
    await app.worker.drain()


def _ask(prompt: str) -> str:
    try:
        return input(prompt).strip()
    except EOFError:
        return ""


async def _review(app: App, pending: list[PendingDraft]) -> Counter[str]:
    verdicts: Counter[str] = Counter()
    print(f"\n== Review: {len(pending)} drafts await approval ==")
    for p in pending:
        m = p.stored.message
        print(
            f"\n#{p.draft.id} for {m.author.name} on {m.platform} "
            f"#{m.conversation.channel_name} ({p.group}):\n  > {m.text}\n  draft: "
            f"{p.draft.text or '(none)'}"
        )
        choice = await asyncio.to_thread(_ask, "  [a]pprove, [e]dit, [r]eject, [s]kip? ")
        choice = (choice or "s")[0].lower()
        decision: ApprovalDecision | None = None
        now = utcnow()
        if choice == "a" and p.draft.text:
            decision = ApprovalDecision(
                draft_id=p.draft.id, actor="demo:terminal", at=now, verdict=Verdict.APPROVE
            )
        elif choice in ("e", "a"):
            text = await asyncio.to_thread(_ask, "  your reply: ")
            if text:
                decision = ApprovalDecision(
                    draft_id=p.draft.id,
                    actor="demo:terminal",
                    at=now,
                    verdict=Verdict.EDIT,
                    edited_text=text,
                )
        elif choice == "r":
            reason = await asyncio.to_thread(_ask, "  reason: ") or "rejected in demo"
            decision = ApprovalDecision(
                draft_id=p.draft.id,
                actor="demo:terminal",
                at=now,
                verdict=Verdict.REJECT,
                reason=reason,
            )
        if decision is None:
            verdicts["skipped"] += 1
            continue
        outcome = await app.store.decide_draft(decision)
        verdicts[str(decision.verdict)] += 1
        print(f"  -> {outcome.status}" if outcome.applied else f"  -> {outcome.reason}")
    return verdicts


async def demo(args: argparse.Namespace, config: Config) -> int:
    posts_log = config.resolve("var/demo-posts.jsonl")
    posts_log.parent.mkdir(parents=True, exist_ok=True)
    adapters = [FakeAdapter(platform=p, name=f"demo-{p}", log_path=posts_log) for p in Platform]
    channel = DemoChannel(decisions={}, posted={}, errors={}, alerts=[])
    interactive = sys.stdin.isatty()
    print(
        "Loading the policy, the classifier and the drafter "
        f"({config.models.drafter.backend}, {config.models.drafter.model})...",
        flush=True,
    )
    async with build_app(config, AppParts(adapters=adapters, approvals=channel)) as app:
        for a in adapters:
            await a.start(app.sink)
        if args.review:
            return await _review_and_post(app, channel, interactive, posts_log)
        run_id = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        messages = load_demo_messages(run_id, args.limit)
        by_platform = {a.platform: a for a in adapters}
        for m in messages:
            await by_platform[m.platform].inject(m)
        print(
            f"{len(messages)} messages received on "
            f"{', '.join(sorted({str(m.platform) for m in messages}))}; processing...",
            flush=True,
        )
        started = time.perf_counter()
        await _drain(app)
        elapsed = time.perf_counter() - started
        stored_all = await app.store.messages_since(utcnow() - timedelta(hours=1))
        mine = [
            s for s in stored_all if s.message.platform_message_id.startswith(f"demo-{run_id}-")
        ]
        draft_seconds: list[float] = []
        for s in mine:
            drafts = await app.store.drafts_of(s.id)
            _show(s, channel.decisions.get(s.id), drafts)
            draft_seconds += [x for x in await _draft_seconds(app, s.id) if x is not None]
        _summary(mine, channel, elapsed, draft_seconds)
        print(
            "what they were about: tactline topics --since 1d | the report: "
            "tactline report --since 1d --out var/report.html"
        )
        return await _review_and_post(app, channel, interactive, posts_log)


async def _draft_seconds(app: App, message_id: int) -> list[float | None]:
    trail = await app.store.audit_trail(message_id)
    return [e["detail"].get("seconds") for e in trail if e["event"] == "drafted"]


def _summary(
    mine: list[StoredMessage], channel: DemoChannel, elapsed: float, draft_seconds: list[float]
) -> None:
    intents = Counter(s.classification.intent for s in mine if s.classification)
    actions = Counter(s.action for s in mine)
    print("\n== Summary ==")
    print(
        f"messages: {len(mine)} | intents: "
        + ", ".join(f"{k} {v}" for k, v in intents.most_common())
    )
    print(
        "actions: "
        + ", ".join(f"{k} {v}" for k, v in actions.most_common())
        + f" | urgent alerts: {sum(1 for d in channel.decisions.values() if d.urgent)}"
    )
    line = f"pipeline time: {elapsed:.1f}s for {len(mine)} messages"
    if draft_seconds:
        line += (
            f" | drafts: {len(draft_seconds)}, median {statistics.median(draft_seconds):.1f}s"
            f", max {max(draft_seconds):.1f}s"
        )
    print(line)


async def _review_and_post(
    app: App, channel: DemoChannel, interactive: bool, posts_log: Path
) -> int:
    pending = await app.store.pending_drafts()
    if not pending:
        print("\nNo drafts await approval.")
        return 0
    if not interactive:
        print(
            f"\n{len(pending)} drafts await approval (no terminal to ask you). To decide them:\n"
            "  tactline demo --review            # approve / edit / reject each, then post\n"
            "  tactline drafts list              # or one by one:\n"
            "  tactline drafts approve ID | edit ID --text ... | reject ID --reason ..."
        )
        return 0
    verdicts = await _review(app, pending)
    await _drain(app)
    for draft_id, receipt in channel.posted.items():
        print(f"  posted draft #{draft_id} as {', '.join(receipt.platform_message_ids)}")
    for draft_id, error in channel.errors.items():
        print(f"  draft #{draft_id} not posted: {error}")
    print(
        "decisions: "
        + ", ".join(f"{k} {v}" for k, v in verdicts.items())
        + f" | posts recorded in {posts_log}"
    )
    return 0


__all__: list[Any] = ["demo", "load_demo_messages", "register"]
