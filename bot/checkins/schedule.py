"""A trial's check-ins: `knowledge/trials/<trial>/checkins.yml`, typed and checked.

Each check-in says when it goes, relative to the participant's enrolment (the day their chat
was linked) or to each of their visits, and which questions it asks: the eligibility file's
question types (`bot.screening.criteria`), plus a scale from 0 to 10. `symptoms` lists the
answers that report a side effect, as conditions in the eligibility format: such an answer opens
a safety event with its follow-up. Every problem is collected as `path:line: message`.

    trial: demo-asthma-002
    version: 1
    checkins:
      - id: week-1
        after_enrolment: {days: 7, at: "18:00"}   # the participant's local time
        answer_within: 48                          # hours; 48 if left out
        title: {en: "…", fr: "…"}
        questions: [...]
        symptoms: [{question: new_symptoms, equals: true}]
      - id: before-visit
        before_visit: {hours: 24}                  # or after_visit: {hours: 48}
        visit_kinds: [treatment]                   # optional: only these kinds of visit
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bot.files import Problem, read_yaml_mapping
from bot.i18n.languages import LANGUAGES
from bot.screening.criteria import (
    TYPES,
    Condition,
    Question,
    Reader,
    child,
    item_line,
    key_lines,
)

FILE = "checkins.yml"
QUESTION_TYPES: tuple[str, ...] = (*TYPES, "scale")
DEFAULT_WINDOW = dt.timedelta(hours=48)
Relative = Literal["after_enrolment", "before_visit", "after_visit"]
WHEN: tuple[Relative, ...] = ("after_enrolment", "before_visit", "after_visit")
_FIELDS = ("id", *WHEN, "answer_within", "title", "questions", "symptoms", "visit_kinds")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Checkin:
    id: str
    relative_to: Relative
    offset: dt.timedelta  # days after enrolment, or hours before/after a visit
    at: dt.time | None  # after enrolment: the local time of day it goes
    window: dt.timedelta  # answers are taken this long after it is due
    title: dict[str, str]
    questions: tuple[Question, ...]
    symptoms: tuple[Condition, ...]
    visit_kinds: tuple[str, ...] = ()  # empty: every visit
    line: int = 0

    def named(self, lang: str) -> str:
        """Its title in `lang`, else in English, else its id."""
        return self.title.get(lang) or self.title.get("en") or self.id

    def question(self, question_id: str | None) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def after(self, question_id: str | None) -> Question | None:
        """The question after `question_id` (None: the first), or None when it was the last."""
        ids = [q.id for q in self.questions]
        if question_id is None:
            return self.questions[0] if self.questions else None
        position = ids.index(question_id) + 1 if question_id in ids else len(ids)
        return self.questions[position] if position < len(ids) else None

    def for_visit(self, kind: str) -> bool:
        return self.relative_to != "after_enrolment" and (
            not self.visit_kinds or kind in self.visit_kinds
        )


@dataclass(frozen=True)
class Schedule:
    trial: str
    version: int
    checkins: tuple[Checkin, ...]
    path: Path

    def get(self, checkin_id: str) -> Checkin | None:
        return next((c for c in self.checkins if c.id == checkin_id), None)


def load_schedule(path: Path) -> tuple[Schedule | None, list[Problem]]:
    """The check-ins in `path`, or None with every reason they cannot be used."""
    read = read_yaml_mapping(path)
    if isinstance(read, Problem):
        return None, [read]
    return _ScheduleReader(path, read.node).read_schedule(read.data)


class _ScheduleReader(Reader):
    def __init__(self, path: Path, node: Any) -> None:
        super().__init__(path, node, QUESTION_TYPES)

    def read_schedule(self, data: dict[str, Any]) -> tuple[Schedule | None, list[Problem]]:
        lines = key_lines(self.node)
        trial = data.get("trial")
        if not isinstance(trial, str) or trial != self.path.parent.name:
            folder = self.path.parent.name
            self.fail(lines.get("trial", 1), f"trial must be the folder's name, {folder!r}")
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            self.fail(
                lines.get("version", 1),
                "version must be a whole number from 1, raised on every change",
            )
        raw = data.get("checkins")
        if not isinstance(raw, list) or not raw:
            self.fail(lines.get("checkins", 1), "checkins must be a non-empty list")
            raw = []
        nodes = child(self.node, "checkins")
        found: list[Checkin] = []
        seen: set[str] = set()
        for index, item in enumerate(raw):
            line = item_line(nodes, index)
            checkin = self.checkin(item, line, nodes.value[index] if nodes is not None else None)
            if checkin is None:
                continue
            if checkin.id in seen:
                self.fail(line, f"check-in id {checkin.id!r} is used twice")
            seen.add(checkin.id)
            found.append(checkin)
        for key in data:
            if key not in ("trial", "version", "checkins"):
                self.fail(lines.get(key, 1), f"unknown field {key!r}")
        if self.problems:
            return None, self.problems
        assert isinstance(version, int)
        return Schedule(str(trial), version, tuple(found), self.path), []

    def checkin(self, raw: Any, line: int, node: Any) -> Checkin | None:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            self.fail(line, "each check-in needs an id")
            return None
        name = raw["id"]
        if not _ID.match(name):
            self.fail(line, f"check-in id {name!r}: lower-case letters, digits, - and _ only")
        lines = key_lines(node)
        for key in raw:
            if key not in _FIELDS:
                self.fail(lines.get(key, line), f"check-in {name!r}: unknown field {key!r}")
        said = next((key for key in WHEN if key in raw), None)
        timing = self.timing(raw, lines.get(said, line) if said else line, name)
        window = self.window(raw.get("answer_within"), lines.get("answer_within", line), name)
        title = raw.get("title")
        if not isinstance(title, dict) or any(
            not str(title.get(lang) or "").strip() for lang in LANGUAGES
        ):
            needs = f"check-in {name!r} needs a title: {{en: …, fr: …}}"
            self.fail(lines.get("title", line), needs)
            title = {}
        raw_questions = raw.get("questions")
        if not isinstance(raw_questions, list) or not raw_questions:
            self.fail(lines.get("questions", line), f"check-in {name!r}: questions must be a list")
            raw_questions = []
        question_nodes = child(node, "questions")
        questions = [
            self.question(item, item_line(question_nodes, index))
            for index, item in enumerate(raw_questions)
        ]
        known = [q for q in questions if q is not None]
        self.check_questions(known)
        symptoms = self.conditions_in(raw, node, "symptoms", known, line)
        kinds = raw.get("visit_kinds", [])
        if not isinstance(kinds, list) or not all(isinstance(k, str) and k for k in kinds):
            self.fail(lines.get("visit_kinds", line), "visit_kinds must be a list of visit kinds")
            kinds = []
        if kinds and timing is not None and timing[0] == "after_enrolment":
            self.fail(lines.get("visit_kinds", line), "visit_kinds is for a check-in by visit")
        if timing is None or any(q is None for q in questions):
            return None
        relative_to, offset, at = timing
        return Checkin(
            id=name,
            relative_to=relative_to,
            offset=offset,
            at=at,
            window=window,
            title={lang: str(title.get(lang, "")).strip() for lang in LANGUAGES},
            questions=tuple(known),
            symptoms=symptoms,
            visit_kinds=tuple(kinds),
            line=line,
        )

    def timing(
        self, raw: dict[str, Any], line: int, name: str
    ) -> tuple[Relative, dt.timedelta, dt.time | None] | None:
        given = [key for key in WHEN if key in raw]
        if len(given) != 1:
            self.fail(line, f"check-in {name!r}: say when, with one of {', '.join(WHEN)}")
            return None
        relative_to = given[0]
        value = raw[relative_to]
        unit = "days" if relative_to == "after_enrolment" else "hours"
        allowed = {unit, "at"} if unit == "days" else {unit}
        amount = value.get(unit) if isinstance(value, dict) else None
        if (
            not isinstance(value, dict)
            or set(value) - allowed
            or not isinstance(amount, int | float)
            or isinstance(amount, bool)
            or amount < 0
        ):
            shape = '{days: 7, at: "18:00"}' if unit == "days" else "{hours: 24}"
            self.fail(line, f"check-in {name!r}: {relative_to} is {shape}")
            return None
        at = None
        if unit == "days":
            match = _TIME.match(str(value.get("at", "10:00")))
            if match is None:
                self.fail(line, f'check-in {name!r}: at is a local time such as "18:00"')
                return None
            at = dt.time(int(match[1]), int(match[2]))
        offset = dt.timedelta(**{unit: float(amount)})
        return relative_to, offset, at

    def window(self, value: Any, line: int, name: str) -> dt.timedelta:
        if value is None:
            return DEFAULT_WINDOW
        if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value <= 336:
            self.fail(line, f"check-in {name!r}: answer_within is a number of hours, 1 to 336")
            return DEFAULT_WINDOW
        return dt.timedelta(hours=float(value))

    def conditions_in(
        self, raw: dict[str, Any], node: Any, key: str, questions: list[Question], line: int
    ) -> tuple[Condition, ...]:
        """The conditions under `key` of one check-in (the eligibility file's are top-level)."""
        if key not in raw:
            return ()
        return self.conditions(raw, key, questions, within=node, line=line)
