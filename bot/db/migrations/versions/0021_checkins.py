"""check-ins: each participant's scheduled check-ins, sent through the outbox, and their
answers (encrypted)

Revision ID: f6b8d0e2a021
Revises: e5a7c9d1f020
Create Date: 2026-12-04 22:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f6b8d0e2a021"
down_revision: str | None = "e5a7c9d1f020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUS = sa.Enum(
    "scheduled", "sent", "answered", "missed", "failed", "cancelled",
    name="checkinstatus", native_enum=False, length=16,
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("trial", sa.String(length=64), nullable=False),
        sa.Column("checkin", sa.String(length=64), nullable=False),
        sa.Column("occasion", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", _STATUS, nullable=False),
        sa.Column("step", sa.String(length=64), nullable=True),
        sa.Column("asked_again", sa.Boolean(), nullable=False),
        sa.Column("answers", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("safety_event_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("cancel_reason", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("send_key", sa.String(length=32), nullable=True),
        sa.Column("sends", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_checkins_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["safety_event_id"],
            ["safety_events.id"],
            name=op.f("fk_checkins_safety_event_id_safety_events"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
        sa.UniqueConstraint(
            "participant_id",
            "checkin",
            "occasion",
            name=op.f("uq_checkins_participant_id"),
        ),
    )
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index("ix_checkins_status_due_at", ["status", "due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_checkins_participant_id"), ["participant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkins_participant_id"))
        batch_op.drop_index("ix_checkins_status_due_at")
    op.drop_table("checkins")
