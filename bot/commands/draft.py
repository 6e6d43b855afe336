"""``tactline draft``: classification, the policy's action and the draft, as the pipeline
would produce them, for JSON Lines on stdin or one ``--text``. Nothing is stored or posted."""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from bot.app import default_classifier_factory, default_drafter, fact_meaning
from bot.config import Config
from bot.domain import Author, ConversationRef, InboundMessage, Platform
from bot.errors import TactlineError
from bot.policy import decide, load_policy
from models.base import ClassifyInput


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("draft", help="classify, decide and draft replies (JSON Lines in/out)")
    p.add_argument("--text", help="draft for this one message instead of reading stdin")
    p.add_argument("--platform", default="discord", choices=[str(x) for x in Platform])
    p.add_argument("--channel", default="general")
    p.set_defaults(handler=draft)


def _parse(line: str, lineno: int, default_platform: str) -> tuple[Any, str, Platform]:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"line {lineno}: not JSON ({exc.msg})") from None
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        raise ValueError(f'line {lineno}: expected an object with a "text" string')
    platform = item.get("platform") or default_platform
    try:
        return item.get("id"), item["text"], Platform(platform)
    except ValueError:
        raise ValueError(f"line {lineno}: unknown platform {platform!r}") from None


async def draft(args: argparse.Namespace, config: Config) -> int:
    policy = load_policy(config.resolve(config.policies.path))
    classifier = default_classifier_factory(config)(policy.intents)
    drafter = default_drafter(config)
    meaning = fact_meaning(policy)
    if args.text is not None:
        lines = [json.dumps({"id": 1, "text": args.text, "platform": args.platform})]
    else:
        lines = [ln for ln in sys.stdin.read().splitlines() if ln.strip()]
    bad = 0
    try:
        for lineno, line in enumerate(lines, 1):
            try:
                item_id, text, platform = _parse(line, lineno, args.platform)
            except ValueError as exc:
                bad += 1
                print(f"tactline draft: {exc}", file=sys.stderr)
                print(json.dumps({"id": None, "line": lineno, "error": str(exc)}), flush=True)
                continue
            [c] = await classifier.classify([ClassifyInput(text=text, platform=platform)])
            message = InboundMessage(
                platform=platform,
                platform_message_id=uuid.uuid4().hex,
                conversation=ConversationRef(
                    platform=platform, channel_id=args.channel, channel_name=args.channel
                ),
                # No name: a made-up one would reach the prompt and the draft's greeting.
                author=Author(id="cli", name=""),
                text=text,
                sent_at=datetime.now(UTC),
            )
            [scores] = await meaning.scores([text])
            decision = decide(policy, message, c, meaning=scores)
            result = await drafter.draft(decision.brief) if decision.brief else None
            out = {
                "id": item_id,
                **c.as_json(),
                "action": str(decision.action),
                "group": decision.group,
                "draft": result.text if result else None,
                "facts": list(decision.brief.fact_ids) if decision.brief else [],
                "facts_used": list(result.facts_used) if result else [],
            }
            if result and result.notes:
                out["notes"] = list(result.notes)
            print(json.dumps(out, ensure_ascii=False), flush=True)
    finally:
        await drafter.aclose()
    if bad:
        raise TactlineError(f"{bad} input line(s) could not be read")
    return 0
