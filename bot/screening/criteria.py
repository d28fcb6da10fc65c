"""A trial's pre-screening criteria: `knowledge/trials/<trial>/eligibility.yml`, typed and checked.

Every problem is collected as `path:line: message` (never raised): unknown question ids, impossible
ranges, `ask_if` loops or references to later questions, missing translations, bad conditions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from bot.files import Problem, as_date, read_yaml_mapping
from bot.i18n.languages import LANGUAGES

QuestionType = Literal["integer", "number", "yes_no", "choice", "date", "scale"]
TYPES: tuple[str, ...] = ("integer", "number", "yes_no", "choice", "date")
# A check-in's questions may also be a scale: a whole number from 0 to 10.
SCALE = (0, 10)
NUMERIC: tuple[str, ...] = ("integer", "number", "scale")
QUESTION_FIELDS = ("id", "type", "text", "simple", "options", "min", "max", "ask_if", "keywords")
OPERATORS = ("equals", "not_equals", "in", "not_in", "between", "min", "max")
Answer = int | float | bool | str | None  # None: "I don't know"


@dataclass(frozen=True)
class Condition:
    """One test on one question's answer, e.g. {question: age, between: [18, 75]}."""

    question: str
    operator: str
    value: Any
    line: int = 0

    def describe(self) -> str:
        if self.operator == "between":
            low, high = self.value
            return f"{self.question} between {low} and {high}"
        words = {"min": "at least", "max": "at most", "not_equals": "is not", "not_in": "not in"}
        shown = self.value
        if isinstance(shown, bool):
            shown = "yes" if shown else "no"
        return (
            f"{self.question} {words.get(self.operator, self.operator.replace('_', ' '))} {shown}"
        )


@dataclass(frozen=True)
class Question:
    id: str
    type: QuestionType
    text: dict[str, str]
    options: dict[str, dict[str, str]] = field(default_factory=dict)  # choice: key → labels
    min: float | None = None
    max: float | None = None
    ask_if: Condition | None = None
    # Words that show a sentence is about this question ("I don't smoke"), per language: they let
    # one message answer several questions. Optional; without them only the asked one is read.
    keywords: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The question in fewer, plainer words, asked when an answer could not be read. Optional.
    simple: dict[str, str] = field(default_factory=dict)
    line: int = 0


@dataclass(frozen=True)
class Criteria:
    trial: str
    version: int
    questions: tuple[Question, ...]
    inclusion: tuple[Condition, ...]
    exclusion: tuple[Condition, ...]
    path: Path

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


def load_criteria(path: Path) -> tuple[Criteria | None, list[Problem]]:
    """The criteria in `path`, or None with every reason they cannot be used."""
    read = read_yaml_mapping(path)
    if isinstance(read, Problem):
        return None, [read]
    return Reader(path, read.node).read(read.data)


