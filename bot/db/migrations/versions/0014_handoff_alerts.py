"""staff alerts of handoffs: an alert points at a safety event or at a handoff

Revision ID: e5a7c9d1f346
Revises: d4f6b8c0e235
Create Date: 2026-11-24 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5a7c9d1f346"
down_revision: str | None = "d4f6b8c0e235"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff_alerts", schema=None) as batch_op:
        batch_op.alter_column("event_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("handoff_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_staff_alerts_handoff_id_handoffs"),
            "handoffs",
            ["handoff_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(
            batch_op.f("ix_staff_alerts_handoff_id"), ["handoff_id"], unique=False
        )


def downgrade() -> None:
    op.execute("DELETE FROM staff_alerts WHERE event_id IS NULL")
    with op.batch_alter_table("staff_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_alerts_handoff_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_staff_alerts_handoff_id_handoffs"), type_="foreignkey"
        )
        batch_op.drop_column("handoff_id")
        batch_op.alter_column("event_id", existing_type=sa.Integer(), nullable=False)
