"""Better Stack's simple alerting of a heartbeat: the methods the person on call is
reached by, and when the entire team is; and escalation steps that hand an incident
over to another policy.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def flag(name: str) -> sa.Column[bool]:
    return sa.Column(name, sa.Boolean(), server_default=sa.false(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "heartbeat_alerts",
        sa.Column("check_id", sa.Integer(), nullable=False),
        flag("email"),
        flag("sms"),
        flag("call"),
        flag("push"),
        flag("critical_alert"),
        sa.Column("team_wait", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["checks.id"],
            name=op.f("fk_heartbeat_alerts_check_id_checks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("check_id", name=op.f("pk_heartbeat_alerts")),
    )
    op.add_column("policy_step_targets", sa.Column("policy_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("policy_step_targets") as batch_op:
        batch_op.drop_column("policy_id")
    op.drop_table("heartbeat_alerts")
