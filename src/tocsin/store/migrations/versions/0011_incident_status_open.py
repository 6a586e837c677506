"""An open incident's status is `open`, the word every interface of Tocsin uses
(`started`, its old word, was also a check's status, meaning a run had begun).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE incidents SET status = 'open' WHERE status = 'started'")


def downgrade() -> None:
    op.execute("UPDATE incidents SET status = 'started' WHERE status = 'open'")
