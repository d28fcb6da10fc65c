"""`trialbot run` refuses to start on a setting to correct, or on a port another process holds:
one line that names the setting and the fix, exit code 2, nothing started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.localstack import free_port
from bot.settings import PROJECT_ROOT


def _run(tmp_path: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TRIALBOT_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": "",
        "TRACKER_STORE_URL": "",
        "REDIS_URL": "",
        "GATEWAY_PORT": str(free_port()),
        "RASA_PORT": str(free_port()),
        "ACTIONS_PORT": str(free_port()),
        "COLUMNS": "80",  # a narrow terminal must not break the line either
        **settings,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:  # it started the stack instead of refusing
        os.killpg(process.pid, signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def _refused(result: subprocess.CompletedProcess[str], *named: str) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr[-2000:]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr[-2000:]
    assert "starting" not in result.stdout + result.stderr
    for text in named:
        assert text in lines[0]
    return lines[0]


@pytest.fixture
def listening() -> Iterator[int]:
    """A port this test process listens on, as a stranger to the stack."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def test_a_port_in_use_is_refused_naming_the_process_that_holds_it(
    tmp_path: Path, listening: int
) -> None:
    result = _run(tmp_path, ACTIONS_PORT=str(listening))
    line = _refused(result, f"port {listening}", "ACTIONS_PORT", f"pid {os.getpid()}")
    assert "python" in line  # its command, to recognise it by


def test_two_services_on_one_port_are_refused(tmp_path: Path) -> None:
    port = str(free_port())
    _refused(_run(tmp_path, RASA_PORT=port, ACTIONS_PORT=port), "RASA_PORT", "ACTIONS_PORT")


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"GATEWAY_PORT": "eighty"}, ["GATEWAY_PORT", ".env"]),
        ({"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_MODE": "webhook"}, ["PUBLIC_URL"]),
        ({"TRACKER_STORE_URL": "mongo://x"}, ["TRACKER_STORE_URL", "postgresql://"]),
        ({"DATABASE_URL": "postgresql://u:pw@127.0.0.1:9/x"}, ["DATABASE_URL", "u:***@"]),
        ({"REDIS_URL": "localhost:6379"}, ["REDIS_URL", "redis://"]),
        ({"RASA_VENV": "/nowhere"}, ["RASA_VENV", "make setup"]),
        ({"TRIALBOT_KNOWLEDGE_DIR": "/nowhere"}, ["TRIALBOT_KNOWLEDGE_DIR"]),
        ({"GATEWAY_HOST": "192.0.2.1"}, ["GATEWAY_HOST", "127.0.0.1"]),
        ({"ACTION_RETRY_SECONDS": "30"}, ["ACTION_RETRY_SECONDS", "RASA_TIMEOUT_SECONDS"]),
    ],
)
def test_a_bad_setting_is_refused_in_one_line_naming_it(
    tmp_path: Path, settings: dict[str, str], named: list[str]
) -> None:
    line = _refused(_run(tmp_path, **settings), *named)
    assert ":pw@" not in line  # a password in a URL is never shown


def test_an_unreadable_key_file_is_refused_naming_its_setting(tmp_path: Path) -> None:
    (tmp_path / "var" / "secrets" / "data_key").mkdir(parents=True)  # a folder in its place
    _refused(_run(tmp_path), "DATA_ENCRYPTION_KEY", "data_key")
