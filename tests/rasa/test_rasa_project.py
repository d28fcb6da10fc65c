"""The Rasa project: its files validate and the conversation tests pass in both languages."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot import rasa_server
from bot.settings import PROJECT_ROOT, get_settings


@pytest.fixture(scope="session")
def model() -> Path:
    """The model for the current files (trained here only if `make setup` has not)."""
    return rasa_server.train(get_settings())


def _rasa(*args: str) -> subprocess.CompletedProcess[str]:
    settings = get_settings()
    return subprocess.run(
        [str(rasa_server.rasa_executable(settings)), *args],
        cwd=PROJECT_ROOT,
        env=rasa_server.rasa_env(settings),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_training_data_and_domain_validate() -> None:
    result = _rasa("data", "validate", "--fail-on-warnings")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def test_conversation_tests_pass_in_english_and_french(model: Path, tmp_path: Path) -> None:
    result = _rasa(
        "test", "core",
        "--model", str(model),
        "--stories", str(PROJECT_ROOT / "tests" / "conversations"),
        "--out", str(tmp_path),
        "--fail-on-prediction-errors",
    )  # fmt: skip
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, details or (result.stdout[-4000:] + result.stderr[-4000:])
