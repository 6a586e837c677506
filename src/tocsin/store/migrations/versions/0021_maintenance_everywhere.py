"""Maintenance windows of their own (recurring or one-off; a check's, a tag's or a
project's; snoozes of checks among them), and the holds on incidents' escalation.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Timestamp = sa.DateTime(timezone=True).with_variant(sa.BigInteger(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=True),
        sa.Column("tag", sa.String(length=50), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("snooze", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("days", sa.String(length=30), server_default="", nullable=False),
        sa.Column("start_time", sa.Integer(), nullable=True),
        sa.Column("end_time", sa.Integer(), nullable=True),
        sa.Column("tz", sa.String(length=64), server_default="UTC", nullable=False),
        sa.Column("starts_at", Timestamp, nullable=True),
        sa.Column("ends_at", Timestamp, nullable=True),
        sa.Column("created_by", sa.String(length=200), server_default="", nullable=False),
        sa.Column("created", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_maintenance_windows_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["checks.id"],
            name=op.f("fk_maintenance_windows_check_id_checks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_windows")),
    )
    op.create_index("ix_maintenance_windows_project_id", "maintenance_windows", ["project_id"])
    op.create_table(
        "incident_holds",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("held_until", Timestamp, nullable=False),
        sa.Column("reason", sa.String(length=300), server_default="", nullable=False),
        sa.Column("snoozed_by", sa.String(length=200), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_holds_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_incident_holds")),
    )


def downgrade() -> None:
    op.drop_table("incident_holds")
    op.drop_index("ix_maintenance_windows_project_id", table_name="maintenance_windows")
    op.drop_table("maintenance_windows")
