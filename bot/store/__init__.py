"""Persistence: SQLAlchemy 2 (async) on SQLite by default, PostgreSQL by URL."""

from bot.store.store import (
    ApprovalOutcome,
    ClaimedJob,
    Store,
    StoredMessage,
    open_store,
)

__all__ = ["ApprovalOutcome", "ClaimedJob", "Store", "StoredMessage", "open_store"]
