"""Text left for the study site to complete: marked in a demo, refused in production."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.consent.texts import load_consents
from bot.knowledge.entries import parse_entry
from bot.knowledge.placeholders import find_placeholders, mark_for_patients, start_blocker
from bot.lint import lint
from bot.settings import PROJECT_ROOT, get_settings
from tests.knowledge.conftest import SHARED_CACHE

KNOWLEDGE = PROJECT_ROOT / "knowledge"


@pytest.fixture
def production(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The environment of a production start, with the secrets it needs."""
    env = {
        "TRIALBOT_ENV": "production",
        "TRIALBOT_VAR_DIR": str(tmp_path / "var"),
        "TRIALBOT_CACHE_DIR": str(SHARED_CACHE),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "RASA_AUTH_TOKEN": "test-token",
        "ACTION_SERVER_TOKEN": "test-action-server-token",
        "PSEUDONYM_KEY": "test-key",
        "DATA_ENCRYPTION_KEY": "test-encryption-key",
        "STAFF_API_TOKEN": "test-staff-api-token",
        "TRIALBOT_KNOWLEDGE_DIR": str(KNOWLEDGE),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_consent_texts_show_the_gap_in_the_patients_words_not_raw_brackets() -> None:
    texts = load_consents(KNOWLEDGE).texts
    assert texts
    for text in texts:
        assert not re.search(r"\[[^\]]*(COMPLETE|COMPLÉTER)", text.body, re.IGNORECASE), text.path
    marked = {"en": "(to be completed by the study site", "fr": "(à compléter par le centre"}
    assert all(marked[t.lang] in t.body for t in texts if find_placeholders_in(t.path))


def find_placeholders_in(path: Path | None) -> bool:
    return any(gap.path == path for gap in find_placeholders(KNOWLEDGE))


def test_in_development_a_gap_is_a_warning() -> None:
    report = lint(KNOWLEDGE, None)
    gaps = [p for p in report.warnings if "to complete is shown to patients" in p.message]
    assert {p.path.name for p in gaps} >= {"prescreening.en.md", "prescreening.fr.md"}
    assert not [p for p in report.errors if "to complete" in p.message]


def test_in_production_every_gap_is_an_error_with_its_file_and_line() -> None:
    report = lint(KNOWLEDGE, None, production=True)
    gaps = [p for p in report.errors if "to complete is shown to patients" in p.message]
    consent = KNOWLEDGE / "consent"
    expected = {
        (consent / f"{name}.{lang}.md", 22)
        for name in ("contact", "prescreening", "reminders")
        for lang in ("en", "fr")
    }
    assert {(p.path, p.line) for p in gaps} == expected


def test_kb_lint_exits_1_in_production_and_0_in_development(
    production: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = CliRunner().invoke(app, ["kb", "lint", "--fast"])
    assert result.exit_code == 1
    assert re.search(
        r"knowledge/consent/prescreening\.en\.md:22: text left for the study site", result.stdout
    ), result.stdout
    monkeypatch.setenv("TRIALBOT_ENV", "development")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["kb", "lint", "--fast"])
    assert result.exit_code == 0, result.output
    assert "(warning)" in result.stdout


@pytest.mark.parametrize("command", ["run", "serve"])
def test_production_refuses_to_start_with_a_gap_in_one_clear_line(
    production: None, command: str
) -> None:
    result = CliRunner().invoke(app, [command])
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert re.search(r"knowledge/consent/\w+\.(en|fr)\.md:22", message)
    assert "write the site's own text" in message and "Traceback" not in result.output


def test_a_finished_folder_starts_and_a_demo_always_does(tmp_path: Path) -> None:
    assert start_blocker(KNOWLEDGE, production=False) is None
    assert start_blocker(KNOWLEDGE, production=True) is not None
    finished = tmp_path / "knowledge"
    (finished / "consent").mkdir(parents=True)
    (finished / "consent" / "contact.en.md").write_text("Write to dpo@example.org.\n")
    assert start_blocker(finished, production=True) is None


def test_gaps_in_trial_facts_are_found_but_not_in_comments(tmp_path: Path) -> None:
    trial = tmp_path / "knowledge" / "trials" / "demo"
    trial.mkdir(parents=True)
    (trial / "sites.yml").write_text(
        "# [TODO: add the second site]\n"
        "sites:\n"
        "  - name: Hôpital Nord\n"
        "    address: {en: '[SITE TO COMPLETE: street]', fr: '[À COMPLÉTER : rue]'}  # [TBD]\n",
        encoding="utf-8",
    )
    gaps = find_placeholders(tmp_path / "knowledge")
    assert [(g.line, g.text) for g in gaps] == [
        (4, "[SITE TO COMPLETE: street]"),
        (4, "[À COMPLÉTER : rue]"),
    ]


def test_a_gap_in_an_answer_is_shown_as_a_note_in_the_patients_language(tmp_path: Path) -> None:
    for lang in ("en", "fr"):
        source = (KNOWLEDGE / "faq" / lang / "contact_team.md").read_text(encoding="utf-8")
        folder = tmp_path / lang
        folder.mkdir()
        path = folder / "contact_team.md"
        path.write_text(source.rstrip() + "\n\nPhone: [SITE TO COMPLETE: phone number]\n")
        entry, problems = parse_entry(path)
        assert entry is not None, problems
        shown = entry.render_body("112")
        assert "[SITE TO COMPLETE" not in shown
        note = (
            "(to be completed by the study site)" if lang == "en" else "(à compléter par le centre"
        )
        assert note in shown


def test_ordinary_parentheses_and_brackets_are_not_gaps() -> None:
    text = "Fill in your diary (to be completed each evening) [see page 2]."
    assert mark_for_patients(text, "en") == text
