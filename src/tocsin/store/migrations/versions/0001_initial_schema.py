"""Initial schema: projects, checks, pings and flips.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite keeps integer microseconds since the epoch (see tocsin.store.tables.UTCDateTime).
Timestamp = sa.DateTime(timezone=True).with_variant(sa.BigInteger(), "sqlite")
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    create_projects()
    create_checks()
    create_pings()
    create_flips()


def create_projects() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("ping_key", sa.String(32), nullable=False),
        sa.Column("created", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_projects"),
        sa.UniqueConstraint("ping_key", name="uq_projects_ping_key"),
    )


def create_checks() -> None:
    op.create_table(
        "checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("token", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100), server_default="", nullable=False),
        sa.Column("slug", sa.String(100), server_default="", nullable=False),
        sa.Column("tags", sa.String(500), server_default="", nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("period", sa.Integer(), nullable=True),
        sa.Column("cron", sa.String(100), nullable=True),
        sa.Column("tz", sa.String(64), server_default="UTC", nullable=False),
        sa.Column("grace", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("last_ping", Timestamp, nullable=True),
        sa.Column("last_start", Timestamp, nullable=True),
        sa.Column("last_start_rid", sa.Uuid(), nullable=True),
        sa.Column("last_duration", sa.Float(), nullable=True),
        sa.Column("alert_after", Timestamp, nullable=True),
        sa.Column("n_pings", sa.Integer(), server_default="0", nullable=False),
        sa.Column("manual_resume", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("methods", sa.String(10), server_default="", nullable=False),
        sa.Column("created", Timestamp, nullable=False),
        sa.Column("updated", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name="fk_checks_project_id_projects",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_checks"),
        sa.UniqueConstraint("token", name="uq_checks_token"),
        sa.UniqueConstraint("uuid", name="uq_checks_uuid"),
    )
    op.create_index("ix_checks_project_slug", "checks", ["project_id", "slug"])
    op.create_index(
        "ix_checks_alert_after",
        "checks",
        ["alert_after"],
        sqlite_where=sa.text("alert_after IS NOT NULL"),
        postgresql_where=sa.text("alert_after IS NOT NULL"),
    )


def create_pings() -> None:
    op.create_table(
        "pings",
        sa.Column("id", BigId, nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("created", Timestamp, nullable=False),
        sa.Column("kind", sa.String(7), nullable=False),
        sa.Column("exit_status", sa.SmallInteger(), nullable=True),
        sa.Column("rid", sa.Uuid(), nullable=True),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("method", sa.String(10), server_default="", nullable=False),
        sa.Column("scheme", sa.String(10), server_default="http", nullable=False),
        sa.Column("remote_addr", sa.String(64), nullable=True),
        sa.Column("ua", sa.String(200), server_default="", nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("body_size", sa.Integer(), server_default="0", nullable=False),
        sa.Column("body_truncated", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["check_id"], ["checks.id"], name="fk_pings_check_id_checks", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_pings"),
    )
    op.create_index("ix_pings_check_n", "pings", ["check_id", "n"])
    op.create_index(
        "ix_pings_run_starts",
        "pings",
        ["check_id", "rid"],
        sqlite_where=sa.text("kind = 'start' AND rid IS NOT NULL"),
        postgresql_where=sa.text("kind = 'start' AND rid IS NOT NULL"),
    )


def create_flips() -> None:
    op.create_table(
        "flips",
        sa.Column("id", BigId, nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("created", Timestamp, nullable=False),
        sa.Column("old_status", sa.String(8), nullable=False),
        sa.Column("new_status", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(200), server_default="", nullable=False),
        sa.Column("processed", Timestamp, nullable=True),
        sa.ForeignKeyConstraint(
            ["check_id"], ["checks.id"], name="fk_flips_check_id_checks", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_flips"),
    )
    op.create_index("ix_flips_check_created", "flips", ["check_id", "created"])
    op.create_index(
        "ix_flips_unprocessed",
        "flips",
        ["id"],
        sqlite_where=sa.text("processed IS NULL"),
        postgresql_where=sa.text("processed IS NULL"),
    )


def downgrade() -> None:
    for table in ("flips", "pings", "checks", "projects"):
        op.drop_table(table)
