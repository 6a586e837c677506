"""Heartbeat groups (Better Stack's), and each check's group and place in it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Timestamp = sa.DateTime(timezone=True).with_variant(sa.BigInteger(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "heartbeat_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("sort_index", sa.Integer(), nullable=True),
        sa.Column("paused", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created", Timestamp, nullable=False),
        sa.Column("updated", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_heartbeat_groups_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_heartbeat_groups")),
    )
    op.create_table(
        "heartbeat_places",
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("sort_index", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["checks.id"],
            name=op.f("fk_heartbeat_places_check_id_checks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["heartbeat_groups.id"],
            name=op.f("fk_heartbeat_places_group_id_heartbeat_groups"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("check_id", name=op.f("pk_heartbeat_places")),
    )
    op.create_index("ix_heartbeat_places_group_id", "heartbeat_places", ["group_id"])


def downgrade() -> None:
    op.drop_index("ix_heartbeat_places_group_id", "heartbeat_places")
    op.drop_table("heartbeat_places")
    op.drop_table("heartbeat_groups")
