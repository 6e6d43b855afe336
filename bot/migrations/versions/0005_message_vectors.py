"""message vectors: each message's sentence embedding, kept for grouping messages into topics

Computed once per message with the classifier's encoder and stored (float32 bytes) with the
encoder's name, so `tactline topics` groups thousands of messages without re-encoding them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "message_vectors",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_vectors_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_message_vectors")),
    )


def downgrade() -> None:
    op.drop_table("message_vectors")
