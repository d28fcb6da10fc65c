"""Answers typed the way people type them, in both languages, or asked again with what fits."""

from __future__ import annotations

import pytest

from bot.screening.criteria import Question, load_criteria
from bot.screening.parse import Extracted, Parsed, Unclear, extract, parse
from bot.settings import PROJECT_ROOT

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


ASTHMA, _ = load_criteria(PROJECT_ROOT / "knowledge/trials/demo-asthma-002/eligibility.yml")
T2D, _ = load_criteria(PROJECT_ROOT / "knowledge/trials/demo-t2d-001/eligibility.yml")


@pytest.mark.parametrize(
    ("trial", "text", "lang", "asked", "answers"),
    [
        ("asthma", "I'm 45 and I don't smoke", "en", "age", {"age": 45, "smoker": False}),
        ("asthma", "j'ai 45 ans et je ne fume pas", "fr", "age", {"age": 45, "smoker": False}),
        ("asthma", "I quit smoking, never had COPD", "en", "age", {"smoker": False, "copd": False}),
        ("asthma", "j'ai arrêté de fumer, 2 cures de cortisone", "fr", "smoker",
         {"smoker": False, "steroid_courses": 2}),
        ("asthma", "yes, and I smoke", "en", "copd", {"copd": True, "smoker": True}),
        ("t2d", "I have type 2 diabetes, I take metformin but no insulin", "en", "age",
         {"diabetes_type": "type_2", "metformin": True, "insulin": False}),
        ("t2d", "my hba1c is 7.8 and I am 52", "en", "metformin", {"hba1c": 7.8, "age": 52}),
        ("t2d", "7,5 %", "fr", "hba1c", {"hba1c": 7.5}),
        ("t2d", "je ne connais pas mon hba1c, je sais pas", "fr", "age", {"hba1c": None}),
    ],
)  # fmt: skip
def test_one_message_answers_every_question_it_names(
    trial: str, text: str, lang: str, asked: str, answers: dict[str, object]
) -> None:
    criteria = ASTHMA if trial == "asthma" else T2D
    assert criteria is not None
    read = extract(criteria, text, lang, criteria.question(asked), set())
    assert read.answers == answers


def test_only_unanswered_questions_are_read_and_a_bad_answer_is_asked_again() -> None:
    assert ASTHMA is not None
    age = ASTHMA.question("age")
    # "smoke" names a question already answered: it is not changed behind the person's back.
    read = extract(ASTHMA, "I'm 45, I don't smoke", "en", age, {"smoker"})
    assert read.answers == {"age": 45}
    # Out of range: nothing stored, the range said.
    assert extract(ASTHMA, "I'm 150", "en", age, set()) == Extracted(
        {}, Unclear("a number from 0 to 120")
    )
    # A short keyword is a whole word: "I missed 2 doses" says nothing about the age.
    copd = ASTHMA.question("copd")
    assert extract(ASTHMA, "I missed 2 doses", "en", copd, set()) == Extracted(
        {}, Unclear("yes or no")
    )
    # Another question answered, the one asked not: it simply comes next, no complaint.
    assert extract(ASTHMA, "I don't smoke", "en", age, set()) == Extracted({"smoker": False}, None)
