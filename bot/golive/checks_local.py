"""Doctor checks of this machine's side: the config is complete, the database is reachable
and at the latest migration, the policy passes."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.errors import PolicyErrors
from bot.golive.checklist import Result, failed, passed, warned
from bot.golive.probe import Probe
from bot.migrations import head_revision
from bot.policy import load_policy
from bot.redact import exception_text, safe_url
from bot.store.store import open_store

DB_UPGRADE = "run `tactline db upgrade` (once, from one machine)"


def _incomplete(probe: Probe) -> list[Result]:
    """What config.toml leaves out that a live run needs."""
    c, found = probe.config, []
    adapters = (c.adapters.discord, c.adapters.telegram, c.adapters.slack)
    if not any(a.enabled for a in adapters):
        fix = "enable one: [adapters.discord], [adapters.telegram] or [adapters.slack] enabled"
        found.append(warned("config platforms", "no community platform is enabled", fix))
    if c.approval.enabled and not c.approval.channel:
        fix = 'set [approval] channel = "C…" (channel details > About, at the bottom)'
        found.append(failed("config approval", "[approval] channel is empty", fix))
    return found


async def config(probe: Probe) -> list[Result]:
    where = str(probe.config_path) if probe.config_path else "no config file: the defaults"
    return [passed("config", f"{where} parses"), *_incomplete(probe)]


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory ones)."""
    if not url.startswith("sqlite"):
        return None
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    return Path(name) if name and name != ":memory:" else None


async def _revision(url: str) -> str | None:
    store = await open_store(url)
    try:
        return await store.current_revision()
    finally:
        await store.aclose()


async def database(probe: Probe) -> list[Result]:
    url = probe.config.database_url
    shown, file = safe_url(url), sqlite_file(url)
    if file is not None and not file.exists():
        return [failed("database", f"{shown}: no database file yet", DB_UPGRADE)]
    try:
        revision = await _revision(url)
    except Exception as exc:  # a driver's errors are many; each means "cannot be read"
        fix = "check [database] url, that the server runs and accepts this user"
        return [failed("database", f"{shown}: cannot be read ({exception_text(exc, [url])})", fix)]
    head = head_revision()
    if revision == head:
        return [passed("database", f"{shown}: reachable, at the latest migration ({head})")]
    state = f"at revision {revision}" if revision else "empty (no schema)"
    return [failed("database", f"{shown}: {state}, the latest is {head}", DB_UPGRADE)]


async def policy(probe: Probe) -> list[Result]:
    directory = probe.config.resolve(probe.config.policies.path)
    try:
        loaded = await asyncio.to_thread(load_policy, directory)
    except PolicyErrors as exc:
        n = len(exc.problems)
        fix = "`tactline policy check` lists every problem (path:line: reason)"
        return [failed("policy", f"{n} problem(s), the first: {exc.problems[0]}", fix)]
    detail = (
        f"{directory}: version {loaded.version}, {len(loaded.groups)} approver groups, "
        f"{len(loaded.rules)} rules"
    )
    notes = [warned("policy note", w) for w in loaded.warnings]
    return [passed("policy", detail), *notes]
