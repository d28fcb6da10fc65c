"""`trialbot consent verify|export`, `retention purge` and `keys rotate` as staff run them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from bot.cli import app
from bot.consent import ledger
from bot.consent.ledger import Decision
from bot.crypto import Cipher
from bot.db.migrate import upgrade
from bot.db.models import Conversation, LanguageSource, Participant
from bot.db.session import create_db_engine
from bot.settings import Settings, get_settings


@pytest.fixture
def database(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[sessionmaker[Session]]:
    upgrade(database_url)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TRIALBOT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'no-tracker.db'}")
    monkeypatch.delenv("DATA_ENCRYPTION_KEY", raising=False)
    get_settings.cache_clear()
    engine = create_db_engine(database_url)
    sessions = sessionmaker(engine, expire_on_commit=False)
    with sessions.begin() as session:
        for who, consent in (
            ("web-a", "prescreening"),
            ("web-b", "reminders"),
            ("web-a", "contact"),
        ):
            ledger.append(
                session,
                sender_key=who,
                channel="web",
                consent_id=consent,
                version=1,
                language="en",
                text_sha256="c" * 64,
                decision=Decision.GRANTED,
            )
    yield sessions
    engine.dispose()
    get_settings.cache_clear()


def test_verify_passes_on_a_real_ledger_and_names_the_tampered_record(
    database: sessionmaker[Session],
) -> None:
    result = CliRunner().invoke(app, ["consent", "verify"])
    assert result.exit_code == 0, result.output
    assert "3 record(s), chain unbroken" in result.stdout
    with database.begin() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ALTER TABLE consent_ledger DISABLE TRIGGER USER"))
        else:
            session.execute(text("DROP TRIGGER consent_ledger_no_update"))
        session.execute(text("UPDATE consent_ledger SET consent_id = 'contact' WHERE seq = 2"))
    result = CliRunner().invoke(app, ["consent", "verify", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["broken"]["seq"] == 2
    assert "modified" in report["broken"]["reason"]


def test_export_gives_csv_and_json_for_the_trial_master_file(
    database: sessionmaker[Session], tmp_path: Path
) -> None:
    result = CliRunner().invoke(app, ["consent", "export", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["consent_id"] for r in rows] == ["prescreening", "reminders", "contact"]
    assert rows[0]["participant"] == rows[2]["participant"] != rows[1]["participant"]
    assert not any("web-a" in value for row in rows for value in row.values())
    target = tmp_path / "ledger.json"
    result = CliRunner().invoke(app, ["consent", "export", "--format", "json", "-o", str(target)])
    assert result.exit_code == 0, result.output
    exported = json.loads(target.read_text())
    assert exported["verified"] is True and exported["head"] == exported["records"][-1]["hash"]
    bad = CliRunner().invoke(app, ["consent", "export", "--format", "xml"])
    assert bad.exit_code == 1 and "csv or json" in bad.output


def test_retention_purge_reports_and_deletes(database: sessionmaker[Session]) -> None:
    with database.begin() as session:
        session.add(
            Conversation(
                channel="web",
                sender_key="web-old",
                language="en",
                language_source=LanguageSource.DEFAULT,
                last_seen_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
            )
        )
    dry = CliRunner().invoke(app, ["retention", "purge", "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["conversations"] == 1
    done = CliRunner().invoke(app, ["retention", "purge"])
    assert (
        done.exit_code == 0 and "Deleted 1 conversation(s) silent for over 180 days" in done.stdout
    )
    with database() as session:
        assert session.query(Conversation).count() == 0
        assert ledger.verify(session).records == 3  # the ledger is kept


def test_keys_rotate_adds_a_key_and_reencrypts(
    database: sessionmaker[Session], tmp_path: Path
) -> None:
    settings = Settings(TRIALBOT_VAR_DIR=tmp_path / "var")
    old = Cipher.from_settings(settings)  # creates the key file, as the first run does
    with database.begin() as session:
        session.add(
            Conversation(
                channel="telegram",
                sender_key="telegram-1",
                language="en",
                language_source=LanguageSource.DEFAULT,
                address=old.encrypt("4242"),
            )
        )
    result = CliRunner().invoke(app, ["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 1 value(s)" in result.stdout
    keys = settings.data_keys()
    assert len(keys) == 2 and (settings.data_key_file.stat().st_mode & 0o777) == 0o600
    with database() as session:
        address = session.query(Conversation.address).scalar()
    assert Cipher(keys[:1]).decrypt(address) == "4242"  # readable with the new key alone


def test_copy_prints_a_participant_s_decisions_for_the_trial_master_file(
    database: sessionmaker[Session], tmp_path: Path
) -> None:
    with database.begin() as session:
        session.add(Participant(code="S-042", trial="demo-t2d-001", sender_key="web-a"))
        session.add(Participant(code="S-043", trial="demo-t2d-001"))
    target = tmp_path / "S-042.pdf"
    result = CliRunner().invoke(
        app, ["consent", "copy", "--participant", "S-042", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert "Wrote 2 decision(s) of S-042" in result.stdout
    pages = PdfReader(target).pages
    words = " ".join(" ".join(page.extract_text().split()) for page in pages)
    assert "Consent decisions of participant S-042" in words and len(pages) == 2
    # The ledger holds no text for these records: the copy says so rather than inventing one.
    assert "the text of this version is not held by this site" in words
    unlinked = CliRunner().invoke(app, ["consent", "copy", "--participant", "S-043", "-o", "x.pdf"])
    said = " ".join(unlinked.stderr.split())
    assert unlinked.exit_code == 1
    assert "has made no consent decision (their chat is not linked yet)" in said
    unknown = CliRunner().invoke(app, ["consent", "copy", "--participant", "NOPE", "-o", "x.pdf"])
    assert unknown.exit_code == 1 and "no participant 'NOPE'" in unknown.stderr
