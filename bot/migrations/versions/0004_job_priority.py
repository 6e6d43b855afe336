"""job priority and evidence: drafting is its own job, urgent messages first; the sentence
of a long message that raised its flag is kept

Every message is classified, routed, carded and checked for alerts at arrival; its draft is
then a job of its own (kind ``draft``). Drafts of urgent messages (legal threats, attacks,
safety) carry priority 1 and are claimed before the others, whenever they arrive.

``messages.evidence`` holds the sentence of a long message (read in windows) that raised a
safety, legal, abuse, hate or injection flag its opening lacks: the card quotes it and the
prompt keeps it. ``messages.joined_to``: a message of a member's burst, carded and answered
with the burst's first message.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("evidence", sa.Text(), nullable=True))
        batch.add_column(sa.Column("joined_to", sa.Integer(), nullable=True))
        batch.create_index("ix_messages_joined_to", ["joined_to"])


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_index("ix_messages_joined_to")
        batch.drop_column("joined_to")
        batch.drop_column("evidence")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("priority")