class Reader:
    def __init__(self, path: Path, node: Any, types: tuple[str, ...] = TYPES) -> None:
        self.path = path
        self.node = node
        self.types = types  # the question types this file may use
        self.problems: list[Problem] = []

    def fail(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))

    def read(self, data: dict[str, Any]) -> tuple[Criteria | None, list[Problem]]:
        lines = key_lines(self.node)
        trial = data.get("trial")
        if not isinstance(trial, str) or trial != self.path.parent.name:
            self.fail(
                lines.get("trial", 1), f"trial must be the folder's name, {self.path.parent.name!r}"
            )
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            self.fail(
                lines.get("version", 1),
                "version must be a whole number from 1, raised on every change",
            )
        raw_questions = data.get("questions")
        if not isinstance(raw_questions, list) or not raw_questions:
            self.fail(lines.get("questions", 1), "questions must be a non-empty list")
            raw_questions = []
        nodes = child(self.node, "questions")
        questions = [
            self.question(raw, item_line(nodes, index)) for index, raw in enumerate(raw_questions)
        ]
        known = [q for q in questions if q is not None]
        self.check_questions(known)
        inclusion = self.conditions(data, "inclusion", known)
        exclusion = self.conditions(data, "exclusion", known)
        for key in data:
            if key not in ("trial", "version", "questions", "inclusion", "exclusion"):
                self.fail(lines.get(key, 1), f"unknown field {key!r}")
        if self.problems:
            return None, self.problems
        assert isinstance(version, int)
        return Criteria(str(trial), version, tuple(known), inclusion, exclusion, self.path), []

    def question(self, raw: Any, line: int) -> Question | None:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            self.fail(line, "each question needs an id")
            return None
        kind = raw.get("type")
        if kind not in self.types:
            self.fail(line, f"question {raw['id']!r}: type must be one of {', '.join(self.types)}")
            return None
        text = raw.get("text")
        if not isinstance(text, dict):
            self.fail(line, f"question {raw['id']!r} needs text: {{en: …, fr: …}}")
            text = {}
        for lang in LANGUAGES:
            if not isinstance(text.get(lang), str) or not text[lang].strip():
                self.fail(line, f"question {raw['id']!r} has no {lang} text")
        simple = raw.get("simple", {})
        for lang in LANGUAGES if simple != {} else ():
            if not isinstance(simple, dict) or not str(simple.get(lang) or "").strip():
                self.fail(line, f"question {raw['id']!r}: simple needs an {lang} text")
        options: dict[str, dict[str, str]] = {}
        if kind == "choice":
            raw_options = raw.get("options")
            if not isinstance(raw_options, dict) or not raw_options:
                self.fail(line, f"question {raw['id']!r}: a choice needs options")
            else:
                for key, labels in raw_options.items():
                    if not isinstance(labels, dict) or any(
                        not isinstance(labels.get(lang), str) for lang in LANGUAGES
                    ):
                        self.fail(line, f"option {key!r} of {raw['id']!r} needs en and fr labels")
                    else:
                        options[str(key)] = dict(labels)
        low, high = raw.get("min"), raw.get("max")
        for name, bound in (("min", low), ("max", high)):
            if bound is not None and (not _is_number(bound) or kind not in ("integer", "number")):
                self.fail(line, f"question {raw['id']!r}: {name} needs a number question and value")
        if kind == "scale":
            low, high = SCALE  # always 0 to 10
        if isinstance(low, int | float) and isinstance(high, int | float) and low > high:
            self.fail(line, f"question {raw['id']!r}: min {low} is above max {high}")
        ask_if = None
        if "ask_if" in raw:
            ask_if = self.condition(raw["ask_if"], line, f"ask_if of {raw['id']!r}")
        for key in raw:
            if key not in QUESTION_FIELDS:
                self.fail(line, f"question {raw['id']!r}: unknown field {key!r}")
        return Question(
            id=raw["id"],
            type=kind,
            text={k: str(v).strip() for k, v in text.items() if isinstance(v, str)},
            options=options,
            min=low if _is_number(low) else None,
            max=high if _is_number(high) else None,
            ask_if=ask_if,
            keywords=self.keywords(raw, line),
            simple={str(k): str(v).strip() for k, v in simple.items()}
            if isinstance(simple, dict)
            else {},
            line=line,
        )

    def keywords(self, raw: dict[str, Any], line: int) -> dict[str, tuple[str, ...]]:
        given = raw.get("keywords")
        if given is None:
            return {}
        found: dict[str, tuple[str, ...]] = {}
        for lang in LANGUAGES:
            words = given.get(lang) if isinstance(given, dict) else None
            if (
                not isinstance(words, list)
                or not words
                or not all(isinstance(word, str) and word.strip() for word in words)
            ):
                self.fail(line, f"question {raw['id']!r}: keywords need a non-empty {lang} list")
                continue
            found[lang] = tuple(word.strip() for word in words)
        return found

    def check_questions(self, questions: list[Question]) -> None:
        seen: dict[str, int] = {}
        for position, question in enumerate(questions):
            if question.id in seen:
                self.fail(question.line, f"question id {question.id!r} is used twice")
            seen.setdefault(question.id, position)
            condition = question.ask_if
            if condition is None:
                continue
            if condition.question == question.id:
                self.fail(question.line, f"{question.id!r} cannot depend on itself (ask_if loop)")
            elif condition.question not in seen:
                later = any(q.id == condition.question for q in questions)
                reason = "a later question (ask it first)" if later else "an unknown question"
                self.fail(
                    question.line,
                    f"ask_if of {question.id!r} refers to {reason}: {condition.question!r}",
                )
            else:
                self.check_value(condition, questions[seen[condition.question]])

    def conditions(
        self,
        data: dict[str, Any],
        key: str,
        questions: list[Question],
        *,
        within: Any = None,
        line: int = 1,
    ) -> tuple[Condition, ...]:
        """The conditions listed under `key` of `data` (whose YAML node is `within`, by default
        the file's; `line` when `key` is not in it)."""
        within = self.node if within is None else within
        raw = data.get(key, [])
        nodes = child(within, key)
        if not isinstance(raw, list):
            self.fail(key_lines(within).get(key, line), f"{key} must be a list of conditions")
            return ()
        by_id = {q.id: q for q in questions}
        found = []
        for index, item in enumerate(raw):
            line = item_line(nodes, index)
            condition = self.condition(item, line, key)
            if condition is None:
                continue
            question = by_id.get(condition.question)
            if question is None:
                self.fail(line, f"{key}: unknown question {condition.question!r}")
                continue
            self.check_value(condition, question)
            found.append(condition)
        return tuple(found)

    def condition(self, raw: Any, line: int, where: str) -> Condition | None:
        if not isinstance(raw, dict) or not isinstance(raw.get("question"), str):
            self.fail(line, f"{where}: a condition is {{question: id, <operator>: value}}")
            return None
        operators = [k for k in raw if k != "question"]
        if len(operators) != 1 or operators[0] not in OPERATORS:
            self.fail(line, f"{where}: one operator among {', '.join(OPERATORS)}")
            return None
        return Condition(raw["question"], operators[0], raw[operators[0]], line)

    def check_value(self, condition: Condition, question: Question) -> None:
        """The value must be one the question can have, and a range must be possible."""
        line, op, value = condition.line, condition.operator, condition.value
        values = value if op in ("in", "not_in", "between") else [value]
        if op in ("in", "not_in", "between") and not isinstance(value, list):
            self.fail(line, f"{op} needs a list")
            return
        if op == "between" and len(value) != 2:
            self.fail(line, "between needs [low, high]")
            return
        for item in values:
            problem = _impossible(question, item, op)
            if problem:
                self.fail(line, f"{condition.describe()}: {problem}")
                return
        if op == "between" and _as_comparable(question, value[0]) > _as_comparable(
            question, value[1]
        ):
            self.fail(line, f"{condition.describe()}: the range is empty (low above high)")


