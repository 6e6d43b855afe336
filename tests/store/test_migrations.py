"""The Alembic migrations produce exactly the tables the code declares."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bot.migrations import head_revision
from bot.store import open_store
from bot.store.schema import metadata


async def test_migrated_database_matches_the_declared_schema(db_url: str) -> None:
    store = await open_store(db_url, upgrade=True)
    try:
        assert await store.current_revision() == head_revision()
        async with store.engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), metadata)
            )
        assert diff == []
    finally:
        await store.aclose()


async def test_upgrade_twice_is_a_no_op(db_url: str) -> None:
    store = await open_store(db_url, upgrade=True)
    try:
        await store.upgrade()
        assert await store.current_revision() == head_revision()
    finally:
        await store.aclose()
