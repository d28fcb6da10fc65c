"""Talking to the real stack through the web chat's API, in English and French."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e


def _texts(messages: list[dict[str, object]]) -> str:
    return " ".join(str(m.get("text") or "") for m in messages)


def test_health_reports_every_part_up(stack: Stack) -> None:
    response = stack.health()
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "rasa": "up",
        "actions": "up",
        "database": "up",
        "telegram": "up",
        "messenger": "up",
        "whatsapp": "up",
    }


def test_hello_is_answered_in_english_with_a_button_for_french(stack: Stack) -> None:
    messages = stack.chat("e2e-hello", "hello")
    assert "Hello" in _texts(messages)
    buttons = [b for m in messages for b in m.get("buttons", [])]
    assert [b["title"] for b in buttons] == ["Français"]


def test_bonjour_is_answered_in_french(stack: Stack) -> None:
    messages = stack.chat("e2e-bonjour", "bonjour")
    assert "Bonjour" in _texts(messages)
    assert "English" in [b["title"] for m in messages for b in m.get("buttons", [])]


def test_the_language_button_switches_and_the_choice_is_kept(stack: Stack) -> None:
    sender = "e2e-switch"
    greeting = stack.chat(sender, "hi")
    payload = greeting[0]["buttons"][0]["payload"]
    assert "D'accord" in _texts(stack.chat(sender, payload))
    # Even an English message stays answered in French once French was chosen.
    assert "Je vous en prie" in _texts(stack.chat(sender, "thank you so much"))
    database = sqlite3.connect(stack.var_dir / "trialbot.db")
    rows = database.execute("SELECT language, language_source FROM conversations").fetchall()
    assert ("fr", "chosen") in rows


def test_an_emergency_gets_the_emergency_number_in_french(stack: Stack) -> None:
    text = _texts(stack.chat("e2e-urgence", "j'ai une douleur très forte dans la poitrine"))
    assert "112" in text
    assert "urgence" in text


def test_asking_for_french_in_english_switches_to_french(stack: Stack) -> None:
    sender = "e2e-ask-french"
    stack.chat(sender, "hello")
    assert "français" in _texts(stack.chat(sender, "can we speak french please"))


def test_the_web_chat_page_is_served_with_the_emergency_number(stack: Stack) -> None:
    page = httpx.get(f"{stack.url}/", timeout=10)
    assert page.status_code == 200
    assert 'data-emergency="112"' in page.text
    assert '<meta name="viewport"' in page.text


def test_an_empty_message_is_refused_with_a_reason(stack: Stack) -> None:
    response = httpx.post(f"{stack.url}/api/chat", json={"sender": "x", "text": "  "}, timeout=10)
    assert response.status_code == 422
    assert "empty" in response.text


def _terminal_chat(stack: Stack, var_dir: Path, *args: str, typed: str) -> Any:
    env = {
        **os.environ,
        "GATEWAY_PORT": stack.url.rsplit(":", 1)[1],
        "TRIALBOT_VAR_DIR": str(var_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "chat", *args],
        input=typed,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_terminal_chat_talks_through_the_gateway(stack: Stack, tmp_path: Path) -> None:
    result = _terminal_chat(
        stack, tmp_path, "--sender", "e2e-terminal", "--lang", "fr", typed="bonjour\n1\n/quit\n"
    )
    assert result.returncode == 0, result.stderr
    assert "Bonjour" in result.stdout
    assert "[1] English" in result.stdout  # the greeting's button, pressed by typing 1
    assert "I'll speak English" in result.stdout
    # A later run as the same sender goes on with the same conversation (its token was kept).
    again = _terminal_chat(stack, tmp_path, "--sender", "e2e-terminal", typed="hello\n/quit\n")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "assistant" in again.stdout
    # Someone else's terminal (no token) naming that conversation is refused, in plain words.
    stranger = _terminal_chat(
        stack, tmp_path / "other", "--sender", "e2e-terminal", typed="hello\n/quit\n"
    )
    assert stranger.returncode == 1
    assert "new --sender" in stranger.stdout
    assert "Traceback" not in stranger.stdout + stranger.stderr
