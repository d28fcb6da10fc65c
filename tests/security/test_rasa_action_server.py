"""The action server acts only for Rasa: a forged tracker posted without the shared secret, as
anyone who can reach its port could post one, is refused and changes nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e

VICTIM = "sec-forged-victim"


def _actions_url(stack: Stack) -> str:
    """The stack's action server, found from its process's environment."""
    pid = stack.child_pid("bot actions")
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    variables = dict(item.decode().split("=", 1) for item in environ if b"=" in item)
    return f"http://127.0.0.1:{variables['ACTIONS_PORT']}"


def _forged_erasure() -> dict[str, Any]:
    """What Rasa would send when `VICTIM` has just confirmed that their data must be erased."""
    events = [
        {"event": "slot", "name": "awaiting", "value": "erase"},
        {"event": "user", "text": "yes", "parse_data": {"intent": {"name": "affirm"}}},
    ]
    return {
        "next_action": "action_erase_confirmed",
        "sender_id": VICTIM,
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": VICTIM,
            "slots": {"awaiting": "erase"},
            "latest_message": {"text": "yes", "intent": {"name": "affirm"}, "entities": []},
            "events": events,
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }


def _erasure_requests(stack: Stack) -> list[tuple[Any, ...]]:
    with sqlite3.connect(stack.var_dir / "trialbot.db") as connection:
        query = "SELECT id FROM erasure_requests WHERE sender_key = ?"
        return connection.execute(query, (VICTIM,)).fetchall()


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-the-secret"}, {"Authorization": "not-the-secret"}],
    ids=["no secret", "wrong secret", "wrong scheme"],
)
def test_a_forged_tracker_without_the_shared_secret_is_refused_and_changes_nothing(
    stack: Stack, headers: dict[str, str]
) -> None:
    url = _actions_url(stack)
    answer = httpx.post(f"{url}/webhook", json=_forged_erasure(), headers=headers, timeout=30)
    assert answer.status_code in (401, 403), answer.text
    assert "utter_erase_done" not in answer.text
    assert _erasure_requests(stack) == []
    assert httpx.get(f"{url}/health", timeout=10).status_code == 200  # stays open to probes


def test_a_failing_action_answers_rasa_without_the_tracker_it_was_sent(stack: Stack) -> None:
    """rasa_sdk would send the whole tracker back, and Rasa would log it: the person's words."""
    secret = (stack.var_dir / "secrets" / "action_server_token").read_text().strip()
    call = {
        "next_action": "action_answer_question",
        "sender_id": "sec-failing-action",
        "version": "3.6.21",
        "domain": {"slots": {}},
        "tracker": {
            "sender_id": "sec-failing-action",
            "slots": {},
            "latest_message": "a message no action can read: my zorblatt rash",
            "events": [],
        },
    }
    headers = {"Authorization": f"Bearer {secret}"}
    answer = httpx.post(f"{_actions_url(stack)}/webhook", json=call, headers=headers, timeout=30)
    assert answer.status_code == 500
    assert "zorblatt" not in answer.text and "sec-failing-action" not in answer.text
