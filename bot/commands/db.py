"""``tactline db upgrade|current``: database migrations."""

from __future__ import annotations

import argparse

from bot.config import Config
from bot.migrations import head_revision
from bot.redact import safe_url
from bot.store.store import open_store


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("db", help="database migrations")
    dsub = p.add_subparsers(dest="db_command", metavar="ACTION")
    dsub.required = True
    up = dsub.add_parser("upgrade", help="migrate the configured database to the latest schema")
    up.set_defaults(handler=upgrade)
    cur = dsub.add_parser("current", help="show the schema revision of the database")
    cur.set_defaults(handler=current)


async def upgrade(args: argparse.Namespace, config: Config) -> int:
    store = await open_store(config.database_url)
    try:
        before = await store.current_revision()
        await store.upgrade()
        after = await store.current_revision()
    finally:
        await store.aclose()
    shown = safe_url(config.database_url)  # never the password
    if before == after:
        print(f"database {shown} already at revision {after}")
    else:
        print(f"database {shown} migrated from {before or 'empty'} to {after}")
    return 0


async def current(args: argparse.Namespace, config: Config) -> int:
    store = await open_store(config.database_url)
    try:
        rev = await store.current_revision()
    finally:
        await store.aclose()
    head = head_revision()
    hint = "" if rev == head else " - run `tactline db upgrade`"
    shown = safe_url(config.database_url)
    print(f"database {shown}: revision {rev or 'none'} (latest {head}){hint}")
    return 0 if rev == head else 1
