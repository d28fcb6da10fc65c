"""One message, one reading by the NLU: the safety check's reading is the one Rasa's turn uses.

The gateway asks Rasa's NLU to read a message for its safety check, then hands the message to
Rasa's channel with that reading (rasa_addons/gateway_channel.given_parse): the turn does not
read the words a second time, and answers as it would have. The stages each message went
through are in its `Server-Timing` header (SERVER_TIMING is on in the test stack).
"""

from __future__ import annotations

import pytest

from bot import timing
from tests.e2e.conftest import Stack
from tests.e2e.test_screening import Patient

pytestmark = pytest.mark.e2e


def _stages(stack: Stack, sender: str, text: str) -> tuple[dict[str, float], str]:
    response = stack.client(sender).post("/api/chat", json={"sender": sender, "text": text})
    response.raise_for_status()
    said = " ".join(m.get("text") or "" for m in response.json()["messages"])
    return timing.parse(response.headers.get(timing.HEADER, "")), said


def test_a_question_is_read_once_and_answered_from_the_knowledge_base(stack: Stack) -> None:
    stages, said = _stages(stack, "e2e-path-once", "is there any payment for taking part")
    assert "Source: [" in said  # the vetted answer, as with Rasa's own reading
    assert stages["safety"] > 0 and "rasa.nlu" not in stages  # read by the safety check only
    assert {"rasa.tracker", "rasa.policies", "rasa.actions", "rasa.action.retrieval"} <= set(stages)
    assert stages["total"] >= stages["rasa"] >= stages["rasa.actions"]


def test_the_gateways_reading_of_the_words_still_applies_to_the_given_reading(
    stack: Stack,
) -> None:
    # "français" alone: the gateway's own reading (bot/understanding.py) makes it a change of
    # language, whatever the classifier guessed; Rasa's turn answers in French.
    stages, said = _stages(stack, "e2e-path-reading", "français")
    assert "rasa.nlu" not in stages
    assert "français" in said.lower() or "bonjour" in said.lower(), said


def test_a_button_is_read_by_rasa_itself(stack: Stack) -> None:
    # A payload is no one's words: the safety check does not send it to the NLU, Rasa reads it.
    stages, _ = _stages(stack, "e2e-path-button", "/greet")
    assert "rasa.nlu" in stages and "safety" in stages


def test_a_long_conversation_keeps_its_pre_screening_through_many_questions(
    stack: Stack,
) -> None:
    # More messages than the policies' window (rasa_addons/prediction.WINDOW_TURNS), before the
    # pre-screening and inside it: the form's state opens the window the policies see.
    patient = Patient(stack, "e2e-path-long", "en")
    for _ in range(12):
        assert patient.says("hello")
    patient.says("can I join the diabetes study?")
    assert "How old are you?" in patient.agrees_to_consent()
    assert "Which type of diabetes" in patient.says("I'm 52")
    for _ in range(12):
        answer = patient.says("is there any payment for taking part")
        assert "Source: [" in answer and "Which type of diabetes" in answer, answer
    assert "you may be able to take part" in patient.answers_the_diabetes_questions_from_its_type()
