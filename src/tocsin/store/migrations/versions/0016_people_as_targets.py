"""People as alert targets: their contact methods, the targets of escalation steps
beside channels (with the methods and hours a step uses), and notifications to a
person's contact method as well as to a channel.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Timestamp = sa.DateTime(timezone=True).with_variant(sa.BigInteger(), "sqlite")
PENDING = sa.text("status = 'pending'")
SENDING = sa.text("status = 'sending'")
HAS_CONTACT = sa.text("contact_id IS NOT NULL")
# Partial indexes are dropped and made again around the copy SQLite's batch mode
# makes of `notifications`, so their conditions are certain to survive it.
PARTIAL = (
    ("ix_notifications_pending", "next_attempt_at", PENDING),
    ("ix_notifications_leased", "claimed_until", SENDING),
)
STEP_COLUMNS = ("methods", "active_from", "active_to", "active_tz")


def upgrade() -> None:
    create_contact_methods()
    create_step_targets()
    with op.batch_alter_table("policy_steps") as batch_op:
        batch_op.add_column(
            sa.Column("methods", sa.String(length=40), server_default="email,push", nullable=False)
        )
        batch_op.add_column(sa.Column("active_from", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("active_to", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("active_tz", sa.String(length=64), server_default="UTC", nullable=False)
        )
    for name, _column, _where in PARTIAL:
        op.drop_index(name, table_name="notifications")
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.alter_column("channel_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("contact_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("note", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.create_foreign_key(
            op.f("fk_notifications_contact_id_contact_methods"),
            "contact_methods",
            ["contact_id"],
            ["id"],
            ondelete="CASCADE",
        )
    for name, column, where in PARTIAL:
        op.create_index(name, "notifications", [column], sqlite_where=where, postgresql_where=where)
    op.create_index(
        "ix_notifications_contact",
        "notifications",
        ["contact_id"],
        sqlite_where=HAS_CONTACT,
        postgresql_where=HAS_CONTACT,
    )


def create_contact_methods() -> None:
    op.create_table(
        "contact_methods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("verified", Timestamp, nullable=True),
        sa.Column("active_from", sa.Integer(), nullable=True),
        sa.Column("active_to", sa.Integer(), nullable=True),
        sa.Column("active_tz", sa.String(length=64), server_default="UTC", nullable=False),
        sa.Column("last_error", sa.String(length=500), server_default="", nullable=False),
        sa.Column("created", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_contact_methods_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_methods")),
        sa.UniqueConstraint("uuid", name=op.f("uq_contact_methods_uuid")),
        sa.UniqueConstraint(
            "user_id", "kind", "address", name=op.f("uq_contact_methods_user_id_kind_address")
        ),
    )


def create_step_targets() -> None:
    op.create_table(
        "policy_step_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("calendar_id", sa.Integer(), nullable=True),
        sa.Column("user_ids", sa.String(length=1000), server_default="", nullable=False),
        sa.Column("channel_kind", sa.String(length=20), server_default="", nullable=False),
        sa.Column("last_index", sa.Integer(), server_default="-1", nullable=False),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["policy_steps.id"],
            name=op.f("fk_policy_step_targets_step_id_policy_steps"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_policy_step_targets_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_step_targets")),
    )
    op.create_index("ix_policy_step_targets_step", "policy_step_targets", ["step_id", "position"])


def downgrade() -> None:
    op.drop_index("ix_notifications_contact", table_name="notifications")
    for name, _column, _where in PARTIAL:
        op.drop_index(name, table_name="notifications")
    op.execute("DELETE FROM notifications WHERE channel_id IS NULL")
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.drop_constraint(
            op.f("fk_notifications_contact_id_contact_methods"), type_="foreignkey"
        )
        batch_op.drop_column("note")
        batch_op.drop_column("contact_id")
        batch_op.alter_column("channel_id", existing_type=sa.Integer(), nullable=False)
    for name, column, where in PARTIAL:
        op.create_index(name, "notifications", [column], sqlite_where=where, postgresql_where=where)
    with op.batch_alter_table("policy_steps") as batch_op:
        for column in reversed(STEP_COLUMNS):
            batch_op.drop_column(column)
    op.drop_index("ix_policy_step_targets_step", table_name="policy_step_targets")
    op.drop_table("policy_step_targets")
    op.drop_table("contact_methods")
