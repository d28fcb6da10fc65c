"""What staff do at the command line or through the staff API is in the audit log, as on the pages.

A reviewer reads who (`cli:<user>` or `api-token`), what and to what; a command that fails leaves
no trace, because the record is written in the action's own transaction.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.crypto import Cipher
from bot.db.models import StaffAudit
from bot.reminders import participants
from bot.safety import events
from bot.safety.detect import Finding
from bot.settings import Settings
from tests.handoff import test_cli
from tests.handoff.factories import conversation, handoff
from tests.reminders.linking import TRIALS
from tests.staff.conftest import Site

database = test_cli.database  # the CLI's database and settings, on both engines
Database = tuple[sessionmaker[Session], Cipher]
ME = f"cli:{getpass.getuser()}"
TRIAL = "demo-t2d-001"
IN_TEN_DAYS = (dt.datetime.now(dt.UTC) + dt.timedelta(days=10)).replace(microsecond=0)


def _cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def _trail(sessions: sessionmaker[Session]) -> list[StaffAudit]:
    with sessions() as session:
        return list(session.scalars(select(StaffAudit).order_by(StaffAudit.id)))


def _who_what(sessions: sessionmaker[Session]) -> list[tuple[str, str, str | None]]:
    return [(row.actor, row.action, row.subject) for row in _trail(sessions)]


def _enrol(sessions: sessionmaker[Session], code: str) -> None:
    with sessions.begin() as session:
        participants.add(session, code, TRIAL, set(TRIALS))


def _waiting(sessions: sessionmaker[Session], cipher: Cipher, sender_key: str) -> int:
    """A web chat whose person asked for the study team; the handoff's id."""
    with sessions.begin() as session:
        conversation(session, sender_key)
        return handoff(session, cipher, sender_key).id


# At the command line -------------------------------------------------------------------------


def test_cli_acknowledging_a_safety_event_is_audited_and_an_unknown_one_is_not(
    database: Database, tmp_path: Path
) -> None:
    sessions, cipher = database
    with sessions.begin() as session:
        event = events.record(
            session, Settings(TRIALBOT_VAR_DIR=tmp_path / "var"), cipher,
            Finding("emergency", "chest_pain", "chest pain"), sender_key="web-1", channel="web",
            language="en", text="my chest hurts", trial=TRIAL,
        )  # fmt: skip
    assert _cli("safety", "ack", "999").exit_code == 1
    assert _trail(sessions) == []
    acknowledged = _cli("safety", "ack", str(event.id))
    assert acknowledged.exit_code == 0, acknowledged.output
    assert _who_what(sessions) == [(ME, "safety.acknowledge", f"safety_event:{event.id}")]


def test_cli_answering_and_closing_a_handoff_are_audited_with_their_delivery(
    database: Database,
) -> None:
    sessions, cipher = database
    handoff_id = _waiting(sessions, cipher, "web-asking")
    assert _cli("handoff", "reply", "999", "Hello").exit_code == 1
    assert _trail(sessions) == []

    assert _cli("handoff", "reply", str(handoff_id), "We will call you.").exit_code == 0
    assert _cli("handoff", "close", str(handoff_id)).exit_code == 0
    assert _cli("handoff", "reply", str(handoff_id), "Too late").exit_code == 1  # it is closed
    subject = f"handoff:{handoff_id}"
    assert _who_what(sessions) == [(ME, "handoff.reply", subject), (ME, "handoff.close", subject)]
    reply, closing = _trail(sessions)
    assert reply.detail == {"chars": 17, "close": False, "delivery": "sent"}
    assert closing.detail == {"delivery": "sent"}


def test_cli_adding_a_participant_is_audited_without_the_link_code(database: Database) -> None:
    sessions, _ = database
    added = _cli("participants", "add", "P-100", "--trial", TRIAL, "--json")
    assert added.exit_code == 0, added.output
    link_code = json.loads(added.output)["link_code"]
    assert _cli("participants", "add", "P-101", "--trial", "no-such-trial").exit_code == 1
    assert _cli("participants", "add", "P-100", "--trial", TRIAL).exit_code == 1  # registered
    (row,) = _trail(sessions)
    assert (row.actor, row.action, row.subject) == (ME, "participant.add", "participant:P-100")
    assert link_code not in json.dumps(row.detail)


