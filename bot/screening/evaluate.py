"""The CONTRACT's screening semantics, as pure functions of the criteria and the answers so far.

- A question whose `ask_if` does not hold is never asked, and its criteria count as met.
- `not_eligible` as soon as one inclusion fails or one exclusion holds;
- otherwise `incomplete` while a criterion still waits for an answer, with the next question to
  ask (the first, in the file's order, that a waiting criterion needs);
- otherwise `needs_review` when a deciding answer was "don't know" (None);
- otherwise `likely_eligible`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from bot.files import as_date
from bot.screening.criteria import Answer, Condition, Criteria, Question

Outcome = Literal["likely_eligible", "not_eligible", "incomplete", "needs_review"]
Answers = dict[str, Answer]


class _Waiting:
    """A criterion whose question has not been answered (or not yet reached)."""


_WAITING = _Waiting()


@dataclass(frozen=True)
class Reason:
    criterion: str
    question: str
    met: bool | None  # None: answered "don't know"
    kind: Literal["inclusion", "exclusion"]

    def to_json(self) -> dict[str, Any]:
        return {"criterion": self.criterion, "question": self.question, "met": self.met}


@dataclass(frozen=True)
class Result:
    trial: str
    criteria_version: int
    outcome: Outcome
    reasons: tuple[Reason, ...]
    next_question: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "trial": self.trial,
            "criteria_version": self.criteria_version,
            "outcome": self.outcome,
            "reasons": [reason.to_json() for reason in self.reasons],
            "next_question": self.next_question,
        }


def evaluate(criteria: Criteria, answers: Answers) -> Result:
    reasons: list[Reason] = []
    waiting: list[str] = []
    kinds: tuple[tuple[Literal["inclusion", "exclusion"], tuple[Condition, ...]], ...] = (
        ("inclusion", criteria.inclusion),
        ("exclusion", criteria.exclusion),
    )
    for kind, conditions in kinds:
        for condition in conditions:
            met = _met(criteria, condition, answers, exclusion=kind == "exclusion")
            if isinstance(met, _Waiting):
                waiting.append(condition.question)
            else:
                described = condition.describe()
                if kind == "exclusion":
                    described = f"not excluded: {described}"
                reasons.append(Reason(described, condition.question, met, kind))
    if any(reason.met is False for reason in reasons):
        outcome: Outcome = "not_eligible"
        next_question = None
    elif waiting:
        outcome, next_question = "incomplete", _next(criteria, waiting, answers)
    elif any(reason.met is None for reason in reasons):
        outcome, next_question = "needs_review", None
    else:
        outcome, next_question = "likely_eligible", None
    return Result(criteria.trial, criteria.version, outcome, tuple(reasons), next_question)


def applicable(criteria: Criteria, question: Question, answers: Answers) -> bool | None:
    """Whether `question` is to be asked: None while its `ask_if` waits for an answer.

    "Don't know" to the question an `ask_if` tests asks the dependent question anyway: it is
    safer to ask one question more than to skip one that could exclude.
    """
    condition = question.ask_if
    if condition is None:
        return True
    parent = criteria.question(condition.question)
    if parent is None:
        return False
    parent_applies = applicable(criteria, parent, answers)
    if parent_applies is not True:
        return parent_applies
    if condition.question not in answers:
        return None
    value = answers[condition.question]
    return True if value is None else holds(condition, parent, value)


def holds(condition: Condition, question: Question, value: Answer) -> bool:
    """Whether a known answer satisfies `condition`."""
    op, expected = condition.operator, condition.value
    given: Any = value
    if question.type == "date":
        given = as_date(value)
        expected = (
            [as_date(v) for v in expected] if isinstance(expected, list) else as_date(expected)
        )
    if op == "equals":
        return bool(given == expected)
    if op == "not_equals":
        return bool(given != expected)
    if op == "in":
        return given in expected
    if op == "not_in":
        return given not in expected
    if op == "between":
        low, high = expected
        return bool(low <= given <= high)
    if op == "min":
        return bool(given >= expected)
    if op == "max":
        return bool(given <= expected)
    raise ValueError(f"unknown operator {op!r}")


def validate(criteria: Criteria, answers: dict[str, Any]) -> list[str]:
    """Why these answers cannot be evaluated (unknown question, wrong type, out of range)."""
    problems = []
    for question_id, value in answers.items():
        question = criteria.question(question_id)
        if question is None:
            problems.append(f"{question_id!r} is not a question of {criteria.trial}")
        elif value is not None and (problem := _bad_answer(question, value)):
            problems.append(f"{question_id!r}: {problem}")
    return problems


def _met(
    criteria: Criteria, condition: Condition, answers: Answers, *, exclusion: bool
) -> bool | _Waiting | None:
    question = criteria.question(condition.question)
    assert question is not None  # the loader checked every reference
    applies = applicable(criteria, question, answers)
    if applies is False:
        return True
    if applies is None or condition.question not in answers:
        return _WAITING
    value = answers[condition.question]
    if value is None:
        return None
    result = holds(condition, question, value)
    return not result if exclusion else result


def _next(criteria: Criteria, waiting: list[str], answers: Answers) -> str | None:
    """The first question, in the file's order, that a waiting criterion needs answered."""
    needed: set[str] = set()
    for question_id in waiting:
        question = criteria.question(question_id)
        while question is not None:
            applies = applicable(criteria, question, answers)
            if applies is True:
                if question.id not in answers:
                    needed.add(question.id)
                break
            if applies is False or question.ask_if is None:
                break
            question = criteria.question(question.ask_if.question)  # its parent comes first
    return next((q.id for q in criteria.questions if q.id in needed), None)


def _bad_answer(question: Question, value: Any) -> str | None:
    if question.type == "yes_no":
        return None if isinstance(value, bool) else "answer true or false"
    if question.type == "choice":
        return None if value in question.options else f"one of {', '.join(question.options)}"
    if question.type == "date":
        return None if as_date(value) else "a date written YYYY-MM-DD"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "a number"
    if question.type in ("integer", "scale") and not float(value).is_integer():
        return "a whole number"
    if (question.min is not None and value < question.min) or (
        question.max is not None and value > question.max
    ):
        return f"between {_bound(question.min, 'any')} and {_bound(question.max, 'any')}"
    return None


def _bound(value: float | None, missing: str) -> str:
    return missing if value is None else f"{value:g}"
