"""A yes or no the gateway read at the start of a message is its intent only right after a
yes-or-no question with buttons (rasa_addons.answers), in Rasa's own environment."""

from __future__ import annotations

import json

from tests.rasa.running import rasa_python

SNIPPET = """
import json
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_addons.answers import asked_yes_or_no, take

def tracker(*events):
    return DialogueStateTracker.from_events("someone", list(events))

offer = BotUttered("Would you like the study team to contact you?", data={"buttons": [
    {"title": "Yes, contact me", "payload": "/affirm"},
    {"title": "No, thanks", "payload": "/deny"}]})
consent = BotUttered("Please answer Yes or No.", data={"buttons": [
    {"title": "Yes, I agree", "payload": '/consent_decision{"decision":"yes"}'},
    {"title": "No", "payload": '/consent_decision{"decision":"no"}'}]})
answer = BotUttered("Placebo: ...", data={"buttons": [
    {"title": "Contact the study team", "payload": "/request_human"}]})
parse = {"intent": {"name": "want_reminders", "confidence": 0.13},
         "intent_ranking": [{"name": "want_reminders", "confidence": 0.13},
                            {"name": "affirm", "confidence": 0.1}]}
take(parse, "affirm")
print(json.dumps({
    "offer": asked_yes_or_no(tracker(UserUttered("hi"), offer)),
    "offer_then_text": asked_yes_or_no(tracker(offer, BotUttered("You can skip it."))),
    "consent": asked_yes_or_no(tracker(consent)),
    "an_answer": asked_yes_or_no(tracker(offer, UserUttered("what?"), answer)),
    "nothing": asked_yes_or_no(tracker(UserUttered("hi"))),
    "taken": parse,
}))
"""


def test_the_yes_is_the_intent_only_right_after_a_yes_or_no_question() -> None:
    result = rasa_python("-c", SNIPPET, log_level="WARNING", timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["offer"] and found["offer_then_text"] and found["consent"]
    assert not found["an_answer"]  # asked earlier, then answered something else: not this one
    assert not found["nothing"]
    assert found["taken"]["intent"] == {"name": "affirm", "confidence": 1.0}
    assert [r["name"] for r in found["taken"]["intent_ranking"]] == ["affirm", "want_reminders"]
