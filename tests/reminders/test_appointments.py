"""Appointments from staff's CSV, with their reminders; each bad line named with its reason."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from bot.cli import app
from bot.db.models import Appointment, AppointmentStatus, Reminder, ReminderStatus
from bot.reminders import appointments, participants, report
from bot.settings import PROJECT_ROOT, get_settings
from bot.trials import read_catalogue

TRIALS = read_catalogue(PROJECT_ROOT / "knowledge")
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
ASTHMA_SITES = ", ".join(sorted(TRIALS["demo-asthma-002"].sites))
HEADER = "participant_code,trial,site,starts_at,timezone,kind\n"


@pytest.fixture
def enrolled(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with sessions.begin() as session:
        participants.add(session, "P-1", "demo-t2d-001", set(TRIALS))
        participants.add(session, "P-2", "demo-asthma-002", set(TRIALS))
    return sessions


def test_good_lines_are_scheduled_and_bad_ones_named(enrolled: sessionmaker[Session]) -> None:
    text = HEADER + "\n".join(
        [
            "P-1,demo-t2d-001,paris-nord,2026-12-10T09:00:00,Europe/Paris,screening visit",
            "P-1,demo-t2d-001,paris-nord,2026-12-10T09:00:00,Europe/Paris,screening visit",
            "P-9,demo-t2d-001,paris-nord,2026-12-11T09:00:00,Europe/Paris,week 4",
            "P-1,demo-t2d-001,paris-nord,2026-12-12T09:00:00,Europe/Pariss,week 4",
            "P-1,demo-t2d-001,paris-nord,2026-11-30T09:00:00,Europe/Paris,week 0",
            "P-1,demo-t2d-001,lyon,2026-12-14T09:00:00,Europe/Paris,week 8",
            "P-1,demo-t2d-001,paris-sud,14/12/2026 9h,Europe/Paris,week 8",
            "P-2,demo-t2d-001,paris-sud,2026-12-20T09:00:00,Europe/Paris,week 8",
            "P-2,demo-asthma-002,lyon-centre,2026-12-20T08:00:00Z,Europe/Paris,week 8",
        ]
    )
    with enrolled.begin() as session:
        imported = appointments.import_csv(session, text, TRIALS, NOW)
    assert [(s.line, s.reminders) for s in imported.scheduled] == [(2, 3)]
    assert imported.rejected == [
        (3, "duplicate: P-1 already has this screening visit"),
        (4, "unknown participant 'P-9'"),
        (5, "unknown time zone 'Europe/Pariss' (use Area/City)"),
        (6, "2026-11-30T09:00:00 is in the past"),
        (7, "unknown site 'lyon' (known: paris-nord, paris-sud)"),
        (8, "starts_at '14/12/2026 9h' is not an ISO-8601 date and time"),
        (9, "participant 'P-2' is enrolled in demo-asthma-002, not demo-t2d-001"),
        (
            10,
            f"unknown site 'lyon-centre' (known: {ASTHMA_SITES})",
        ),
    ]
    with enrolled() as session:
        (row,) = report.appointments(session)
        assert row["local_time"] == "2026-12-10T09:00:00+01:00" and row["status"] == "scheduled"
        due = [r["due_at"] for r in report.reminders(session, "P-1")]
        # 72 h and 24 h before at 09:00 Paris (08:00 UTC); 2 h before is 07:00, in the quiet
        # hours, so 20:00 the evening before (19:00 UTC).
        assert due == [
            "2026-12-07T08:00:00+00:00",
            "2026-12-09T08:00:00+00:00",
            "2026-12-09T19:00:00+00:00",
        ]


def test_a_missing_column_rejects_the_file(enrolled: sessionmaker[Session]) -> None:
    with enrolled.begin() as session:
        imported = appointments.import_csv(session, "participant_code,trial\nP-1,x\n", TRIALS)
    assert imported.rejected == [(1, "missing column(s): site, starts_at, timezone, kind")]


def test_moving_or_cancelling_carries_the_reminders(enrolled: sessionmaker[Session]) -> None:
    line = "P-1,demo-t2d-001,paris-nord,2027-01-20T14:00:00+01:00,Europe/Paris,week 4\n"
    with enrolled.begin() as session:
        (scheduled,) = appointments.import_csv(session, HEADER + line, TRIALS).scheduled
        appointment = scheduled.appointment
        moved = appointments.move(
            session,
            appointment,
            dt.datetime(2027, 1, 27, 13, 0, tzinfo=dt.UTC),
            TRIALS["demo-t2d-001"],
        )
        assert len(moved) == 3
    with enrolled.begin() as session:
        statuses = session.scalars(select(Reminder.status).order_by(Reminder.id)).all()
        assert statuses == [ReminderStatus.CANCELLED] * 3 + [ReminderStatus.SCHEDULED] * 3
        stored = session.get(Appointment, appointment.id)
        assert stored is not None
        assert appointments.cancel(session, stored) == 3
    with enrolled() as session:
        assert set(session.scalars(select(Reminder.cancel_reason))) == {
            "appointment moved",
            "appointment cancelled",
        }
        assert session.scalars(select(Appointment.status)).one() == AppointmentStatus.CANCELLED


def test_the_cli_imports_and_lists_in_the_contract_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIALBOT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DATABASE_URL", "")
    get_settings.cache_clear()
    runner = CliRunner()
    csv_file = tmp_path / "visits.csv"
    csv_file.write_text(
        HEADER
        + "S-1,demo-asthma-002,"
        + sorted(TRIALS["demo-asthma-002"].sites)[0]
        + ",2030-03-05T10:30:00,Europe/Paris,week 0\nS-1,demo-asthma-002,nowhere,x,UTC,week 1\n"
    )
    try:
        assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
        added = runner.invoke(app, ["participants", "add", "S-1", "--trial", "demo-asthma-002"])
        assert added.exit_code == 0, added.output
        imported = runner.invoke(app, ["appointments", "import", str(csv_file), "--json"])
        assert imported.exit_code == 1  # a line was rejected: scripts must notice
        result = json.loads(imported.stdout)
        assert [s["line"] for s in result["scheduled"]] == [2]
        assert (
            result["rejected"][0]["line"] == 3 and "unknown site" in result["rejected"][0]["reason"]
        )
        listed = json.loads(runner.invoke(app, ["appointments", "list", "--json"]).stdout)
        assert [(a["participant_code"], a["status"], a["local_time"]) for a in listed] == [
            ("S-1", "scheduled", "2030-03-05T10:30:00+01:00")
        ]
        shown = runner.invoke(app, ["reminders", "list", "--participant", "S-1", "--json"])
        assert [(r["status"], r["channel"]) for r in json.loads(shown.stdout)] == [
            ("scheduled", None)
        ] * 3
    finally:
        get_settings.cache_clear()
