"""channel addresses, campaigns, button payloads

Revision ID: 8c41d2e07b55
Revises: 3fa91b16d2a7
Create Date: 2026-11-23 16:34:16.559642
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8c41d2e07b55"
down_revision: str | None = "3fa91b16d2a7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "button_payloads",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_button_payloads")),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("campaign", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_conversations_campaign"), ["campaign"], unique=False)

    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_id", sa.String(length=128), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_inbound_messages_conversation_id"), ["conversation_id", "external_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_inbound_messages_conversation_id"), type_="unique")
        batch_op.drop_column("external_id")

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversations_campaign"))
        batch_op.drop_column("campaign")
        batch_op.drop_column("address")

    op.drop_table("button_payloads")
