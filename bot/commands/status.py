"""``tactline status``: the backlog per state and each adapter's health."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from bot.app import open_database
from bot.config import Config
from bot.redact import redact, safe_url
from bot.runtime import STOPPED


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
    for h in health:  # written redacted; redacted again for rows from older versions
        h["last_error"] = redact(h["last_error"]) if h["last_error"] else None
        h["state"] = _state(h)
    if args.json:
        for h in health:
            h["replies_waiting"] = waiting.get(h["name"], 0)
        print(
            json.dumps(
                {
                    "database": safe_url(config.database_url),
                    "backlog": counts,
                    "adapters": health,
                },
                default=str,
                indent=2,
            )
        )
        return 0
    print(f"{'database':9} {safe_url(config.database_url)}")
    for section in ("messages", "jobs", "drafts", "outbox"):
        items = counts.get(section) or {}
        shown = ", ".join(f"{k}: {v}" for k, v in sorted(items.items())) or "none"
        print(f"{section:9} {shown}")
    if not health:
        print("adapters  none reported (is `tactline run` running?)")
    for h in health:
        line = (
            f"adapter   {h['name']}: {h['state']}, last event {_ago(h['last_event_at'])}, "
            f"{waiting.get(h['name'], 0)} replies waiting, "
            f"reported {_ago(h['updated_at'])} by {h['worker']}"
        )
        if h["last_error"] and h["state"] != "stopped":
            line += f", last error: {h['last_error']}"
        print(line)
    return 0


def _state(h: dict[str, Any]) -> str:
    """connected, DOWN, or stopped (``tactline run`` ended cleanly and said so)."""
    if h["connected"]:
        return "connected"
    return "stopped" if h["last_error"] == STOPPED else "DOWN"
