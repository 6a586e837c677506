"""Daily maintenance windows on checks (Better Stack's maintenance_* fields).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("maintenance_days", "maintenance_from", "maintenance_to", "maintenance_tz")


def upgrade() -> None:
    with op.batch_alter_table("checks") as batch_op:
        batch_op.add_column(
            sa.Column("maintenance_days", sa.String(length=30), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("maintenance_from", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("maintenance_to", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("maintenance_tz", sa.String(length=64), server_default="UTC", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("checks") as batch_op:
        for column in reversed(COLUMNS):
            batch_op.drop_column(column)
