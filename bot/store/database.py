"""The database: one engine per process, units of work on it, and how a database is opened.

``Database.transaction()`` is one unit of work (committed on leaving, rolled back on an
error); ``Database.read()`` a plain connection for reads. A database that cannot be reached
raises :class:`StoreError` on entering either. Aggregate modules (messages, jobs, drafts, …)
take a ``Database`` for a write of their own, or an open ``AsyncConnection`` for a write that
is one step of a larger unit of work.
"""

from __future__ import annotations

import contextlib
import os
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.errors import TactlineError
from bot.redact import redact, safe_url


class StoreError(TactlineError):
    """The database could not be reached or refused an operation."""


class NotFound(StoreError):
    """What was asked for is not (or no longer) in the store."""


class _Guarded(AbstractAsyncContextManager[AsyncConnection]):
    """A connection context whose connection failures become a clear StoreError."""

    def __init__(self, cm: AbstractAsyncContextManager[AsyncConnection]) -> None:
        self._cm = cm

    async def __aenter__(self) -> AsyncConnection:
        try:
            return await self._cm.__aenter__()
        except (DBAPIError, OSError) as exc:
            raise StoreError(f"database unavailable: {exc.__class__.__name__}: {exc}") from exc

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        return await self._cm.__aexit__(exc_type, exc, tb)


class Database:
    """Owns the engine; hands out units of work."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def transaction(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """One unit of work: committed on leaving the block, rolled back on an error."""
        return _Guarded(self.engine.begin())

    def read(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A connection for reads (nothing it does is committed)."""
        return _Guarded(self.engine.connect())

    async def dispose(self) -> None:
        await self.engine.dispose()


def insert(conn: AsyncConnection, table: Table) -> Any:
    """An INSERT of the connection's dialect, for ``on_conflict_do_nothing/do_update``."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _create_private(database: str | None) -> None:
    """Create a new SQLite file readable by its owner only (0600): it holds every message.
    SQLite gives its -wal and -shm files the same mode. An existing file is left as it is."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    with contextlib.suppress(FileExistsError, FileNotFoundError):  # no folder: SQLite says so
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def open_database(url: str) -> Database:
    """The database at ``url``; a new SQLite file is created private (0600), with WAL."""
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs.update(pool_pre_ping=True, pool_size=5, max_overflow=5)
    try:
        engine = create_async_engine(url, **kwargs)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        shown = safe_url(url)
        raise StoreError(f"bad database url {shown!r}: {redact(str(exc), [url])}") from exc
    if engine.dialect.name == "sqlite":
        _create_private(engine.url.database)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return Database(engine)
