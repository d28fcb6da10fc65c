"""What a message asks besides the side effect it reports."""

from __future__ import annotations

import pytest

from bot.safety import remainder
from bot.safety.remainder import rest


@pytest.mark.parametrize(
    ("text", "left"),
    [
        (
            "Since the injection my arm is swollen, and when is my next visit?",
            "when is my next visit?",
        ),
        ("54, and the tablets give me headaches", "54"),
        (
            "depuis le traitement j'ai des vertiges. combien de visites pour l'étude ?",
            "combien de visites pour l'étude ?",
        ),
        ("oui et depuis les comprimés j'ai mal au ventre", "oui"),
        (
            "les comprimés dmx me donnent des plaques qui grattent, et je dois décaler mon "
            "prochain rdv",
            "je dois décaler mon prochain rdv",
        ),
    ],
)
def test_the_request_beside_the_report(text: str, left: str) -> None:
    assert rest(text) == left


@pytest.mark.parametrize(
    "text",
    [
        "since the injection my arm is red and swollen",
        "depuis le traitement j'ai des vertiges, c'est normal ?",
        "I have a rash since the study drug, thanks",
        "the study pills give me headaches",
    ],
)
def test_nothing_beside_the_report(text: str) -> None:
    assert rest(text) == ""


def test_sms_questions_about_the_report_are_its_acknowledgement() -> None:
    text = "depuis le traitement jai des nausées, c normal? et est ce que je serai payé"
    assert rest(text) == "est ce que je serai payé"


def test_whether_something_may_be_done_about_it_is_a_question_of_its_own() -> None:
    """Tried on the phone: "is it ok if she puts some cream on it?", during the questions, got
    "You asked whether this is normal…"; it asks what may be done, for the assistant."""
    for text in (
        "is it ok if she puts some cream on it?",
        "can i take paracetamol for it",
        "est ce que je peux mettre de la creme dessus ?",
    ):
        assert not remainder.only_about_the_report(text), text
    for text in ("is that normal?", "is it ok?", "c'est grave ?"):
        assert remainder.only_about_the_report(text), text
