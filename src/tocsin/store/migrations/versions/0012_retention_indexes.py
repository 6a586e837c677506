"""Indexes for retention: the oldest flips, notifications, resolved incidents and
expired sessions found without reading the rest (store.retention).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_flips_created", "flips", "created"),
    ("ix_incidents_resolved_at", "incidents", "resolved_at"),
    ("ix_notifications_created", "notifications", "created"),
    ("ix_web_sessions_expires", "web_sessions", "expires"),
)


def upgrade() -> None:
    for name, table, column in INDEXES:
        op.create_index(name, table, [column])


def downgrade() -> None:
    for name, table, _column in INDEXES:
        op.drop_index(name, table_name=table)
