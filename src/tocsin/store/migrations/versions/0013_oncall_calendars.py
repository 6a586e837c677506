"""On-call calendars: rotations and their members, overrides, and warnings.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Timestamp = sa.DateTime(timezone=True).with_variant(sa.BigInteger(), "sqlite")
IS_DEFAULT = sa.text("is_default")


def upgrade() -> None:
    op.create_table(
        "oncall_calendars",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("feed_token", sa.String(length=32), nullable=False),
        sa.Column("created", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_oncall_calendars_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_calendars")),
        sa.UniqueConstraint("feed_token", name=op.f("uq_oncall_calendars_feed_token")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_oncall_calendars_project_id_name")),
    )
    op.create_index(
        "ix_oncall_calendars_default",
        "oncall_calendars",
        ["project_id"],
        unique=True,
        sqlite_where=IS_DEFAULT,
        postgresql_where=IS_DEFAULT,
    )
    op.create_table(
        "oncall_rotations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("layer", sa.Integer(), nullable=False),
        sa.Column("first_handoff", Timestamp, nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=5), nullable=False),
        sa.Column("restrict_from", sa.Integer(), nullable=True),
        sa.Column("restrict_to", sa.Integer(), nullable=True),
        sa.Column("restrict_days", sa.Integer(), nullable=True),
        sa.Column("ends", Timestamp, nullable=True),
        sa.Column("created", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["oncall_calendars.id"],
            name=op.f("fk_oncall_rotations_calendar_id_oncall_calendars"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_rotations")),
    )
    op.create_index("ix_oncall_rotations_calendar", "oncall_rotations", ["calendar_id"])
    op.create_table(
        "oncall_members",
        sa.Column("rotation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rotation_id"],
            ["oncall_rotations.id"],
            name=op.f("fk_oncall_members_rotation_id_oncall_rotations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_oncall_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("rotation_id", "position", name=op.f("pk_oncall_members")),
    )
    op.create_index("ix_oncall_members_user", "oncall_members", ["user_id"])
    op.create_table(
        "oncall_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("starts", Timestamp, nullable=False),
        sa.Column("ends", Timestamp, nullable=False),
        sa.Column("created", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["oncall_calendars.id"],
            name=op.f("fk_oncall_overrides_calendar_id_oncall_calendars"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_oncall_overrides_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_overrides")),
    )
    op.create_index("ix_oncall_overrides_calendar", "oncall_overrides", ["calendar_id", "ends"])
    op.create_index("ix_oncall_overrides_user", "oncall_overrides", ["user_id"])
    op.create_table(
        "oncall_warnings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=300), nullable=False),
        sa.Column("created", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["oncall_calendars.id"],
            name=op.f("fk_oncall_warnings_calendar_id_oncall_calendars"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_warnings")),
    )
    op.create_index("ix_oncall_warnings_calendar", "oncall_warnings", ["calendar_id"])


def downgrade() -> None:
    for table in ("oncall_warnings", "oncall_overrides", "oncall_members", "oncall_rotations"):
        op.drop_table(table)
    op.drop_index("ix_oncall_calendars_default", table_name="oncall_calendars")
    op.drop_table("oncall_calendars")
