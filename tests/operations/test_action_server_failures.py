"""How the action server answers Rasa when an action fails: 503 when the database could not be
reached (Rasa calls again, rasa_addons.action_retry), 500 for any other fault (it does not);
neither answer nor the log carries what the person wrote."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.localstack import free_port
from bot.settings import PROJECT_ROOT

TOKEN = "a-test-action-token"
ACTIONS = "tests.operations.unreachable_database"
SERVE = (
    "import sys; from bot import action_server; "
    "action_server.run(sys.argv[1], sys.argv[2], int(sys.argv[3]), 'INFO')"
)


@pytest.fixture
def server() -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    env = {**os.environ, "ACTION_SERVER_WORKERS": "1", "SANIC_HOST": "127.0.0.1"}
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, ACTIONS, TOKEN, str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail(f"the action server did not start: {process.communicate()[0][-2000:]}")
    yield url, process
    process.terminate()
    process.wait(timeout=30)


def _call(url: str, action: str) -> httpx.Response:
    tracker: dict[str, Any] = {
        "sender_id": "someone",
        "slots": {},
        "latest_message": {"text": "I am 52", "intent": {"name": "inform"}, "entities": []},
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    }
    call = {
        "next_action": action,
        "sender_id": "someone",
        "version": "3.6.21",
        "tracker": tracker,
        "domain": {},
    }
    return httpx.post(
        f"{url}/webhook", json=call, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
    )


def test_an_unreachable_database_answers_503_so_that_rasa_calls_again(
    server: tuple[str, subprocess.Popen[str]],
) -> None:
    answer = _call(server[0], "action_database_gone")
    assert answer.status_code == 503
    assert answer.json() == {"error": "The database cannot be reached; call again in a moment."}


def test_any_other_fault_answers_500_without_the_tracker(
    server: tuple[str, subprocess.Popen[str]],
) -> None:
    answer = _call(server[0], "action_broken")
    assert answer.status_code == 500
    assert "52" not in answer.text


def test_the_log_says_the_database_was_unreachable_in_one_line_without_the_words(
    server: tuple[str, subprocess.Popen[str]],
) -> None:
    url, process = server
    _call(url, "action_database_gone")
    process.terminate()
    log = process.communicate(timeout=30)[0]
    assert "could not reach the database (server closed the connection unexpectedly)" in log
    assert "I am 52" not in log
