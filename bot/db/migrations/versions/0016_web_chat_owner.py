"""the web chat's owner of a conversation: a hash of the browser's or script's signed token

Revision ID: a1c3e5f7b016
Revises: f6b8d0e2a457
Create Date: 2026-12-02 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a1c3e5f7b016"
down_revision: str | None = "f6b8d0e2a457"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("web_owner", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("web_owner")
