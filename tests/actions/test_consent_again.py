"""A consent answer that cannot be recorded brings the question back, in today's language."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.consent import consent_texts
from actions.consent_decision import ActionConsentDecision


def test_a_typed_yes_after_a_language_switch_gets_the_question_again_in_french() -> None:
    english = consent_texts().get().current("prescreening", "en", dt.date.today())
    assert english is not None
    message = {"text": "oui j'accepte", "intent": {"name": "affirm"}, "entities": []}
    # Asked in English, then the person switched to French: the typed yes is not right under it.
    events: list[dict[str, Any]] = [
        {"event": "slot", "name": "awaiting", "value": "consent"},
        {"event": "user", "text": "parlez français", "parse_data": {}},
        {"event": "user", "text": "oui j'accepte", "parse_data": message},
    ]
    slots = {"language": "fr", "consent_text": english.reference}
    tracker = Tracker("someone", slots, message, events, False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    returned = asyncio.run(ActionConsentDecision().run(dispatcher, tracker, {}))
    said = dispatcher.messages
    assert said[0]["response"] == "utter_consent_not_understood"
    assert [b["title"] for b in said[-1]["buttons"]] == ["Oui, j'accepte", "Non"]
    assert {"event": "slot", "name": "awaiting", "value": "consent", "timestamp": None} in returned
