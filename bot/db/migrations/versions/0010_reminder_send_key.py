"""reminders: the key of the send in progress, and how many sends began

Revision ID: a1c3e5f7b902
Revises: 9e5f7a2c3d14
Create Date: 2026-11-24 02:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a1c3e5f7b902"
down_revision: str | None = "9e5f7a2c3d14"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("send_key", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("sends", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_column("sends")
        batch_op.drop_column("send_key")
