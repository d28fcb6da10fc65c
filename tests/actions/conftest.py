"""The action server's world in a temporary folder: its own database, settings and cipher."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from actions import common
from bot.db.migrate import upgrade
from bot.db.session import default_sessions
from bot.settings import PROJECT_ROOT, get_settings


@pytest.fixture(autouse=True)
def _database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The actions' own database, settings and cipher, in a temporary folder."""
    monkeypatch.setenv("TRIALBOT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("PSEUDONYM_KEY", "test-key")
    # The embeddings `make setup` computed, as the running action server uses them.
    monkeypatch.setenv("TRIALBOT_CACHE_DIR", str(PROJECT_ROOT / "var" / "cache"))
    caches = (get_settings, default_sessions, common.cipher)
    for cached in caches:
        cached.cache_clear()
    upgrade(get_settings().db_url)
    yield
    for cached in caches:
        cached.cache_clear()
