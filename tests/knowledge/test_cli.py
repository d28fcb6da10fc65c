"""`trialbot kb ask`, `kb lint` and `kb stats` as a coordinator or a script uses them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.db.migrate import upgrade
from bot.settings import PROJECT_ROOT, get_settings
from tests.knowledge.conftest import SHARED_CACHE


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    database = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(database)
    env = {
        "TRIALBOT_VAR_DIR": str(tmp_path / "var"),
        "TRIALBOT_CACHE_DIR": str(SHARED_CACHE),
        "DATABASE_URL": database,
        "PSEUDONYM_KEY": "test-key",
        # --knowledge sets this for the processes a command starts; restored after each test.
        "TRIALBOT_KNOWLEDGE_DIR": str(PROJECT_ROOT / "knowledge"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield env
    get_settings.cache_clear()


def test_ask_prints_the_contracts_json(cli_env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["kb", "ask", "Could I get a sugar pill instead?", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["answered"] is True and answer["entry_id"] == "placebo"
    assert set(answer) == {
        "answered",
        "entry_id",
        "lang",
        "score",
        "answer",
        "source",
        "reviewed_on",
    }
    assert answer["source"]["url"].startswith("https://")


def test_ask_reads_json_lines_and_answers_each(cli_env: dict[str, str]) -> None:
    lines = "\n".join(
        [
            json.dumps(
                {
                    "text": "est-ce que je serai indemnisé pour mes frais de transport ?",
                    "lang": "fr",
                }
            ),
            json.dumps({"text": "what is the capital of Peru?"}),
            "this is not json",
        ]
    )
    result = CliRunner().invoke(app, ["kb", "ask", "-"], input=lines + "\n")
    assert result.exit_code == 0, result.output
    first, second, third = (json.loads(line) for line in result.stdout.splitlines())
    assert first["entry_id"] == "compensation" and first["lang"] == "fr"
    assert second["answered"] is False and second["reason"] == "low_confidence"
    assert len(second["candidates"]) == 3
    assert "error" in third


def test_lint_is_clean_on_the_shipped_files(cli_env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["kb", "lint"])
    assert result.exit_code == 0, result.output


def test_lint_fails_with_path_and_line(cli_env: dict[str, str], knowledge_copy: Path) -> None:
    path = knowledge_copy / "faq" / "fr" / "cost.md"
    path.write_text(path.read_text().replace("review_due: 2027-11-20", "review_due: demain"))
    result = CliRunner().invoke(app, ["kb", "lint", "--fast", "--knowledge", str(knowledge_copy)])
    assert result.exit_code == 1
    assert "knowledge/faq/fr/cost.md:" in result.stdout
    assert "review_due must be a date written YYYY-MM-DD, not 'demain'" in result.stdout


def test_stats_counts_entries(cli_env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["kb", "stats", "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert stats["entries"]["en"] == stats["entries"]["fr"] >= 30
    assert stats["top_unanswered"] == []


def test_stats_lists_the_most_asked_unanswered_questions(cli_env: dict[str, str]) -> None:
    from sqlalchemy.orm import Session

    from bot.crypto import Cipher
    from bot.db.session import create_db_engine
    from bot.knowledge.gaps import record_unanswered

    settings = get_settings()
    engine = create_db_engine(settings.db_url)
    with Session(engine) as session, session.begin():
        for text in [
            "Is there parking at the hospital?",
            "is there  PARKING at the hospital?",
            "wifi?",
        ]:
            record_unanswered(
                session,
                cipher=Cipher.from_settings(settings),
                sender_key="web-abc",
                text=text,
                language="en",
                reason="low_confidence",
                candidates=[],
            )
    engine.dispose()
    result = CliRunner().invoke(app, ["kb", "stats", "--json"])
    top = json.loads(result.stdout)["top_unanswered"]
    assert [(g["text"], g["count"]) for g in top] == [
        ("is there  PARKING at the hospital?", 2),
        ("wifi?", 1),
    ]


def test_lint_checks_channel_options(cli_env: dict[str, str], knowledge_copy: Path) -> None:
    path = knowledge_copy / "trials" / "demo-t2d-001" / "trial.yml"
    good = "channels:\n  whatsapp:\n    reminder_template: dmx_reminder\n"
    path.write_text(path.read_text() + good + "    template_languages: {en: en_GB}\n")
    args = ["kb", "lint", "--fast", "--knowledge", str(knowledge_copy)]
    assert CliRunner().invoke(app, args).exit_code == 0
    path.write_text(path.read_text() + "    answer_template: [one, two]\n")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "whatsapp:" in text)
    assert f"trials/demo-t2d-001/trial.yml:{line}" in result.stdout
    assert "answer_template: must be a word, or a mapping of words" in result.stdout
