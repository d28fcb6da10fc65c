"""Shared fixtures: settings in a temporary folder, and databases on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from bot.db.session import create_db_engine, normalise_url, scratch_database
from bot.settings import Settings
from tests.fakes.graph import FakeGraphAPI
from tests.fakes.telegram import FakeBotAPI

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
POSTGRES_REQUIRED = os.environ.get("TRIALBOT_REQUIRE_POSTGRES") == "1"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REDIS_REQUIRED = os.environ.get("TRIALBOT_REQUIRE_REDIS") == "1"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(TRIALBOT_VAR_DIR=tmp_path / "var", DATABASE_URL="", PSEUDONYM_KEY="test-key")


@pytest.fixture
def alerting(tmp_path: Path) -> Settings:
    """Settings where staff are alerted by e-mail (the alerts are queued, not sent, here)."""
    return Settings(
        TRIALBOT_VAR_DIR=tmp_path / "var", DATABASE_URL="", PSEUDONYM_KEY="test-key",
        SMTP_HOST="127.0.0.1", STAFF_EMAILS="safety@site.example",
    )  # fmt: skip


def _postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        engine = create_engine(normalise_url(POSTGRES_URL), connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as error:
        return f"PostgreSQL at {POSTGRES_URL} is unreachable ({type(error).__name__})"


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    reason = _postgres_reachable()
    if reason:
        if POSTGRES_REQUIRED:
            pytest.fail(f"{reason}; TRIALBOT_REQUIRE_POSTGRES=1 makes these tests mandatory")
        pytest.skip(reason)
    return POSTGRES_URL


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis server (tests keep apart by using keys of their own); skipped when unreachable."""
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        client.ping()
        client.close()
    except (redis.RedisError, OSError) as error:
        reason = f"Redis at {REDIS_URL} is unreachable ({type(error).__name__})"
        if REDIS_REQUIRED:
            pytest.fail(f"{reason}; TRIALBOT_REQUIRE_REDIS=1 makes these tests mandatory")
        pytest.skip(reason)
    return REDIS_URL


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    with scratch_database(postgres_admin_url, "trialbot_test") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each engine the product supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'app.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def migrated_engine(database_url: str) -> Iterator[Engine]:
    from bot.db.migrate import upgrade

    upgrade(database_url)
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(migrated_engine: Engine) -> sessionmaker[Session]:
    """Sessions on a migrated database, on each engine; objects stay readable after commit."""
    return sessionmaker(migrated_engine, expire_on_commit=False)


@pytest.fixture
def bot_api() -> Iterator[FakeBotAPI]:
    """A local server playing Telegram's Bot API."""
    with FakeBotAPI() as api:
        yield api


@pytest.fixture
def graph_api() -> Iterator[FakeGraphAPI]:
    """A local server playing the Graph API's Send API."""
    with FakeGraphAPI() as api:
        yield api
