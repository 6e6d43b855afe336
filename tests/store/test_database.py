"""The unit of work: what a transaction keeps, what a failure undoes, what a lost database says."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.domain import DraftStatus
from bot.store import Store
from bot.store import schema as t
from bot.store.alerts import AlertStatus
from bot.store.database import Database, StoreError, open_database
from bot.store.jobs import JobKind, JobStatus
from bot.store.messages import MessageStage
from bot.store.outbox import OutboxStatus
from bot.store.values import utcnow
from tests.builders import make_message

AUDIT_LINE = {"at": utcnow(), "message_id": 1, "event": "half", "actor": "test", "detail": {}}


async def texts(db: Database) -> list[str]:
    async with db.read() as conn:
        return list((await conn.execute(select(t.messages.c.text))).scalars().all())


async def test_an_error_inside_a_transaction_undoes_all_of_it(store: Store) -> None:
    assert await store.accept(make_message("kept")) is not None
    with pytest.raises(RuntimeError, match="midway"):
        async with store.db.transaction() as conn:
            await conn.execute(t.messages.update().values(text="changed"))
            await conn.execute(t.audit.insert().values(**AUDIT_LINE))
            raise RuntimeError("midway")
    assert await texts(store.db) == ["kept"]
    assert [e["event"] for e in await store.audit_trail(1)] == ["received"]


async def test_an_unreachable_database_is_a_store_error() -> None:
    # Port 9 (discard) has no PostgreSQL: the connection is refused at once.
    db = open_database("postgresql+psycopg://nobody@127.0.0.1:9/none")
    try:
        with pytest.raises(StoreError, match="database unavailable"):
            async with db.read():
                pass
        with pytest.raises(StoreError, match="database unavailable"):
            async with db.transaction():
                pass
    finally:
        await db.dispose()


def test_a_bad_url_is_a_store_error_without_the_password() -> None:
    with pytest.raises(StoreError, match="bad database url") as caught:
        open_database("nosuchdriver://user:hunter2@host/db")
    assert "hunter2" not in str(caught.value)


def test_the_states_are_the_strings_stored_and_shown() -> None:
    stored: dict[str, str] = {
        JobStatus.READY: "ready",
        JobKind.DELIVER: "deliver",
        OutboxStatus.SENDING: "sending",
        MessageStage.DECIDED: "decided",
        AlertStatus.OPEN: "open",
        DraftStatus.PENDING: "pending",
    }
    for state, text in stored.items():  # equal to the text, and hashed as it
        assert state == text and {text: 1}[state] == 1
    assert f"{JobStatus.DEAD}" == "dead" and str(OutboxStatus.STALE) == "stale"


async def test_the_facade_and_its_database_share_one_engine(store: Store) -> None:
    assert store.db.engine is store.engine
    assert store.is_sqlite == (store.db.dialect == "sqlite")
    mid = await store.accept(make_message())
    assert mid is not None
    assert (await store.status_counts())["messages"] == {MessageStage.RECEIVED: 1}
