"""Broken criteria files are reported with file and line, by the loader and by `kb lint`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.lint import lint
from bot.screening.criteria import load_criteria
from bot.settings import PROJECT_ROOT

GOOD = PROJECT_ROOT / "knowledge" / "trials" / "demo-t2d-001" / "eligibility.yml"


@pytest.fixture
def criteria_file(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge" / "trials" / "demo-t2d-001" / "eligibility.yml"
    target.parent.mkdir(parents=True)
    shutil.copy(GOOD, target)
    return target


def _problems(path: Path) -> list[str]:
    criteria, problems = load_criteria(path)
    assert criteria is None
    return [f"{p.line}: {p.message}" for p in problems]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _line(path: Path, needle: str) -> int:
    return next(n for n, text in enumerate(path.read_text().splitlines(), 1) if needle in text)


def test_the_demo_trials_load_cleanly() -> None:
    for trial in ("demo-t2d-001", "demo-asthma-002"):
        criteria, problems = load_criteria(GOOD.parents[1] / trial / "eligibility.yml")
        assert criteria is not None and problems == []


def test_an_unknown_question_in_a_criterion(criteria_file: Path) -> None:
    _edit(
        criteria_file, "{question: metformin, equals: true}", "{question: metforminn, equals: true}"
    )
    line = _line(criteria_file, "metforminn")
    assert _problems(criteria_file) == [f"{line}: inclusion: unknown question 'metforminn'"]


def test_an_impossible_range(criteria_file: Path) -> None:
    _edit(criteria_file, "{question: age, between: [18, 75]}", "{question: age, between: [75, 18]}")
    (problem,) = _problems(criteria_file)
    line = _line(criteria_file, "between: [75, 18]")
    assert problem.startswith(f"{line}: age between 75 and 18: the range is empty")
    _edit(criteria_file, "between: [75, 18]", "between: [18, 175]")
    (problem,) = _problems(criteria_file)
    assert "175 is outside the answers allowed (0 to 120)" in problem


def test_ask_if_on_a_later_question_or_itself(criteria_file: Path) -> None:
    _edit(
        criteria_file,
        "ask_if: {question: diabetes_type, equals: type_2}",
        "ask_if: {question: sex, equals: female}",
    )
    (problem,) = _problems(criteria_file)
    assert (
        "ask_if of 'diagnosed_6_months' refers to a later question (ask it first): 'sex'" in problem
    )
    _edit(
        criteria_file,
        'ask_if: {question: sex, equals: female}\n    text:\n      en: "Were',
        'ask_if: {question: diagnosed_6_months, equals: true}\n    text:\n      en: "Were',
    )
    (problem,) = _problems(criteria_file)
    assert "cannot depend on itself" in problem


def test_a_missing_translation_and_a_wrong_option(criteria_file: Path) -> None:
    _edit(
        criteria_file,
        '      fr: "Êtes-vous actuellement sous dialyse pour une maladie des reins ?"\n',
        "",
    )
    _edit(
        criteria_file,
        "{question: diabetes_type, equals: type_1}",
        "{question: diabetes_type, equals: type_3}",
    )
    problems = _problems(criteria_file)
    assert any("question 'dialysis' has no fr text" in p for p in problems)
    assert any("'type_3' is not an option of 'diabetes_type'" in p for p in problems)


def test_kb_lint_reports_criteria_problems(criteria_file: Path) -> None:
    _edit(criteria_file, "version: 3", "version: first")
    root = criteria_file.parents[2]
    shutil.copytree(PROJECT_ROOT / "knowledge" / "faq", root / "faq")
    shutil.copy(PROJECT_ROOT / "knowledge" / "topics.yml", root / "topics.yml")
    report = lint(root, None)
    assert any(
        p.path == criteria_file and "version must be a whole number" in p.message
        for p in report.errors
    )


def test_keywords_need_both_languages_and_unknown_fields_are_named(criteria_file: Path) -> None:
    _edit(criteria_file, "keywords: {en: [dialys], fr: [dialys]}", "keywords: {en: [dialys]}")
    _edit(criteria_file, "    type: yes_no\n", "    type: yes_no\n    hint: ignored\n")
    problems = _problems(criteria_file)
    line = _line(criteria_file, "- id: dialysis")
    assert f"{line}: question 'dialysis': keywords need a non-empty fr list" in problems
    assert any("unknown field 'hint'" in problem for problem in problems)


def test_a_simpler_wording_needs_both_languages(criteria_file: Path) -> None:
    _edit(
        criteria_file,
        'simple: {en: "Are you on dialysis?", fr: "Êtes-vous sous dialyse ?"}',
        'simple: {en: "Are you on dialysis?"}',
    )
    line = _line(criteria_file, "id: dialysis")
    assert _problems(criteria_file) == [f"{line}: question 'dialysis': simple needs an fr text"]