def test_cli_an_import_is_audited_with_its_counts_and_one_that_schedules_nothing_is_not(
    database: Database, tmp_path: Path
) -> None:
    sessions, _ = database
    _enrol(sessions, "P-200")
    header = "participant_code,trial,site,starts_at,timezone,kind\n"
    good = f"P-200,{TRIAL},paris-nord,{IN_TEN_DAYS:%Y-%m-%dT%H:%M},Europe/Paris,week 4\n"
    bad = f"P-999,{TRIAL},paris-nord,{IN_TEN_DAYS:%Y-%m-%dT%H:%M},Europe/Paris,week 4\n"
    only_bad, mixed = tmp_path / "only-bad.csv", tmp_path / "visits.csv"
    only_bad.write_text(header + bad)
    mixed.write_text(header + good + bad)

    assert _cli("appointments", "import", str(only_bad)).exit_code == 1
    assert _trail(sessions) == []
    assert _cli("appointments", "import", str(mixed)).exit_code == 1  # one line rejected
    (row,) = _trail(sessions)
    assert (row.actor, row.action, row.subject) == (ME, "appointments.import", None)
    assert row.detail == {"file": "visits.csv", "scheduled": 1, "rejected": 1}


def test_cli_export_purge_and_key_rotation_are_audited_but_not_a_dry_run(
    database: Database, tmp_path: Path
) -> None:
    sessions, _ = database
    assert _cli("consent", "export", "--format", "xml").exit_code == 1
    assert _cli("retention", "purge", "--dry-run").exit_code == 0
    assert _trail(sessions) == []

    exported = _cli("consent", "export", "--format", "json", "-o", str(tmp_path / "ledger.json"))
    assert exported.exit_code == 0, exported.output
    assert _cli("retention", "purge", "--days", "30").exit_code == 0
    assert _cli("keys", "rotate").exit_code == 0
    assert _who_what(sessions) == [
        (ME, "consent.export", None),
        (ME, "retention.purge", None),
        (ME, "keys.rotate", None),
    ]
    export, purge, rotation = (row.detail for row in _trail(sessions))
    assert export == {"format": "json", "records": 0, "to": "ledger.json"}
    assert purge["days"] == 30 and purge["conversations"] == 0
    assert rotation == {"new_key": True, "reencrypted": 0}


# Through the staff API -----------------------------------------------------------------------


def _api(site: Site, path: str, body: object = None) -> httpx.Response:
    auth = {"Authorization": f"Bearer {site.settings.staff_token()}"}
    return httpx.post(f"{site.url}/api/staff{path}", json=body, headers=auth)


def test_api_appointment_changes_are_audited_with_the_caller_address(site: Site) -> None:
    sessions = sessionmaker(site.engine)
    _enrol(sessions, "API-1")
    body = {
        "participant_code": "API-1", "trial": TRIAL, "site": "paris-nord",
        "starts_at": IN_TEN_DAYS.isoformat(), "timezone": "Europe/Paris", "kind": "week 12",
    }  # fmt: skip
    assert _api(site, "/appointments", {**body, "site": "nowhere"}).status_code == 400
    added = _api(site, "/appointments", body)
    assert added.status_code == 201, added.text
    appointment = added.json()["id"]
    later = f"/appointments/{appointment}/move"
    assert _api(site, later, {"starts_at": "2001-01-01T10:00"}).status_code == 400  # past
    moved = _api(site, later, {"starts_at": "2099-01-05T10:00"})
    assert moved.status_code == 200, moved.text
    assert _api(site, f"/appointments/{appointment}/cancel").status_code == 200
    assert _api(site, f"/appointments/{appointment}/cancel").status_code == 400  # cancelled
    assert _api(site, "/appointments/999/cancel").status_code == 404

    subject = f"appointment:{appointment}"
    assert _who_what(sessions) == [
        ("api-token", "appointment.add", subject),
        ("api-token", "appointment.move", subject),
        ("api-token", "appointment.cancel", subject),
    ]
    add, move, cancel = _trail(sessions)
    assert {row.address for row in (add, move, cancel)} == {"127.0.0.1"}
    assert add.detail["participant"] == "API-1" and add.detail["kind"] == "week 12"
    assert move.detail == {"at": "2099-01-05T10:00:00+01:00"}
    assert cancel.detail == {"reminders_cancelled": 3}


def test_api_answering_and_closing_a_handoff_are_audited_as_on_the_pages(site: Site) -> None:
    sessions = sessionmaker(site.engine)
    handoff_id = _waiting(sessions, Cipher.from_settings(site.settings), "web-api")
    assert _api(site, "/handoffs/999/reply", {"text": "Hello"}).status_code == 404
    assert _trail(sessions) == []

    answered = _api(site, f"/handoffs/{handoff_id}/reply", {"text": "See you soon", "close": True})
    assert answered.status_code == 200, answered.text
    assert _api(site, f"/handoffs/{handoff_id}/close").status_code == 400  # closed already
    (row,) = _trail(sessions)
    assert (row.actor, row.action, row.subject) == (
        "api-token",
        "handoff.reply",
        f"handoff:{handoff_id}",
    )
    assert row.detail == {"chars": 12, "close": True, "delivery": "sent"}
    assert row.address == "127.0.0.1"
