"""0002: duplicate open alerts left by concurrent workers are closed, the newest kept."""

from __future__ import annotations

from sqlalchemy import insert, select

from bot.migrations import upgrade_connection
from bot.store import open_store
from bot.store import schema as t
from bot.store.store import utcnow


async def test_duplicates_are_closed_before_the_unique_index(db_url: str) -> None:
    store = await open_store(db_url)
    try:
        async with store.engine.begin() as conn:
            await conn.run_sync(lambda c: upgrade_connection(c, "0001"))
            now = utcnow()
            for _ in range(3):
                await conn.execute(
                    insert(t.alerts).values(
                        kind="raid",
                        key="discord:#general",
                        status="open",
                        first_at=now,
                        last_at=now,
                        count=1,
                        summary="raid",
                        detail={},
                    )
                )
        await store.upgrade()
        async with store.engine.connect() as conn:
            rows = (await conn.execute(select(t.alerts.c.id, t.alerts.c.status))).all()
    finally:
        await store.aclose()
    newest = max(r.id for r in rows)
    assert {r.id: r.status for r in rows} == {
        r.id: "open" if r.id == newest else "closed" for r in rows
    }
