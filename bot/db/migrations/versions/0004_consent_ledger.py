"""consent ledger, consent texts, erasure requests, stopped messages

Revision ID: 9a4f1c6e2b80
Revises: 5d0e3b9a7c21
Create Date: 2026-11-23 20:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9a4f1c6e2b80"
down_revision: str | None = "5d0e3b9a7c21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSAL = "consent_ledger is append-only: records are never updated or deleted"


def upgrade() -> None:
    op.create_table(
        "consent_texts",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("consent_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", "version", name=op.f("pk_consent_texts")),
    )
    op.create_table(
        "consent_subjects",
        sa.Column("sender_key", sa.String(length=64), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sender_key", name=op.f("pk_consent_subjects")),
    )
    op.create_table(
        "consent_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("participant", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("consent_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_ledger")),
        sa.UniqueConstraint("seq", name=op.f("uq_consent_ledger_seq")),
    )
    with op.batch_alter_table("consent_ledger", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consent_ledger_participant"), ["participant"], unique=False
        )
    op.create_table(
        "erasure_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_key", sa.String(length=64), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("erased", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_requests")),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("messages_stopped_at", sa.DateTime(timezone=True), nullable=True)
        )
    _append_only()


def _append_only() -> None:
    """Refuse UPDATE and DELETE on the ledger in the database itself."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION consent_ledger_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{REFUSAL}';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER consent_ledger_append_only BEFORE UPDATE OR DELETE ON consent_ledger"
            " FOR EACH ROW EXECUTE FUNCTION consent_ledger_append_only()"
        )
        op.execute(
            "CREATE TRIGGER consent_ledger_no_truncate BEFORE TRUNCATE ON consent_ledger"
            " FOR EACH STATEMENT EXECUTE FUNCTION consent_ledger_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER consent_ledger_no_{event.lower()} BEFORE {event} ON consent_ledger"
                f" BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS consent_ledger_no_truncate ON consent_ledger")
        op.execute("DROP TRIGGER IF EXISTS consent_ledger_append_only ON consent_ledger")
        op.execute("DROP FUNCTION IF EXISTS consent_ledger_append_only()")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("messages_stopped_at")
    op.drop_table("erasure_requests")
    with op.batch_alter_table("consent_ledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_ledger_participant"))
    op.drop_table("consent_ledger")
    op.drop_table("consent_subjects")
    op.drop_table("consent_texts")
