"""one open alert per (kind, key)

Several workers raising the same alert at once could each open one (and notify twice).
Duplicates already there are closed, keeping the newest, before the index is built.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 10:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        UPDATE alerts SET status = 'closed'
        WHERE status = 'open' AND id NOT IN (
            SELECT max_id FROM (
                SELECT max(id) AS max_id FROM alerts WHERE status = 'open' GROUP BY kind, key
            ) AS newest
        )
        """
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(
            "uq_alerts_open",
            ["kind", "key"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("uq_alerts_open")
