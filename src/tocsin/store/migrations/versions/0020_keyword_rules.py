"""Keyword rules on checks: Healthchecks' `start_kw`, `success_kw`, `failure_kw` and
`filter_*` settings, and `kw_regex` for regular expressions instead of keywords.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXTS = ("start_kw", "success_kw", "failure_kw")
FLAGS = ("filter_subject", "filter_body", "filter_http_body", "filter_default_fail", "kw_regex")


# Not in batch mode, either way: on SQLite that copies `checks` into a new table and
# drops the old one, whose rows' incidents and pings go with it when foreign keys are
# on. SQLite (3.35 on) and PostgreSQL both add and drop a column in place.
def upgrade() -> None:
    for name in TEXTS:
        op.add_column(
            "checks", sa.Column(name, sa.String(length=200), server_default="", nullable=False)
        )
    for name in FLAGS:
        op.add_column(
            "checks", sa.Column(name, sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    for name in reversed(TEXTS + FLAGS):
        op.drop_column("checks", name)
