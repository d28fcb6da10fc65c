"""What the processes leave on disk is the owner's alone: the SQLite files, whichever command
opens them first, and Rasa's logs, which never hold what people wrote in production."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bot.rasa_server import rasa_env
from bot.settings import Settings
from tests.security.test_secrets import PRODUCTION


def test_a_database_first_made_by_db_upgrade_is_readable_by_its_owner_only(
    tmp_path: Path,
) -> None:
    var = tmp_path / "var"
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("TRIALBOT_", "DATA"))
    }
    environment |= {"TRIALBOT_VAR_DIR": str(var), "DATABASE_URL": ""}
    trialbot = Path(sys.executable).parent / "trialbot"
    done = subprocess.run(
        ["sh", "-c", f"umask 022 && exec {trialbot} db upgrade"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    database = var / "trialbot.db"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    for companion in var.glob("trialbot.db-*"):
        assert stat.S_IMODE(companion.stat().st_mode) == 0o600, companion.name


def test_rasa_never_logs_at_debug_in_production(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # At DEBUG, Rasa logs every message and slot: what people wrote would land in the logs.
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    production = Settings(**{"TRIALBOT_VAR_DIR": tmp_path / "var", **PRODUCTION})
    assert rasa_env(production)["LOG_LEVEL"] == "INFO"
    development = Settings(TRIALBOT_VAR_DIR=tmp_path / "var", DATABASE_URL="")
    assert rasa_env(development)["LOG_LEVEL"] == "DEBUG"
