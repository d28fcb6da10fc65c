"""staff alerts claimed with a token, as every outbox is (bot.outbox)

Revision ID: c3e5a7b9d018
Revises: b2d4f6a8c017
Create Date: 2026-12-03 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3e5a7b9d018"
down_revision: str | None = "b2d4f6a8c017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff_alerts") as batch:
        batch.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff_alerts") as batch:
        batch.drop_column("claim_token")
