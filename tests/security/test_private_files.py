"""Whichever command opens an SQLite database first, the file is the owner's alone."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path


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
