"""An emergency in the middle of a pre-screening, through the web chat with the real Rasa.

The gateway answers it at once with the emergency number, records it for staff, and the
questions go on where they were.
"""

from __future__ import annotations

import json

import pytest

from bench.safety_eval.nlu import readings
from bench.safety_eval.scoring import TARGETS, evaluate, load
from bot.safety.detect import Intent, check
from bot.settings import Settings
from tests.e2e.conftest import Stack
from tests.e2e.test_screening import Patient

pytestmark = pytest.mark.e2e


def _events(stack: Stack, patient: Patient) -> list[tuple[str, str]]:
    listed = json.loads(stack.trialbot("safety", "list", "--json"))
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
    assert "N'arrêtez pas et ne modifiez pas votre traitement" in side_effect
    assert "diagnostiqué un asthme" in patient.says("j'ai 40 ans et je ne fume pas")
    assert _events(stack, patient) == [
        ("adverse_event", "depuis la piqûre j'ai des plaques rouges qui grattent"),
        ("emergency", "j'arrive plus a respirer"),
    ]


def test_what_the_rules_miss_the_nlu_catches_and_it_is_recorded(stack: Stack) -> None:
    patient = Patient(stack, "e2e-safety-nlu", "en")
    text = "please help me, something is really wrong with me"
    assert check(text) is None  # the rules alone would let it through
    assert "This sounds like an emergency. Call 112 now" in patient.says(text)
    assert _events(stack, patient) == [("emergency", text)]


def test_the_questions_resume_on_request_after_an_emergency(stack: Stack) -> None:
    patient = Patient(stack, "e2e-safety-resume", "en")
    patient.says("can I join the diabetes study?")
    assert "How old are you?" in patient.agrees_to_consent()
    assert "Call 112 now" in patient.says("my dad just collapsed on the floor")
    resumed = patient.says("ok he's fine now, can we go on with the questions?")
    assert "How old are you?" in resumed
    assert "Which type of diabetes" in patient.says("52")


def _readings(stack: Stack) -> dict[str, Intent]:
    token = Settings(TRIALBOT_VAR_DIR=stack.var_dir).rasa_token()
    texts = [item["text"] for items in load().values() for item in items]
    return readings(stack.rasa_url, token, texts)


def test_the_evaluation_set_meets_the_targets_with_the_real_nlu(stack: Stack) -> None:
    """The regression test of bench/safety_eval: the gateway's check, rules and NLU together."""
    nlu = _readings(stack)
    for language, items in load().items():
        scores = evaluate(items, "all", nlu)
        assert scores.meets(), (language, scores.figures(), scores.misses)
        assert TARGETS["emergency_recall"] <= scores.figures()["emergency_recall"]


# What every reply to an emergency says, in each language (the crisis reply words it its own way).
CALL = {"en": ("Call 112 now", "call 112"), "fr": ("Appelez le 112", "appelez le 112")}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_emergency_of_the_evaluation_set_gets_the_number_in_the_middle_of_the_questions(
    stack: Stack, language: str
) -> None:
    patient = Patient(stack, f"e2e-safety-every-{language}", language)
    patient.says("I'd like to join the asthma study" if language == "en" else
                 "je voudrais participer à l'étude sur l'asthme")  # fmt: skip
    question = patient.agrees_to_consent()
    assert "How old are you?" in question or "Quel âge avez-vous" in question
    emergencies = [i["text"] for i in load()[language] if i["label"] == "emergency"]
    missed = [
        text for text in emergencies if not any(c in patient.says(text) for c in CALL[language])
    ]
    assert missed == []
    after = patient.says("40")  # the questions were where they were all along
    assert "diagnosed you with asthma" in after or "diagnostiqué un asthme" in after


def test_a_side_effect_is_followed_up_around_the_real_dialogue(stack: Stack) -> None:
    """The report and a question in one message: the acknowledgement, Rasa's answer, then the
    first follow-up question; answers read by the gateway; a question of the person's own ends
    the follow-up and Rasa answers it; the record is in `safety show`."""
    patient = Patient(stack, "e2e-safety-follow-up", "en")
    said = patient.says("since the injection my arm is swollen, and is there a placebo?")
    assert "passed this on to the study team" in said
    assert "placebo" in said.lower()  # the vetted answer to the rest of the message
    assert said.rstrip().endswith("When did it start? You can write a date, or for example "
                                  '"3 days ago".')  # fmt: skip
    assert patient.buttons[-4:] == ["Today", "Yesterday", "Skip", "Stop the questions"]
    assert "Is it still going on?" in patient.says("2 days ago")
    assert "daily life" in patient.presses("Yes, still")
    went_on = patient.says("how long does the study last?")
    assert "Did you need any care" not in went_on and went_on.strip()
    listed = json.loads(stack.trialbot("safety", "list", "--json"))
    (event,) = [e for e in listed if e["participant"] == patient.key]
    assert event["follow_up"]["ongoing"] is True and event["follow_up"]["onset"] is not None
    shown = json.loads(stack.trialbot("safety", "show", str(event["id"]), "--json"))
    assert shown["reaction"] == "since the injection my arm is swollen, and is there a placebo?"
    assert shown["outcome"] == "not recovered/not resolved" and shown["serious"] is None
