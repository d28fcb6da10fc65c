"""side-effect follow-up: the structured record of an adverse event, its seriousness and
reporting deadline, and when staff were last alerted of it

Revision ID: e5a7c9d1f020
Revises: d4f6b8c0e019
Create Date: 2026-12-04 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5a7c9d1f020"
down_revision: str | None = "d4f6b8c0e019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("safety_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("follow_up", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("follow_up_step", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("serious", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("report_due", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("safety_events", schema=None) as batch_op:
        batch_op.drop_column("alerted_at")
        batch_op.drop_column("report_due")
        batch_op.drop_column("serious")
        batch_op.drop_column("follow_up_step")
        batch_op.drop_column("follow_up")
