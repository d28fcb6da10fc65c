"""The same conversation (a greeting, a question, a button tap) on Telegram, Messenger and the
web chat, through the real gateway, Rasa and action server; the platforms are local fakes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Stack, wait_until
from tests.fakes.graph import postback_event, quick_reply_event, text_event
from tests.fakes.telegram import callback_update, message_update

pytestmark = pytest.mark.e2e

FRENCH = '/change_language{"language": "fr"}'


def test_telegram(stack: Stack) -> None:
    chat = 70001
    assert stack.telegram(message_update(chat, "/start camp_e2e")).status_code == 200
    greeting = stack.bot_api.sent_messages(chat)[-1]
    assert "Hello" in greeting["text"]
    (button,) = [row[0] for row in greeting["reply_markup"]["inline_keyboard"]]
    assert button == {"text": "Français", "callback_data": FRENCH}

    stack.telegram(message_update(chat, "are you a bot?"))
    assert "automated assistant" in stack.bot_api.sent_messages(chat)[-1]["text"]

    stack.telegram(callback_update(chat, button["callback_data"]))
    assert "français" in stack.bot_api.sent_messages(chat)[-1]["text"]
    stack.telegram(message_update(chat, "are you a bot?"))
    assert "assistant automatique" in stack.bot_api.sent_messages(chat)[-1]["text"]


def _messenger_turn(stack: Stack, psid: str, event: dict[str, Any]) -> dict[str, Any]:
    """Post one event; the first message the page sends back."""
    before = len(stack.graph_api.sent(psid))
    assert stack.messenger(event).status_code == 200
    wait_until(lambda: len(stack.graph_api.sent(psid)) > before, 30, "an answer on Messenger")
    message: dict[str, Any] = stack.graph_api.sent(psid)[before]["message"]
    return message


def test_messenger(stack: Stack) -> None:
    psid = "e2e-psid-1"
    greeting = _messenger_turn(stack, psid, postback_event(psid, "Get Started", "GET_STARTED"))
    assert "Hello" in greeting["text"]
    (choice,) = greeting["quick_replies"]
    assert choice["title"] == "Français" and choice["payload"] == FRENCH

    answer = _messenger_turn(stack, psid, text_event(psid, "are you a bot?"))
    assert "automated assistant" in answer["text"]

    changed = _messenger_turn(stack, psid, quick_reply_event(psid, "Français", choice["payload"]))
    assert "français" in changed["text"]


def test_web_chat(stack: Stack) -> None:
    greeting = stack.chat("e2e-web-channels", "hello")
    assert "Hello" in greeting[0]["text"]
    (button,) = greeting[0]["buttons"]
    assert stack.chat("e2e-web-channels", "are you a bot?")[0]["text"].startswith(
        "I'm an automated"
    )
    assert "français" in stack.chat("e2e-web-channels", button["payload"])[0]["text"]
