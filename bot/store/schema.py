"""Tables. Append-only tables (approvals, audit) are only ever inserted into.

Change a table here, then add an Alembic revision in ``bot/migrations/versions``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite has no time zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use UTC-aware datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)


messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("channel_id", String(128), nullable=False),
    Column("platform_message_id", String(128), nullable=False),
    Column("thread_id", String(128)),
    Column("reply_to_message_id", String(128)),
    Column("channel_name", String(256)),
    Column("author_id", String(128), nullable=False),
    Column("author_name", String(256), nullable=False),
    Column("author_is_bot", Boolean, nullable=False, default=False),
    Column("author_joined_at", UTCDateTime),
    Column("text", Text, nullable=False),
    Column("sent_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("raw", JSON, nullable=False),
    # "received" -> "classified" -> "decided"; the outcome is in action/draft rows
    Column("stage", String(16), nullable=False, default="received"),
    Column("edited_at", UTCDateTime),
    Column("edited_text", Text),
    Column("deleted_at", UTCDateTime),
    # classification
    Column("language", String(8)),
    Column("intent", String(64)),
    Column("sentiment", String(16)),
    Column("toxic", Boolean),
    Column("toxicity", Float),
    Column("flags", JSON),
    Column("confidence", Float),
    Column("classifier", String(128)),
    Column("evidence", Text),  # the sentence of a long message that raised its flag (0004)
    Column("classified_at", UTCDateTime),
    # decision
    Column("action", String(16)),
    Column("group", String(64)),
    Column("strategy", Text),
    Column("policy_version", String(64)),
    Column("matched_rules", JSON),
    Column("urgent", Boolean),
    Column("decided_at", UTCDateTime),
    # A message of a member's burst, shown on and answered by the card of the burst's first
    # message (that message's id) instead of a card of its own (0004).
    Column("joined_to", Integer),
    UniqueConstraint("platform", "channel_id", "platform_message_id"),
    Index("ix_messages_received_at", "received_at"),
    Index("ix_messages_author", "platform", "author_id"),
    Index("ix_messages_thread", "platform", "channel_id", "thread_id"),
    Index("ix_messages_joined_to", "joined_to"),
)

drafts = Table(
    "drafts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("message_id", Integer, ForeignKey("messages.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("text", Text),  # None: the drafter produced nothing safe; a human must write
    Column("status", String(16), nullable=False),
    Column("group", String(64), nullable=False),
    Column("model", String(128), nullable=False, default=""),
    Column("notes", JSON, nullable=False),
    Column("seconds", Float),
    Column("created_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime),
    UniqueConstraint("message_id", "version"),
    Index("ix_drafts_status", "status"),
)

approvals = Table(  # append-only
    "approvals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("draft_id", Integer, ForeignKey("drafts.id"), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("verdict", String(16), nullable=False),
    Column("edited_text", Text),
    Column("reason", Text),
    Column("target_group", String(64)),
    Index("ix_approvals_draft", "draft_id"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("draft_id", Integer, ForeignKey("drafts.id"), nullable=False, unique=True),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("platform", String(16), nullable=False),
    Column("conversation", JSON, nullable=False),
    Column("text", Text, nullable=False),
    # pending -> sending -> sent | failed | stale ; "sending" left behind = unknown outcome
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("receipt", JSON),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
)

audit = Table(  # append-only: message -> classification -> policy -> draft -> edits -> post
    "audit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("message_id", Integer, ForeignKey("messages.id")),
    Column("draft_id", Integer, ForeignKey("drafts.id")),
    Column("event", String(32), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("policy_version", String(64)),
    Column("detail", JSON, nullable=False),
    Index("ix_audit_message", "message_id"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    # "process" (classify, route, card), "draft" (a message's draft), "deliver" (outbox)
    Column("kind", String(16), nullable=False),
    Column("ref_id", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # ready | claimed | done | dead
    Column("attempts", Integer, nullable=False, default=0),
    # Higher first: an urgent message's draft is claimed before the others (0004).
    Column("priority", Integer, nullable=False, default=0, server_default="0"),
    Column("run_after", UTCDateTime, nullable=False),
    Column("claimed_by", String(128)),
    Column("claim_token", String(64)),
    Column("lease_until", UTCDateTime),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    UniqueConstraint("kind", "ref_id"),
    Index("ix_jobs_claim", "status", "run_after"),
)

adapter_health = Table(
    "adapter_health",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("worker", String(128), nullable=False),
    Column("connected", Boolean, nullable=False),
    Column("last_event_at", UTCDateTime),
    Column("last_error", Text),
    Column("updated_at", UTCDateTime, nullable=False),
)

approval_cards = Table(  # where each message's card lives in the approval workspace
    "approval_cards",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("message_id", Integer, ForeignKey("messages.id"), nullable=False),
    Column("draft_id", Integer, ForeignKey("drafts.id")),
    Column("group", String(64), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("ts", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("reminded_at", UTCDateTime),
    UniqueConstraint("message_id", "group"),
    Index("ix_approval_cards_ts", "channel", "ts"),
)

alerts = Table(  # one row per storm/incident; updated as it grows, cooldown by key
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "kind", String(32), nullable=False
    ),  # legal | safety | bad_buzz | raid | adapter_down | backlog
    Column("key", String(256), nullable=False),  # e.g. "discord:#general" or a topic
    Column("status", String(16), nullable=False),  # open | closed
    Column("first_at", UTCDateTime, nullable=False),
    Column("last_at", UTCDateTime, nullable=False),
    Column("count", Integer, nullable=False),
    Column("summary", Text, nullable=False),
    Column("detail", JSON, nullable=False),
    Column("slack_channel", String(64)),
    Column("slack_ts", String(64)),
    Index("ix_alerts_kind_key", "kind", "key", "status"),
    # At most one open alert per (kind, key), even with several workers raising it at once.
    Index(
        "uq_alerts_open",
        "kind",
        "key",
        unique=True,
        sqlite_where=text("status = 'open'"),
        postgresql_where=text("status = 'open'"),
    ),
)

dead_letters = Table(  # platform updates that could not be stored, set aside with the reason
    "dead_letters",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("ref", String(128), nullable=False),  # the platform's id for it (Telegram update id)
    Column("payload", JSON, nullable=False),
    Column("reason", Text, nullable=False),
    Column("tries", Integer, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    UniqueConstraint("platform", "ref"),
)

message_vectors = Table(  # each message's sentence embedding, computed once (topics) (0005)
    "message_vectors",
    metadata,
    Column("message_id", Integer, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("model", String(64), nullable=False),  # the encoder that made it (ENCODER_NAME)
    Column("vector", LargeBinary, nullable=False),  # float32, little-endian
    Column("created_at", UTCDateTime, nullable=False),
)

# -- learning from moderators (0006) ------------------------------------------------------

reply_bank = Table(  # what moderators decided on drafts, kept to teach the next drafts
    "reply_bank",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("approval_id", Integer, ForeignKey("approvals.id"), nullable=False, unique=True),
    Column("message_id", Integer, ForeignKey("messages.id"), nullable=False),
    Column("draft_id", Integer, ForeignKey("drafts.id"), nullable=False),
    # approve | edit | take_over: a reply that was sent; reject: a draft not to write again
    Column("verdict", String(16), nullable=False),
    Column("message_text", Text, nullable=False),
    Column("reply", Text, nullable=False),  # the posted text, or the rejected draft
    Column("reason", Text),  # why it was rejected
    Column("language", String(8), nullable=False),
    Column("intent", String(64), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("policy_version", String(64), nullable=False),
    # {fact id: hash of its text} the reply relies on: used only while they are unchanged
    Column("facts", JSON, nullable=False),
    Column("approver", String(128), nullable=False),
    Column("member_id", String(128), nullable=False),  # who wrote the message answered
    Column("member_name", String(256), nullable=False),
    Column("edited", Boolean, nullable=False),
    Column("model", String(64), nullable=False),  # the encoder of the vectors
    Column("vector", LargeBinary, nullable=False),  # the message's, float32
    Column("reply_vector", LargeBinary),  # a rejected draft's, float32
    Column("at", UTCDateTime, nullable=False),
    Index("ix_reply_bank_language", "language", "verdict"),
)

reply_bank_forgotten = Table(  # approvals an admin made the bank forget: never banked again
    "reply_bank_forgotten",
    metadata,
    Column("approval_id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
)

learned_uses = Table(  # which banked decisions a draft was shown or compared with
    "learned_uses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("draft_id", Integer, ForeignKey("drafts.id"), nullable=False),
    Column("bank_id", Integer, ForeignKey("reply_bank.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),  # example | rejected
    Column("similarity", Float, nullable=False),
    UniqueConstraint("draft_id", "bank_id"),
)

learned_labels = Table(  # a moderator's correction of how a message was read
    "learned_labels",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("message_id", Integer, ForeignKey("messages.id"), nullable=False),
    Column("text", Text, nullable=False),
    Column("language", String(8), nullable=False),
    Column("field", String(16), nullable=False),  # intent | tone
    Column("value", String(64), nullable=False),  # an intent; toxic | not_toxic | sarcastic
    Column("previous", String(64), nullable=False),
    Column("author", String(128), nullable=False),
    Column("policy_version", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_learned_labels_message", "message_id"),
)

# -- outcomes of a reply (0007) ------------------------------------------------------------

reactions = Table(  # reactions members put on our posted replies, as the platform told them
    "reactions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("outbox_id", Integer, ForeignKey("outbox.id"), nullable=False),  # the reply
    Column("platform", String(16), nullable=False),
    Column("channel_id", String(128), nullable=False),
    Column("platform_message_id", String(128), nullable=False),  # our posted message
    Column("user_id", String(128), nullable=False),  # who reacted
    Column("emoji", String(128), nullable=False),  # "👍", a custom emoji's name, a Slack name
    Column("removed", Boolean, nullable=False),  # the reaction was taken back
    Column("at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    UniqueConstraint(
        "platform",
        "channel_id",
        "platform_message_id",
        "user_id",
        "emoji",
        "removed",
        "at",
        name="uq_reactions_event",
    ),
    Index("ix_reactions_outbox", "outbox_id"),
)

audiences = Table(  # how many members a channel had when we posted there, where the platform says
    "audiences",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("channel_id", String(128), nullable=False),  # a thread's id for a reply in a thread
    Column("members", Integer, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_audiences_channel", "platform", "channel_id", "at"),
)
