"""``tactline policy``: check the files, explain one decision, replay history under an edit.

None of these post anything or change stored messages: they are safe to run next to a live
Tactline, on the same database.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import Config
from bot.domain import (
    Author,
    Classification,
    ConversationRef,
    Decision,
    InboundMessage,
    Platform,
)
from bot.errors import PolicyErrors, TactlineError
from bot.policy import Explanation, Policy, explain, load_policy

if TYPE_CHECKING:
    from bot.store.store import StoredMessage


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("policy", help="check, explain and replay the policy files")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True
    check = verbs.add_parser("check", help="validate the policy files (path:line: reason)")
    check.add_argument("--path", type=Path, help="policy directory (default: from config.toml)")
    check.set_defaults(handler=check_cmd)

    ex = verbs.add_parser("explain", help="show how one message would be handled")
    ex.add_argument("--text", required=True, help="the community message")
    ex.add_argument("--platform", default="discord", choices=[str(x) for x in Platform])
    ex.add_argument("--channel", default="general", help="channel name or id")
    ex.add_argument("--path", type=Path, help="policy directory (default: from config.toml)")
    ex.add_argument("--json", action="store_true", help="machine-readable output")
    ex.set_defaults(handler=explain_cmd)

    rp = verbs.add_parser("replay", help="re-decide stored messages under the current policy")
    rp.add_argument("--since", default="7d", help="how far back: 30m, 12h, 7d, 2w (default 7d)")
    rp.add_argument("--path", type=Path, help="policy directory (default: from config.toml)")
    rp.add_argument(
        "--drafts", action="store_true", help="also draft replies for the changed messages"
    )
    rp.add_argument("--json", action="store_true", help="one JSON line per changed message")
    rp.set_defaults(handler=replay_cmd)

    lp = verbs.add_parser(
        "learned", help="the intent examples moderators taught from the cards, as intents.toml"
    )
    lp.add_argument(
        "--export", type=Path, required=True, metavar="FILE", help="write intents.toml here"
    )
    lp.add_argument("--path", type=Path, help="policy directory (default: from config.toml)")
    lp.set_defaults(handler=learned_cmd)


async def learned_cmd(args: argparse.Namespace, config: Config) -> int:
    """Write the policy's intents with the learned examples merged, for an admin to review
    and copy over policies/intents.toml (nothing else leaves the database)."""
    from bot.app import open_database
    from bot.learning import export_intents
    from bot.store import learned

    policy = _load(args, config)
    store = await open_database(config)
    try:
        taught = await learned.listing(store.db)
    finally:
        await store.aclose()
    args.export.write_text(export_intents(policy, taught), encoding="utf-8")
    print(
        f"{len(taught)} correction(s) written to {args.export}: review, then copy it over "
        f"{policy.directory / 'intents.toml'}"
    )
    return 0


def _load(args: argparse.Namespace, config: Config) -> Policy:
    return load_policy(args.path or config.resolve(config.policies.path))


async def check_cmd(args: argparse.Namespace, config: Config) -> int:
    try:
        policy = _load(args, config)
    except PolicyErrors as errors:
        for problem in errors.problems:
            print(problem)
        n = len(errors.problems)
        print(f"{n} problem{'s' if n != 1 else ''}; the policy was not loaded", file=sys.stderr)
        return 1
    auto = policy.autosend
    for warning in policy.warnings:
        print(f"warning: {warning}")
    print(f"policy {policy.version} OK ({policy.directory})")
    print(
        f"  {len(policy.intents)} intents, {len(policy.rules)} rules, {len(policy.groups)} "
        f"groups, {len(policy.facts)} facts, {len(policy.examples)} example replies"
    )
    print(
        "  autosend: "
        + (
            f"ON for {', '.join(auto.intents)} (max {auto.max_per_channel} per channel per "
            f"{auto.window_seconds}s)"
            if auto.enabled
            else "off (every reply needs approval)"
        )
    )
    return 0


def _message(text: str, platform: str, channel: str) -> InboundMessage:
    p = Platform(platform)
    return InboundMessage(
        platform=p,
        platform_message_id=f"explain-{uuid.uuid4().hex[:8]}",
        conversation=ConversationRef(platform=p, channel_id=channel, channel_name=channel),
        author=Author(id="explain", name="member"),
        text=text,
        sent_at=datetime.now(UTC),
    )


def _explanation_json(
    policy: Policy, c: Classification, ex: Explanation, prompt: str | None
) -> dict[str, Any]:
    d = ex.decision
    return {
        "policy_version": policy.version,
        "classification": c.as_json(),
        "rules": [
            {"rule": v.rule, "matched": v.matched, "applied": v.applied, "reason": v.reason}
            for v in ex.verdicts
        ],
        "decision": {
            "action": str(d.action),
            "group": d.group,
            "urgent": d.urgent,
            "auto_send": d.auto_send,
            "strategy": d.strategy,
            "ticket": d.ticket,
            "matched_rules": [{"rule": m.rule, "reason": m.reason} for m in d.matched_rules],
        },
        "facts": [
            {"id": p.fact.id, "score": p.score, "keywords": list(p.keywords), "meaning": p.meaning}
            for p in ex.facts
        ],
        "answered": d.brief.answered if d.brief else None,
        "prompt": prompt,
    }


def _print_classification(c: Classification) -> None:
    flags = ", ".join(sorted(c.flags)) or "none"
    print(
        f"classification: intent {c.intent} ({c.confidence:.2f}), {c.sentiment}, "
        f"language {c.language}, toxicity {c.toxicity:.2f}{' (toxic)' if c.toxic else ''}, "
        f"flags: {flags}"
    )


def _print_rules(ex: Explanation) -> None:
    print("rules:")
    for v in ex.verdicts:
        mark = "APPLIED" if v.applied else ("matched" if v.matched else "no     ")
        print(f"  [{mark}] {v.rule}: {v.reason}")
    for m in ex.decision.matched_rules:
        if m.rule.startswith(("guarantee:", "autosend", "defaults")):
            print(f"  [{m.rule}] {m.reason}")


def _print_outcome(policy: Policy, d: Decision) -> None:
    group = policy.groups[d.group]
    print(
        f"action: {d.action} → group {d.group} ({group.label or d.group}, "
        f"answer within {group.respond_within_minutes} min)"
        f"{' URGENT' if d.urgent else ''}{' auto-send' if d.auto_send else ''}"
    )
    print(f"strategy: {d.strategy}")


def _print_facts(ex: Explanation) -> None:
    if not ex.facts:
        return
    answered = ex.decision.brief is not None and ex.decision.brief.answered
    print("facts picked:")
    for i, p in enumerate(ex.facts):
        answers = " (answers the message)" if i == 0 and answered else ""
        print(f"  {p.fact.id}  score {p.score}: {p.why}{answers}")


def _print_prompt(prompt: str | None) -> None:
    if prompt is None:
        print("prompt: none (no draft for this action)")
        return
    print("prompt the drafter would get:")
    for line in prompt.splitlines():
        print("  | " + line)


def _print_explanation(
    policy: Policy, c: Classification, ex: Explanation, prompt: str | None
) -> None:
    print(f"policy {policy.version}")
    _print_classification(c)
    _print_rules(ex)
    _print_outcome(policy, ex.decision)
    _print_facts(ex)
    if ex.decision.ticket:
        print(f"ticket: {ex.decision.ticket}")
    _print_prompt(prompt)


async def explain_cmd(args: argparse.Namespace, config: Config) -> int:
    from bot.app import default_classifier_factory, fact_meaning
    from models.base import ClassifyInput
    from models.prompt import render_prompt

    policy = _load(args, config)
    message = _message(args.text, args.platform, args.channel)
    classifier = default_classifier_factory(config)(policy.intents)
    [c] = await classifier.classify([ClassifyInput(text=message.text, platform=message.platform)])
    [scores] = await fact_meaning(policy).scores([message.text])
    ex = explain(policy, message, c, meaning=scores)
    brief = ex.decision.brief
    prompt = render_prompt(brief) if brief is not None else None
    if args.json:
        print(json.dumps(_explanation_json(policy, c, ex, prompt), ensure_ascii=False, indent=2))
    else:
        _print_explanation(policy, c, ex, prompt)
    return 0


_DURATION = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")


def parse_since(value: str) -> timedelta:
    m = _DURATION.match(value)
    if not m:
        raise TactlineError(f"--since {value!r}: use a number and a unit, e.g. 30m, 12h, 7d, 2w")
    n, unit = int(m.group(1)), m.group(2)
    return timedelta(**{{"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[unit]: n})


def _change_row(stored: StoredMessage, d: Decision) -> dict[str, Any] | None:
    """What the decision changes for a stored message (action or group), or None."""
    before = (stored.action, stored.group)
    after = (str(d.action), d.group)
    if before == after:
        return None
    ref = stored.message.conversation
    return {
        "message_id": stored.id,
        "where": f"{ref.platform}/{ref.channel_name or ref.channel_id}",
        "text": stored.message.text,
        "intent": stored.classification.intent if stored.classification else None,
        "before": {
            "action": before[0],
            "group": before[1],
            "policy_version": stored.policy_version,
            "rules": [r["rule"] for r in stored.matched_rules],
        },
        "after": {
            "action": after[0],
            "group": after[1],
            "rules": [m.rule for m in d.matched_rules],
        },
    }


def _print_change(row: dict[str, Any]) -> None:
    b, a = row["before"], row["after"]
    excerpt = " ".join(row["text"].split())
    excerpt = excerpt[:77] + "…" if len(excerpt) > 78 else excerpt
    print(f"#{row['message_id']} {row['where']} [{row['intent']}] {excerpt}")
    print(
        f"    {b['action'] or '-'}/{b['group'] or '-'} ({', '.join(b['rules']) or '-'})"
        f"  →  {a['action']}/{a['group']} ({', '.join(a['rules'])})"
    )
    if "draft" in row:
        print(f"    draft: {row['draft'] or '(none passed the checks)'}")


async def replay_cmd(args: argparse.Namespace, config: Config) -> int:
    from bot.app import default_drafter, fact_meaning, open_database
    from bot.policy import decide

    since = parse_since(args.since)
    policy = _load(args, config)
    store = await open_database(config)
    drafter = default_drafter(config) if args.drafts else None
    meaning = fact_meaning(policy) if args.drafts else None
    changed: list[dict[str, Any]] = []
    total = undecided = 0
    try:
        for stored in await store.messages_since(datetime.now(UTC) - since):
            if stored.classification is None:
                undecided += 1
                continue
            total += 1
            context = await store.context_for(stored.id)
            d = decide(policy, stored.message, stored.classification, context=context)
            row = _change_row(stored, d)
            if row is None:
                continue
            if drafter is not None and meaning is not None and d.brief is not None:
                [scores] = await meaning.scores([stored.message.text])
                d = decide(
                    policy, stored.message, stored.classification, context=context, meaning=scores
                )
                assert d.brief is not None
                result = await drafter.draft(d.brief)
                row["draft"] = result.text
                row["notes"] = list(result.notes)
            changed.append(row)
    finally:
        if drafter is not None:
            await drafter.aclose()
        await store.aclose()
    for row in changed:
        if args.json:
            print(json.dumps(row, ensure_ascii=False, default=str))
        else:
            _print_change(row)
    print(
        f"replayed {total} message(s) since {args.since} under policy {policy.version}: "
        f"{len(changed)} would change, {total - len(changed)} unchanged"
        + (f", {undecided} not yet classified (skipped)" if undecided else "")
        + ". Nothing was posted or stored.",
        file=sys.stderr if args.json else sys.stdout,
    )
    return 0
