"""The CONTRACT's screening rules, on the demo trials and on criteria generated at random."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.screening.criteria import Criteria, load_criteria
from bot.screening.evaluate import Answers, evaluate, validate
from bot.settings import PROJECT_ROOT


def _criteria(trial: str) -> Criteria:
    criteria, problems = load_criteria(
        PROJECT_ROOT / "knowledge" / "trials" / trial / "eligibility.yml"
    )
    assert criteria is not None, problems
    return criteria


T2D = _criteria("demo-t2d-001")
QUALIFYING: Answers = {
    "age": 54,
    "diabetes_type": "type_2",
    "diagnosed_6_months": True,
    "metformin": True,
    "insulin": False,
    "hba1c": 8.1,
    "dialysis": False,
    "sex": "female",
    "pregnant_or_breastfeeding": False,
}


def test_every_inclusion_holding_and_no_exclusion_is_likely_eligible() -> None:
    result = evaluate(T2D, QUALIFYING)
    assert result.outcome == "likely_eligible" and result.next_question is None
    assert all(reason.met for reason in result.reasons)
    assert result.to_json()["criteria_version"] == T2D.version


def test_one_failed_inclusion_ends_it_at_once() -> None:
    result = evaluate(T2D, {"age": 16})
    assert result.outcome == "not_eligible" and result.next_question is None
    assert [r.to_json() for r in result.reasons] == [
        {"criterion": "age between 18 and 75", "question": "age", "met": False}
    ]


def test_one_exclusion_holding_ends_it() -> None:
    assert evaluate(T2D, {**QUALIFYING, "insulin": True}).outcome == "not_eligible"


def test_questions_come_in_order_and_only_those_needed() -> None:
    answers: Answers = {}
    asked = []
    while (result := evaluate(T2D, answers)).outcome == "incomplete":
        assert result.next_question is not None
        asked.append(result.next_question)
        answers[result.next_question] = QUALIFYING[result.next_question]
    assert asked == [q.id for q in T2D.questions]
    # A man is never asked whether he is pregnant: the ask_if does not hold, the criterion is met.
    answers = {k: v for k, v in QUALIFYING.items() if k != "pregnant_or_breastfeeding"}
    result = evaluate(T2D, {**answers, "sex": "male"})
    assert result.outcome == "likely_eligible"


def test_a_dependent_question_is_skipped_when_its_condition_fails() -> None:
    # Type 1 excludes at once: "diagnosed 6 months ago" (asked only for type 2) never comes up.
    result = evaluate(T2D, {"age": 40, "diabetes_type": "type_1"})
    assert result.outcome == "not_eligible"


def test_dont_know_on_a_deciding_question_needs_review() -> None:
    result = evaluate(T2D, {**QUALIFYING, "hba1c": None})
    assert result.outcome == "needs_review"
    assert {"criterion": "hba1c between 7.0 and 10.5", "question": "hba1c", "met": None} in [
        r.to_json() for r in result.reasons
    ]
    # ...but a later decisive "no" still wins.
    assert evaluate(T2D, {**QUALIFYING, "hba1c": None, "dialysis": True}).outcome == "not_eligible"


def test_answers_that_cannot_be_evaluated_are_named() -> None:
    problems = validate(T2D, {"age": 130, "smoker": True, "insulin": "maybe", "hba1c": 7})
    assert problems == [
        "'age': between 0 and 120",
        "'smoker' is not a question of demo-t2d-001",
        "'insulin': answer true or false",
    ]


def test_the_asthma_trial_screens_to_each_outcome() -> None:
    asthma = _criteria("demo-asthma-002")
    answers: Answers = {}
    while (result := evaluate(asthma, answers)).outcome == "incomplete":
        assert result.next_question is not None
        question = asthma.question(result.next_question)
        assert question is not None
        answers[question.id] = None  # "don't know" to everything
    assert result.outcome in ("needs_review", "not_eligible")


# Properties, on the real criteria with any valid answers


def _answer(criteria: Criteria, question_id: str) -> st.SearchStrategy[object]:
    question = criteria.question(question_id)
    assert question is not None
    if question.type == "yes_no":
        value: st.SearchStrategy[object] = st.booleans()
    elif question.type == "choice":
        value = st.sampled_from(sorted(question.options))
    elif question.type == "integer":
        value = st.integers(int(question.min or 0), int(question.max or 200))
    else:
        value = st.floats(question.min or 0, question.max or 200, allow_nan=False).map(
            lambda x: round(x, 1)
        )
    return st.one_of(st.none(), value)


def _answers(criteria: Criteria) -> st.SearchStrategy[dict[str, object]]:
    ids = [q.id for q in criteria.questions]
    return st.fixed_dictionaries({}, optional={i: _answer(criteria, i) for i in ids})


@pytest.mark.parametrize("criteria", [T2D, _criteria("demo-asthma-002")], ids=lambda c: c.trial)
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_properties_of_any_answers(criteria: Criteria, data: st.DataObject) -> None:
    answers = data.draw(_answers(criteria))
    assert validate(criteria, answers) == []
    result = evaluate(criteria, answers)  # type: ignore[arg-type]
    # incomplete exactly when there is something left to ask, and that is unanswered
    assert (result.outcome == "incomplete") == (result.next_question is not None)
    if result.next_question is not None:
        assert result.next_question not in answers
    # not_eligible exactly when some criterion is not met
    assert (result.outcome == "not_eligible") == any(r.met is False for r in result.reasons)
    # answering the next question never loops back to asking it
    if result.next_question is not None:
        extra = data.draw(_answer(criteria, result.next_question))
        after = evaluate(criteria, {**answers, result.next_question: extra})  # type: ignore[dict-item]
        assert after.next_question != result.next_question
    # not_eligible is final: answers to other questions never change it
    if result.outcome == "not_eligible":
        more = data.draw(_answers(criteria))
        assert evaluate(criteria, {**more, **answers}).outcome == "not_eligible"  # type: ignore[dict-item]
