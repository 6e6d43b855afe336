"""job priority: drafting is its own job, urgent messages first

Every message is classified, routed, carded and checked for alerts at arrival; its draft is
then a job of its own (kind ``draft``). Drafts of urgent messages (legal threats, attacks,
safety) carry priority 1 and are claimed before the others, whenever they arrive.

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


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("priority")
