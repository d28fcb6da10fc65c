"""health data encrypted: a screening's reasons and next question, a safety event's category,
the web chat's waiting replies

The columns become text holding Fernet tokens, and what they already hold is encrypted with the
newest configured data key (DATA_ENCRYPTION_KEY, or var/secrets/data_key): `trialbot db upgrade`
and every process that migrates at start read the same settings. A value already encrypted is
left as it is. The downgrade decrypts them back into their former types.

Revision ID: b2d4f6a8c017
Revises: a1c3e5f7b016
Create Date: 2026-12-02 09:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from bot.crypto import Cipher, is_token

revision: str = "b2d4f6a8c017"
down_revision: str | None = "a1c3e5f7b016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, the type it had, whether it held JSON, whether it could be empty)
COLUMNS: tuple[tuple[str, str, sa.types.TypeEngine[Any], bool, bool], ...] = (
    ("screenings", "reasons", sa.JSON(), True, False),
    ("screenings", "next_question", sa.String(length=64), False, True),
    ("safety_events", "category", sa.String(length=32), False, False),
    ("outbound_messages", "body", sa.JSON(), True, False),
)


def upgrade() -> None:
    for name, column, before, _, nullable in COLUMNS:
        with op.batch_alter_table(name) as batch:
            batch.alter_column(
                column,
                existing_type=before,
                type_=sa.Text(),
                existing_nullable=nullable,
                # None until a screening's answers are first evaluated.
                nullable=True if column == "reasons" else nullable,
                postgresql_using=f"{column}::text",
            )
    cipher: Cipher | None = None
    for name, column, _, _, _ in COLUMNS:
        clear = [(key, value) for key, value in _values(name, column) if not is_token(value)]
        if clear:
            cipher = cipher or _cipher()
            _write(name, column, [(key, cipher.encrypt(value)) for key, value in clear])


def downgrade() -> None:
    cipher: Cipher | None = None
    for name, column, _, _, _ in COLUMNS:
        tokens = [(key, value) for key, value in _values(name, column) if is_token(value)]
        if tokens:
            cipher = cipher or _cipher()
            _write(name, column, [(key, cipher.decrypt(value)) for key, value in tokens])
    op.execute("UPDATE screenings SET reasons = '[]' WHERE reasons IS NULL")
    for name, column, before, is_json, nullable in COLUMNS:
        cast = {"postgresql_using": f"{column}::json"} if is_json else {}
        with op.batch_alter_table(name) as batch:
            batch.alter_column(
                column,
                existing_type=sa.Text(),
                type_=before,
                existing_nullable=True if column == "reasons" else nullable,
                nullable=nullable,
                **cast,
            )


def _cipher() -> Cipher:
    """The keys of the settings the application runs with (read only when there is data)."""
    from bot.settings import get_settings

    return Cipher.from_settings(get_settings())


def _values(name: str, column: str) -> list[tuple[int, str]]:
    """(id, value) of every row whose `column` is set."""
    stored = sa.table(name, sa.column("id", sa.Integer()), sa.column(column, sa.Text()))
    query = sa.select(stored.c.id, stored.c[column]).where(stored.c[column].is_not(None))
    return [(key, value) for key, value in op.get_bind().execute(query) if value != ""]


def _write(name: str, column: str, values: list[tuple[int, str]]) -> None:
    """Each row's new value; a JSON value is encrypted as the text it was stored as."""
    stored = sa.table(name, sa.column("id", sa.Integer()), sa.column(column, sa.Text()))
    for key, value in values:
        op.get_bind().execute(stored.update().where(stored.c.id == key).values({column: value}))
