"""``tactline status``: the backlog per state and each adapter's health."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from bot.app import open_database
from bot.config import Config


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("status", help="backlog per state and adapter health")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=status)


def _ago(at: datetime | None) -> str:
    if at is None:
        return "never"
    seconds = (datetime.now(UTC) - at).total_seconds()
    return f"{seconds:.0f}s ago" if seconds < 120 else f"{seconds / 60:.0f}m ago"


async def status(args: argparse.Namespace, config: Config) -> int:
    store = await open_database(config)
    try:
        counts = await store.status_counts()
        health = await store.health_rows()
        waiting = await store.outbox_backlog()
    finally:
        await store.aclose()
    if args.json:
        for h in health:
            h["replies_waiting"] = waiting.get(h["name"], 0)
        print(json.dumps({"backlog": counts, "adapters": health}, default=str, indent=2))
        return 0
    for section in ("messages", "jobs", "drafts", "outbox"):
        items = counts.get(section) or {}
        shown = ", ".join(f"{k}: {v}" for k, v in sorted(items.items())) or "none"
        print(f"{section:9} {shown}")
    if not health:
        print("adapters  none reported (is `tactline run` running?)")
    for h in health:
        state = "connected" if h["connected"] else "DOWN"
        line = (
            f"adapter   {h['name']}: {state}, last event {_ago(h['last_event_at'])}, "
            f"{waiting.get(h['name'], 0)} replies waiting, "
            f"reported {_ago(h['updated_at'])} by {h['worker']}"
        )
        if h["last_error"]:
            line += f", last error: {h['last_error']}"
        print(line)
    return 0
