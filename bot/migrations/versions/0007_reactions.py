"""reactions and audiences: what members put on our posted replies, and how many members the
channels we posted in had (engagement, amplification and visibility)

Discord, Telegram and Slack tell a bot when someone reacts to a message; the adapters record
those on Tactline's own posted replies, and the member count of the channel where the platform
gives it, so the report's outcomes of a reply are computed from stored data.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("channel_id", sa.String(length=128), nullable=False),
        sa.Column("platform_message_id", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("emoji", sa.String(length=128), nullable=False),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_reactions_outbox_id_outbox")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reactions")),
        sa.UniqueConstraint(
            "platform",
            "channel_id",
            "platform_message_id",
            "user_id",
            "emoji",
            "removed",
            "at",
            name="uq_reactions_event",
        ),
    )
    op.create_index("ix_reactions_outbox", "reactions", ["outbox_id"])
    op.create_table(
        "audiences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("channel_id", sa.String(length=128), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audiences")),
    )
    op.create_index("ix_audiences_channel", "audiences", ["platform", "channel_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_audiences_channel", table_name="audiences")
    op.drop_table("audiences")
    op.drop_index("ix_reactions_outbox", table_name="reactions")
    op.drop_table("reactions")