def _impossible(question: Question, value: Any, operator: str) -> str | None:
    """Why `value` can never be an answer to `question`, or None."""
    if operator in ("min", "max", "between") and question.type not in (*NUMERIC, "date"):
        return f"{operator} needs a number or date question, {question.id!r} is {question.type}"
    if question.type == "yes_no" and not isinstance(value, bool):
        return "a yes_no answer is true or false"
    if question.type == "choice" and value not in question.options:
        return f"{value!r} is not an option of {question.id!r}"
    if question.type in NUMERIC:
        if not _is_number(value):
            return f"{value!r} is not a number"
        if (question.min is not None and value < question.min) or (
            question.max is not None and value > question.max
        ):
            return f"{value} is outside the answers allowed ({question.min} to {question.max})"
    if question.type == "date" and as_date(value) is None:
        return f"{value!r} is not a date (YYYY-MM-DD)"
    return None


def _as_comparable(question: Question, value: Any) -> Any:
    return as_date(value) if question.type == "date" else value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def key_lines(node: Any) -> dict[str, int]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(key.value): key.start_mark.line + 1 for key, _ in node.value}


def child(node: Any, key: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        for name, value in node.value:
            if name.value == key:
                return value
    return None


def item_line(node: Any, index: int) -> int:
    if isinstance(node, yaml.SequenceNode) and index < len(node.value):
        return int(node.value[index].start_mark.line) + 1
    return 1
