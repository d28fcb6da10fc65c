"""Answers typed the way people type them, in both languages, or asked again with what fits."""

from __future__ import annotations

import pytest

from bot.screening.criteria import Question
from bot.screening.parse import Parsed, Unclear, parse

AGE = Question("age", "integer", {"en": "", "fr": ""}, min=0, max=120)
HBA1C = Question("hba1c", "number", {"en": "", "fr": ""}, min=3.0, max=20.0)
HEIGHT = Question("height", "number", {"en": "", "fr": ""}, min=1.0, max=2.5)
INSULIN = Question("insulin", "yes_no", {"en": "", "fr": ""})
TYPE = Question(
    "diabetes_type",
    "choice",
    {"en": "", "fr": ""},
    options={
        "type_2": {"en": "Type 2 diabetes", "fr": "Diabète de type 2"},
        "type_1": {"en": "Type 1 diabetes", "fr": "Diabète de type 1"},
        "other_or_unsure": {"en": "Another type, or I'm not sure", "fr": "Un autre type"},
    },
)
SINCE = Question("diagnosed_on", "date", {"en": "", "fr": ""})


@pytest.mark.parametrize(
    ("question", "text", "lang", "value"),
    [
        (AGE, "45", "en", 45),
        (AGE, "45 ans", "fr", 45),
        (AGE, "I'm 45", "en", 45),
        (AGE, "j'ai 45 ans", "fr", 45),
        (HBA1C, "7,5", "fr", 7.5),
        (HBA1C, "7.5 %", "en", 7.5),
        (HBA1C, "around 8", "en", 8.0),
        (HEIGHT, "1m70", "fr", 1.7),
        (HEIGHT, "1 m 7", "fr", 1.7),
        (INSULIN, "yes", "en", True),
        (INSULIN, "Oui", "fr", True),
        (INSULIN, "ouais", "fr", True),
        (INSULIN, "nope", "en", False),
        (INSULIN, "non merci", "fr", False),
        (INSULIN, "no, never", "en", False),
        (TYPE, "type 2", "en", "type_2"),
        (TYPE, "Diabète de type 1", "fr", "type_1"),
        (TYPE, "2", "en", "type_1"),  # the second option as listed
        (SINCE, "14/03/2021", "fr", "2021-03-14"),
        (SINCE, "March 2021", "en", "2021-03-01"),
        (SINCE, "mars 2021", "fr", "2021-03-01"),
        (SINCE, "2021-03-14", "en", "2021-03-14"),
    ],
)
def test_answers_as_people_type_them(
    question: Question, text: str, lang: str, value: object
) -> None:
    assert parse(question, text, lang) == Parsed(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("I don't know", "en"),
        ("not sure", "en"),
        ("no idea", "en"),
        ("je ne sais pas", "fr"),
        ("aucune idée", "fr"),
        ("jsp", "fr"),
    ],
)
def test_dont_know_is_an_answer(text: str, lang: str) -> None:
    for question in (AGE, INSULIN, TYPE, SINCE):
        assert parse(question, text, lang) == Parsed(None)


def test_out_of_range_or_unclear_answers_are_asked_again_with_what_fits() -> None:
    assert parse(AGE, "150", "en") == Unclear("a number from 0 to 120")
    assert parse(HBA1C, "35", "fr") == Unclear("un nombre entre 3 et 20")
    assert parse(AGE, "45.5", "en") == Unclear("a number from 0 to 120")  # whole years
    assert parse(AGE, "between 40 and 50", "en") == Unclear("a number from 0 to 120")
    assert parse(INSULIN, "sometimes", "en") == Unclear("yes or no")
    assert parse(INSULIN, "parfois", "fr") == Unclear("oui ou non")
    assert isinstance(parse(TYPE, "diabetes", "en"), Unclear)  # all three say diabetes
    assert isinstance(parse(SINCE, "a while ago", "en"), Unclear)
    assert isinstance(parse(SINCE, "31/02/2021", "fr"), Unclear)
