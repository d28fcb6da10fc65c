"""Rasa stops in the middle of a conversation: the person is told, and answered once it is back.

Runs after test_chat.py (file order): it kills the Rasa server, which the supervisor restarts.
"""

from __future__ import annotations

import os
import signal

import pytest

from tests.e2e.conftest import Stack, wait_until
from tests.fakes.graph import text_event
from tests.fakes.telegram import message_update

pytestmark = pytest.mark.e2e


def test_a_crashed_rasa_is_restarted_and_the_waiting_message_answered(stack: Stack) -> None:
    sender = "e2e-outage"
    assert "Bonjour" in stack.chat(sender, "bonjour")[0]["text"]
    after = stack.updates(sender)["last_id"]

    os.kill(stack.child_pid("rasa run"), signal.SIGKILL)
    wait_until(lambda: stack.health().status_code == 503, 30, "health to report Rasa down")
    assert stack.health().json()["rasa"] == "down"

    apology = stack.chat(sender, "merci beaucoup")
    assert len(apology) == 1
    assert "Désolé" in apology[0]["text"] and "112" in apology[0]["text"]
    # The same outage on the other channels: an apology now, the answer later, on their platform.
    stack.telegram(message_update(80001, "thank you so much"))
    assert "Sorry" in stack.bot_api.sent_messages(80001)[-1]["text"]
    stack.messenger(text_event("e2e-outage-psid", "thank you so much"))
    wait_until(lambda: stack.graph_api.sent("e2e-outage-psid"), 30, "the Messenger apology")

    delivered: list[dict[str, object]] = []

    def answered() -> bool:
        delivered.extend(stack.updates(sender, after)["messages"])
        return bool(delivered)

    wait_until(answered, 300, "the supervisor to restart Rasa and the answer to arrive")
    assert "Je vous en prie" in str(delivered[0]["text"])
    assert stack.health().status_code == 200
    wait_until(lambda: len(stack.bot_api.sent_messages(80001)) == 2, 60, "the Telegram answer")
    assert "welcome" in stack.bot_api.sent_messages(80001)[-1]["text"]
    wait_until(
        lambda: len(stack.graph_api.sent("e2e-outage-psid")) == 2, 60, "the Messenger answer"
    )
    assert "welcome" in stack.graph_api.sent("e2e-outage-psid")[-1]["message"]["text"]
    assert "Au revoir" in stack.chat(sender, "au revoir")[0]["text"]
