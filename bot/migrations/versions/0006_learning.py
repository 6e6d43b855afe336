"""learning: the reply bank, what an admin made it forget, its use by drafts, label corrections

Every reply a moderator sent (approved, edited, taken over) and every draft they rejected is
banked with its message's embedding; drafts of similar messages are shown the sent ones as
examples and flagged when close to a rejected one. Label corrections from the card teach
the classifier.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reply_bank",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("approval_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("message_text", sa.Text(), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("intent", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("policy_version", sa.String(length=64), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("approver", sa.String(length=128), nullable=False),
        sa.Column("member_id", sa.String(length=128), nullable=False),
        sa.Column("member_name", sa.String(length=256), nullable=False),
        sa.Column("edited", sa.Boolean(), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("reply_vector", sa.LargeBinary(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["approval_id"], ["approvals.id"], name=op.f("fk_reply_bank_approval_id_approvals")
        ),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["drafts.id"], name=op.f("fk_reply_bank_draft_id_drafts")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_reply_bank_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_bank")),
        sa.UniqueConstraint("approval_id", name=op.f("uq_reply_bank_approval_id")),
    )
    op.create_index("ix_reply_bank_language", "reply_bank", ["language", "verdict"])
    op.create_table(
        "reply_bank_forgotten",
        sa.Column("approval_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("approval_id", name=op.f("pk_reply_bank_forgotten")),
    )
    op.create_table(
        "learned_uses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["reply_bank.id"],
            name=op.f("fk_learned_uses_bank_id_reply_bank"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["drafts.id"], name=op.f("fk_learned_uses_draft_id_drafts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learned_uses")),
        sa.UniqueConstraint("draft_id", "bank_id", name=op.f("uq_learned_uses_draft_id_bank_id")),
    )
    op.create_table(
        "learned_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("field", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("previous", sa.String(length=64), nullable=False),
        sa.Column("author", sa.String(length=128), nullable=False),
        sa.Column("policy_version", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_learned_labels_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learned_labels")),
    )
    op.create_index("ix_learned_labels_message", "learned_labels", ["message_id"])


def downgrade() -> None:
    op.drop_index("ix_learned_labels_message", table_name="learned_labels")
    op.drop_table("learned_labels")
    op.drop_table("learned_uses")
    op.drop_table("reply_bank_forgotten")
    op.drop_index("ix_reply_bank_language", table_name="reply_bank")
    op.drop_table("reply_bank")
