"""check-ins: when staff dealt with one that could not be delivered (the inbox's "Done")

Revision ID: a7c9e1f3b022
Revises: f6b8d0e2a021
Create Date: 2026-12-05 21:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7c9e1f3b022"
down_revision: str | None = "f6b8d0e2a021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_column("reviewed_at")
