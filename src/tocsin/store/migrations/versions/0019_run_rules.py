"""Rules on runs on checks: minimum and maximum run duration, minimum interval between
runs, failure and recovery thresholds, and the counters they keep.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-08
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Timestamp = sa.DateTime(timezone=True).with_variant(sa.BigInteger(), "sqlite")


def columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("run_min_duration", sa.Integer(), nullable=True),
        sa.Column("run_max_duration", sa.Integer(), nullable=True),
        sa.Column("run_min_interval", sa.Integer(), nullable=True),
        sa.Column(
            "run_interval_from_starts", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
        sa.Column("failure_threshold", sa.Integer(), server_default="1", nullable=False),
        sa.Column("recovery_threshold", sa.Integer(), server_default="1", nullable=False),
        sa.Column("failure_streak", sa.Integer(), server_default="0", nullable=False),
        sa.Column("success_streak", sa.Integer(), server_default="0", nullable=False),
        sa.Column("missed_due", Timestamp, nullable=True),
        sa.Column("last_run", Timestamp, nullable=True),
    ]


# Added and dropped in place (SQLite has ALTER TABLE ... DROP COLUMN since 3.35): a
# batch would copy the checks table, and dropping the old copy would cascade to
# every row that refers to a check.


def upgrade() -> None:
    for column in columns():
        op.add_column("checks", column)


def downgrade() -> None:
    for column in reversed(columns()):
        op.drop_column("checks", column.name)
