"""`trialbot checkins list`: every participant's check-ins and their state for a script or a
person; one participant's answers in words, a read of health data the audit log keeps."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.crypto import Cipher
from bot.db.models import CheckinStatus, StaffAudit, utcnow
from bot.db.session import create_db_engine, make_session_factory
from bot.settings import get_settings
from tests.checkins.test_report import HOUR, add_checkin, enrol, stored

KEYS = {
    "id", "participant", "trial", "checkin", "title", "occasion", "due_at", "closes_at", "state",
    "sent_at", "answered_at", "channel", "safety_event_id",
}  # fmt: skip


def run(*args: str) -> Result:
    return CliRunner().invoke(app, ["checkins", "list", *args])


def as_json(*args: str) -> Any:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def sessions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[sessionmaker[Session]]:
    """The command line's own database (SQLite under var/), migrated, with two participants:
    P-1 answered their first week and has not answered since the day before; P-2 has one
    check-in to come."""
    monkeypatch.setenv("TRIALBOT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DATABASE_URL", "")
    get_settings.cache_clear()
    assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0
    settings = get_settings()
    cipher = Cipher.from_settings(settings)  # the key the command reads with
    engine = create_db_engine(settings.db_url)
    now = utcnow()
    factory = make_session_factory(engine)
    with factory.begin() as session:
        one, two = enrol(session, "P-1"), enrol(session, "P-2", "demo-t2d-001")
        add_checkin(
            session, one, "week-1", status=CheckinStatus.ANSWERED, occasion="enrolment",
            due_at=now - 72 * HOUR, answered_at=now - 71 * HOUR,
            answers=stored(cipher, {"breathing": 8, "missed_doses": 0, "new_symptoms": True}),
        )  # fmt: skip
        add_checkin(session, one, "after-visit", due_at=now - 26 * HOUR)
        add_checkin(session, two, "week-2", status=CheckinStatus.SCHEDULED, due_at=now + 48 * HOUR)
    try:
        yield factory
    finally:
        engine.dispose()
        get_settings.cache_clear()


def audited(sessions: sessionmaker[Session]) -> list[tuple[str, str | None, dict[str, Any]]]:
    with sessions() as session:
        rows = session.scalars(select(StaffAudit).order_by(StaffAudit.id))
        return [(row.action, row.subject, row.detail) for row in rows]


def test_list_as_json_gives_each_check_in_and_its_state(sessions: sessionmaker[Session]) -> None:
    rows = as_json()
    assert [(r["participant"], r["checkin"], r["state"]) for r in rows] == [
        ("P-1", "week-1", "answered"),
        ("P-1", "after-visit", "overdue"),
        ("P-2", "week-2", "scheduled"),
    ]
    assert all(set(row) == KEYS for row in rows)  # no answers in a list of everyone
    first = rows[0]
    assert first["title"] == "Your first-week check-in" and first["occasion"] == "enrolment"
    assert dt.datetime.fromisoformat(first["closes_at"]).utcoffset() == dt.timedelta(0)
    assert [r["participant"] for r in as_json("--trial", "demo-t2d-001")] == ["P-2"]
    assert audited(sessions) == []  # no health data was read


def test_one_participant_with_answers_in_words_is_audited(
    sessions: sessionmaker[Session],
) -> None:
    first, overdue = as_json("--participant", "P-1")
    assert [(a["question"], a["answer"]) for a in first["answers"]] == [
        ("breathing", "8"),
        ("missed_doses", "0"),
        ("new_symptoms", "Yes"),
    ]
    assert first["answers"][2]["value"] is True and first["stopped"] is False
    assert (overdue["state"], overdue["answers"]) == ("overdue", [])
    french = as_json("--participant", "P-1", "--lang", "fr")
    assert french[0]["answers"][2]["answer"] == "Oui"
    assert french[0]["title"] == "Votre point de la première semaine"
    assert audited(sessions) == [
        ("checkins.view", "participant:P-1", {"count": 2}),
        ("checkins.view", "participant:P-1", {"count": 2}),
    ]
    with sessions() as session:
        actors = set(session.scalars(select(StaffAudit.actor)))
    assert len(actors) == 1 and actors.pop().startswith("cli:")


def test_the_table_says_the_state_and_the_answers(sessions: sessionmaker[Session]) -> None:
    everyone = run()
    assert everyone.exit_code == 0, everyone.output
    assert "overdue" in everyone.stdout and "week-2" in everyone.stdout
    assert "Yes" not in everyone.stdout
    one = run("--participant", "P-1")
    assert one.exit_code == 0, one.output
    said = " ".join(one.stdout.split())
    assert "P-1: 1 answered, 0 missed, 1 overdue" in said
    assert "Yes" in said and "How has your breathing been" in said


def test_an_unknown_participant_is_an_error_in_json_too(sessions: sessionmaker[Session]) -> None:
    result = run("--participant", "P-9", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"error": "no participant 'P-9'"}
    said = run("--participant", "P-9")
    assert said.exit_code == 1 and said.stdout == ""
    assert "no participant 'P-9'" in said.stderr
    unknown = run("--trial", "demo-xyz", "--json")
    assert unknown.exit_code == 1
    assert json.loads(unknown.stdout)["error"].startswith("unknown trial 'demo-xyz'")
    assert audited(sessions) == []
