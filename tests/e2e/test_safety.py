"""An emergency in the middle of a pre-screening, through the web chat with the real Rasa.

The gateway answers it at once with the emergency number, records it for staff, and the
questions go on where they were.
"""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import Stack
from tests.e2e.test_screening import Patient, _trialbot

pytestmark = pytest.mark.e2e


def _events(stack: Stack, patient: Patient) -> list[tuple[str, str]]:
    listed = json.loads(_trialbot(stack, "safety", "list", "--json"))
    return [(e["kind"], e["text"]) for e in listed if e["participant"] == patient.key]


def test_an_emergency_mid_screening_in_english_then_the_questions_go_on(stack: Stack) -> None:
    patient = Patient(stack, "e2e-safety-en", "en")
    patient.says("can I join the diabetes study?")
    assert "How old are you?" in patient.agrees_to_consent()
    urgent = patient.says("sorry, I have a crushing pain in my chest right now")
    assert "This sounds like an emergency. Call 112 now" in urgent
    assert "How old are you?" not in urgent  # the gateway answered it alone
    assert "Which type of diabetes" in patient.says("I'm 52")  # the form was where it was
    assert _events(stack, patient) == [
        ("emergency", "sorry, I have a crushing pain in my chest right now")
    ]


def test_an_emergency_and_a_side_effect_mid_screening_in_french(stack: Stack) -> None:
    patient = Patient(stack, "e2e-safety-fr", "fr")
    patient.says("je voudrais participer à l'étude sur l'asthme")
    assert "Quel âge avez-vous" in patient.agrees_to_consent()
    urgent = patient.says("j'arrive plus a respirer")
    assert "Cela ressemble à une urgence. Appelez le 112 maintenant" in urgent
    side_effect = patient.says("depuis la piqûre j'ai des plaques rouges qui grattent")
    assert "Merci de nous l'avoir signalé" in side_effect
    assert "n'arrêtez pas et ne modifiez pas votre traitement" in side_effect
    assert "diagnostiqué un asthme" in patient.says("j'ai 40 ans et je ne fume pas")
    assert _events(stack, patient) == [
        ("adverse_event", "depuis la piqûre j'ai des plaques rouges qui grattent"),
        ("emergency", "j'arrive plus a respirer"),
    ]
