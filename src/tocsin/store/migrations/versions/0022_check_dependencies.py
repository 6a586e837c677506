"""Dependencies between checks: each child's parents (same project), and on incidents
the parent holding a child's incident and when the watcher looks at it again.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite keeps integer microseconds since the epoch (see tocsin.store.tables.UTCDateTime).
Timestamp = sa.DateTime(timezone=True).with_variant(sa.BigInteger(), "sqlite")
RELEASE_SET = sa.text("release_at IS NOT NULL")
HELD = sa.text("held_by IS NOT NULL")


def upgrade() -> None:
    op.create_table(
        "check_dependencies",
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["checks.id"],
            name=op.f("fk_check_dependencies_child_id_checks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["checks.id"],
            name=op.f("fk_check_dependencies_parent_id_checks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("child_id", "parent_id", name=op.f("pk_check_dependencies")),
    )
    op.create_index("ix_check_dependencies_parent_id", "check_dependencies", ["parent_id"])
    op.add_column("incidents", sa.Column("held_by", sa.Integer(), nullable=True))
    op.add_column("incidents", sa.Column("release_at", Timestamp, nullable=True))
    op.create_index(
        "ix_incidents_held_by",
        "incidents",
        ["held_by"],
        sqlite_where=HELD,
        postgresql_where=HELD,
    )
    op.create_index(
        "ix_incidents_release_at",
        "incidents",
        ["release_at"],
        sqlite_where=RELEASE_SET,
        postgresql_where=RELEASE_SET,
    )


def downgrade() -> None:
    op.drop_index("ix_incidents_release_at", table_name="incidents")
    op.drop_index("ix_incidents_held_by", table_name="incidents")
    with op.batch_alter_table("incidents") as batch_op:
        batch_op.drop_column("release_at")
        batch_op.drop_column("held_by")
    op.drop_index("ix_check_dependencies_parent_id", table_name="check_dependencies")
    op.drop_table("check_dependencies")
