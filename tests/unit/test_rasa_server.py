"""Which model matches the project files, and the environment Rasa's endpoints read."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.rasa_server import fingerprint, rasa_env
from bot.settings import PROJECT_ROOT, Settings


def _copy_project(target: Path) -> Path:
    for name in ("config.yml", "domain.yml", "requirements"):
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        else:
            shutil.copy(source, target / name)
    shutil.copytree(PROJECT_ROOT / "data", target / "data")
    return target


def test_the_fingerprint_follows_training_data_only(tmp_path: Path) -> None:
    root = _copy_project(tmp_path)
    before = fingerprint(root)
    (root / "README.md").write_text("not a training input")
    assert fingerprint(root) == before
    (root / "data" / "nlu" / "extra.yml").write_text('version: "3.1"\nnlu: []\n')
    assert fingerprint(root) != before


def test_rasa_gets_sqlite_and_an_in_memory_lock_by_default(settings: Settings) -> None:
    env = rasa_env(settings)
    assert env["TRACKER_STORE_URL"].startswith("sqlite:///")
    assert env["LOCK_STORE_TYPE"] == "in_memory"
    assert env["ACTIONS_PORT"] == str(settings.actions_port)


def test_rasa_calls_an_action_again_for_less_time_than_the_gateway_waits(tmp_path: Path) -> None:
    assert rasa_env(Settings(TRIALBOT_VAR_DIR=tmp_path))["ACTION_RETRY_SECONDS"] == "7.5"
    short = Settings(TRIALBOT_VAR_DIR=tmp_path, RASA_TIMEOUT_SECONDS=4)
    assert rasa_env(short)["ACTION_RETRY_SECONDS"] == "2.0"
    chosen = Settings(TRIALBOT_VAR_DIR=tmp_path, ACTION_RETRY_SECONDS=3)
    assert rasa_env(chosen)["ACTION_RETRY_SECONDS"] == "3.0"


def test_redis_url_gives_a_redis_lock_store(tmp_path: Path) -> None:
    settings = Settings(TRIALBOT_VAR_DIR=tmp_path, REDIS_URL="redis://cache:6380/2")
    env = rasa_env(settings)
    assert (env["LOCK_STORE_TYPE"], env["LOCK_STORE_HOST"], env["LOCK_STORE_PORT"]) == (
        "redis",
        "cache",
        "6380",
    )
    assert env["LOCK_STORE_DB"] == "2"
