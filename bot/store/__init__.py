"""Persistence: SQLAlchemy 2 (async) on SQLite by default, PostgreSQL by URL.

``Store`` (bot.store.store) is the facade; the work is done per aggregate: messages, jobs,
drafts, approvals, outbox, audit, health, alerts, traffic, reporting and cards, on one
``Database`` (bot.store.database) that hands out units of work.
"""

from bot.store.store import (
    ApprovalOutcome,
    ClaimedJob,
    Store,
    StoredMessage,
    open_store,
)

__all__ = ["ApprovalOutcome", "ClaimedJob", "Store", "StoredMessage", "open_store"]
