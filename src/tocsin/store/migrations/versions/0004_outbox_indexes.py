"""The outbox indexed by what the notifier asks: pending rows by when they are due,
claimed rows by when their lease runs out. One index over both answered neither
question without reading every outstanding row.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")
SENDING = sa.text("status = 'sending'")
OUTSTANDING = sa.text("status IN ('pending', 'sending')")


def upgrade() -> None:
    op.drop_index("ix_notifications_due", table_name="notifications")
    op.create_index(
        "ix_notifications_pending",
        "notifications",
        ["next_attempt_at"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.create_index(
        "ix_notifications_leased",
        "notifications",
        ["claimed_until"],
        sqlite_where=SENDING,
        postgresql_where=SENDING,
    )


def downgrade() -> None:
    op.drop_index("ix_notifications_leased", table_name="notifications")
    op.drop_index("ix_notifications_pending", table_name="notifications")
    op.create_index(
        "ix_notifications_due",
        "notifications",
        ["next_attempt_at"],
        sqlite_where=OUTSTANDING,
        postgresql_where=OUTSTANDING,
    )
