"""The schema comes from Alembic alone, on SQLite and PostgreSQL, and matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from bot.db.migrate import current_revision, downgrade, head_revision, is_up_to_date, upgrade
from bot.db.models import Base
from bot.db.session import create_db_engine


def test_upgrade_creates_every_table_and_marks_the_head(migrated_engine: Engine) -> None:
    tables = set(inspect(migrated_engine).get_table_names())
    assert {"conversations", "inbound_messages", "outbound_messages"} <= tables
    assert is_up_to_date(migrated_engine.url.render_as_string(hide_password=False))


def test_models_and_migrations_agree(migrated_engine: Engine) -> None:
    with migrated_engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_upgrade_twice_is_harmless_and_downgrade_empties(database_url: str) -> None:
    upgrade(database_url)
    upgrade(database_url)
    assert current_revision(database_url) == head_revision()
    downgrade(database_url, "base")
    engine = create_db_engine(database_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
