"""Staff edit the files by hand: every mistake is named with its file and line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.knowledge.entries import load_faq, parse_entry, unwrap
from bot.lint import lint
from bot.settings import PROJECT_ROOT

GOOD = """---
id: cost
lang: en
title: Does it cost anything?
questions:
  - Do I have to pay?
source:
  name: Example
  url: https://example.org/cost
reviewed_by: Site research coordination team
reviewed_on: 2026-11-20
review_due: 2027-11-20
---
Usually not. Ask the study team.
"""


def _write(tmp_path: Path, text: str, name: str = "cost.md", lang: str = "en") -> Path:
    path = tmp_path / "faq" / lang / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _problems(tmp_path: Path, text: str) -> list[str]:
    entry, problems = parse_entry(_write(tmp_path, text))
    assert entry is None
    return [f"{p.line}: {p.message}" for p in problems]


def test_a_good_entry_parses(tmp_path: Path) -> None:
    entry, problems = parse_entry(_write(tmp_path, GOOD))
    assert problems == [] and entry is not None
    assert entry.reviewed_on == dt.date(2026, 11, 20)
    assert entry.body == "Usually not. Ask the study team."


def test_broken_yaml_names_its_line(tmp_path: Path) -> None:
    broken = GOOD.replace("title: Does it cost anything?", "title: [Does it cost")
    (problem,) = _problems(tmp_path, broken)
    assert problem.startswith("4: front matter is not valid YAML")


def test_missing_fields_bad_dates_and_empty_answers_are_reported(tmp_path: Path) -> None:
    text = GOOD.replace("reviewed_on: 2026-11-20", "reviewed_on: 2026-13-40")
    text = text.replace("source:\n  name: Example\n  url: https://example.org/cost\n", "")
    text = text.replace("Usually not. Ask the study team.\n", "")
    problems = _problems(tmp_path, text)
    assert "1: missing field 'source'" in problems
    assert "8: reviewed_on must be a date written YYYY-MM-DD, not '2026-13-40'" in problems
    assert any(p.startswith("11: the answer is empty") for p in problems)


def test_the_id_must_match_the_file_and_the_folder_the_language(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path, GOOD.replace("lang: en", "lang: fr").replace("id: cost", "id: costs")
    )
    assert "2: id 'costs' does not match the file name 'cost.md'" in problems
    assert "3: lang 'fr' but the file is in the en/ folder" in problems


def test_an_unknown_placeholder_is_caught(tmp_path: Path) -> None:
    problems = _problems(tmp_path, GOOD.replace("Usually not.", "Call {phone_number}."))
    assert any("unknown placeholder {phone_number}" in p for p in problems)


def test_the_shipped_knowledge_is_lint_clean() -> None:
    report = lint(PROJECT_ROOT / "knowledge", embedder=None)
    assert [p.render() for p in report.errors] == []
    assert len(report.entries) >= 60


def test_every_standard_topic_exists_in_both_languages() -> None:
    import yaml

    topics = yaml.safe_load((PROJECT_ROOT / "knowledge" / "topics.yml").read_text())
    assert len(topics) == 30
    entries = load_faq(PROJECT_ROOT / "knowledge").entries
    for lang in ("en", "fr"):
        ids = {e.id for e in entries if e.lang == lang}
        assert set(topics) <= ids, sorted(set(topics) - ids)


def test_lint_finds_missing_translations_unknown_trials_and_expired_entries(
    knowledge_copy: Path,
) -> None:
    (knowledge_copy / "faq" / "fr" / "placebo.md").unlink()
    cost = knowledge_copy / "faq" / "en" / "cost.md"
    cost.write_text(cost.read_text().replace("review_due: 2027-11-20", "review_due: 2026-12-01"))
    visits = knowledge_copy / "faq" / "en" / "visits-demo-t2d-001.md"
    visits.write_text(visits.read_text().replace("[demo-t2d-001]", "[no-such-trial]"))
    report = lint(knowledge_copy, embedder=None, today=dt.date(2026, 11, 23))
    errors = [p.render(knowledge_copy) for p in report.errors]
    assert any("faq/en/placebo.md" in e and "no fr version" in e for e in errors)
    assert any(
        "visits-demo-t2d-001.md" in e and "unknown trial 'no-such-trial'" in e for e in errors
    )
    warnings = [p.render(knowledge_copy) for p in report.warnings]
    assert any("faq/en/cost.md" in w and "review due on 2026-12-01" in w for w in warnings)
    expired = lint(knowledge_copy, embedder=None, today=dt.date(2026, 12, 2))
    assert any("cost.md" in p.render() and "expired" in p.message for p in expired.errors)


def test_lint_names_the_file_and_line_of_a_topic_also_answered_that_does_not_exist(
    knowledge_copy: Path,
) -> None:
    visits = knowledge_copy / "faq" / "fr" / "visits-demo-asthma-002.md"
    visits.write_text(visits.read_text().replace("also: [duration]", "also: [durée]"))
    errors = [p.render(knowledge_copy) for p in lint(knowledge_copy, embedder=None).errors]
    assert any(
        "faq/fr/visits-demo-asthma-002.md:6" in e and "'durée' is not a general entry" in e
        for e in errors
    ), errors


@pytest.mark.parametrize(
    ("markdown", "shown"),
    [
        ("One sentence\nwrapped in two.", "One sentence wrapped in two."),
        ("First.\n\nSecond\nparagraph.", "First.\n\nSecond paragraph."),
        ("Intro:\n- one item\n  that goes on\n- two", "Intro:\n- one item that goes on\n- two"),
        ("1. first\n2. second", "1. first\n2. second"),
        ("Address:  \n1 rue de la Paix\\\nParis", "Address:\n1 rue de la Paix\nParis"),
    ],
)
def test_wrapped_markdown_is_unwrapped(markdown: str, shown: str) -> None:
    assert unwrap(markdown) == shown


def test_questions_not_to_answer_are_read_and_their_mistakes_named(tmp_path: Path) -> None:
    _write(tmp_path, GOOD)
    declined = tmp_path / "faq" / "en" / "out_of_scope.yml"
    declined.write_text(
        "# not for the knowledge base\n"
        "questions:\n"
        "  - how much ibuprofen can I take\n"
        "  - \n"
        "  - How much ibuprofen can I take?\n"
        "  - do i have to pay\n",
        encoding="utf-8",
    )
    loaded = load_faq(tmp_path)
    assert loaded.declined == {"en": ["how much ibuprofen can I take"]}
    assert [(p.path.name, p.line, p.message) for p in loaded.problems] == [
        ("out_of_scope.yml", 4, "each question must be a non-empty text"),
        ("out_of_scope.yml", 5, "'How much ibuprofen can I take?' is listed twice"),
        (
            "out_of_scope.yml",
            6,
            "'do i have to pay' is also a question of faq/en/cost.md: "
            "a question cannot be both answered and declined",
        ),
    ]


def test_a_file_of_questions_not_to_answer_without_its_list_is_named(tmp_path: Path) -> None:
    _write(tmp_path, GOOD)
    (tmp_path / "faq" / "en" / "out_of_scope.yml").write_text("question: [a]\n")
    (problem,) = load_faq(tmp_path).problems
    assert (problem.line, problem.message) == (
        1,
        "needs `questions:`, a list of questions not to answer",
    )
