"""`trialbot participants list | show | reissue`: what a site coordinator reads at a terminal and
what site scripts read as JSON, errors included (`{"error": …}` on stdout, exit 1)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.cli.common import out
from bot.consent.texts import load_consents
from bot.db.models import (
    Conversation,
    LanguageSource,
    LinkCode,
    Participant,
    Reminder,
    ReminderStatus,
    StaffAudit,
    utcnow,
)
from bot.db.session import create_db_engine, make_session_factory
from bot.reminders import participants
from bot.settings import get_settings
from tests.reminders.linking import KNOWLEDGE, linked_participant, schedule_visit

TRIAL = "demo-t2d-001"


class Site:
    """The command line on a database of its own, and sessions on that database to set it up."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.runner = CliRunner()

    def run(self, *args: str) -> Result:
        return self.runner.invoke(app, list(args))

    def json(self, *args: str) -> Any:
        result = self.run(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    monkeypatch.setenv("TRIALBOT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "demo_trials_bot")
    monkeypatch.setenv("PUBLIC_URL", "https://trials.example.org/")
    get_settings.cache_clear()
    assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0
    engine = create_db_engine(get_settings().db_url)
    try:
        yield Site(make_session_factory(engine))
    finally:
        engine.dispose()
        get_settings.cache_clear()


@pytest.fixture
def enrolled(site: Site) -> Site:
    """P-1 linked on Telegram, reminders agreed, a visit in ten days with one reminder sent and
    one failed; P-2 registered but not linked yet."""
    visit = (utcnow() + dt.timedelta(days=10)).strftime("%Y-%m-%dT09:00:00")
    with site.sessions.begin() as session:
        linked_participant(session, "P-1", TRIAL, "telegram-5a1b", language="fr")
        schedule_visit(session, "P-1", TRIAL, visit, kind="visite 2", site="paris-nord")
        first, second = session.scalars(select(Reminder).order_by(Reminder.id).limit(2))
        first.status = ReminderStatus.SENT
        second.status, second.last_error = ReminderStatus.FAILED, "telegram: 403 blocked"
    site.json("participants", "add", "P-2", "--trial", "demo-asthma-002")
    return site


def _by_code(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["participant_code"]: row for row in rows}


def test_list_as_json_says_where_each_participant_stands(enrolled: Site) -> None:
    rows = _by_code(enrolled.json("participants", "list"))
    assert list(rows) == ["P-1", "P-2"]
    linked, waiting = rows["P-1"], rows["P-2"]
    assert linked["linked"] and linked["channel"] == "telegram" and linked["linked_at"]
    assert "telegram-5a1b" not in json.dumps(linked)  # the chat's key is never shown
    assert linked["link_code"]["state"] == "used"
    assert linked["next_appointment"]["kind"] == "visite 2"
    assert linked["next_appointment"]["local_time"].endswith("T09:00:00+01:00")
    assert linked["reminders_consent"] is True
    assert (linked["reminders_sent"], linked["reminders_failed"]) == (1, 1)
    assert not waiting["linked"] and waiting["channel"] is None and waiting["linked_at"] is None
    assert waiting["link_code"]["state"] == "active" and waiting["link_code"]["used_at"] is None
    assert waiting["next_appointment"] is None and waiting["reminders_consent"] is False
    assert [
        r["participant_code"] for r in enrolled.json("participants", "list", "--trial", TRIAL)
    ] == ["P-1"]


def test_list_as_a_table_wraps_rather_than_cuts(enrolled: Site) -> None:
    long_code = "SITE-PARIS-NORD-PARTICIPANT-0000042-RANDOMISED-ARM-B"
    enrolled.json("participants", "add", long_code, "--trial", TRIAL)
    result = enrolled.run("participants", "list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= out.width
    text = result.stdout
    for shown in ("P-1", "P-2", "telegram", "not linked", "used", "active", "visite 2"):
        assert shown in text
    body = lines[next(i for i, line in enumerate(lines) if line.startswith("─")) + 1 :]
    folded = "".join(line.split()[0] for line in body if line[:1].strip())
    assert long_code in folded  # folded over several lines, every character kept


def test_an_expired_code_says_so(enrolled: Site) -> None:
    with enrolled.sessions.begin() as session:
        session.execute(update(LinkCode).values(expires_at=utcnow() - dt.timedelta(minutes=1)))
    rows = _by_code(enrolled.json("participants", "list"))
    assert rows["P-2"]["link_code"]["state"] == "expired"
    assert rows["P-1"]["link_code"]["state"] == "used"  # used stays used


def test_show_gives_one_participant_whole(enrolled: Site) -> None:
    shown = enrolled.json("participants", "show", "P-1")
    assert shown["participant_code"] == "P-1" and shown["channel"] == "telegram"
    # The rows of `appointments list` and `reminders list`, for this participant only.
    assert shown["appointments"] == enrolled.json("appointments", "list", "--participant", "P-1")
    assert shown["reminders"] == enrolled.json("reminders", "list", "--participant", "P-1")
    assert [r["status"] for r in shown["reminders"]][:2] == ["sent", "failed"]
    (consent,) = shown["consents"]
    assert (consent["purpose"], consent["decision"], consent["version"]) == (
        "reminders",
        "granted",
        1,
    )
    assert dt.datetime.fromisoformat(consent["recorded_at"]).tzinfo is not None
    assert enrolled.json("participants", "show", "P-2")["consents"] == []

    text = enrolled.run("participants", "show", "P-1")
    assert text.exit_code == 0, text.output
    for part in ("Appointments", "Reminders", "Consent decisions", "granted", "blocked"):
        assert part in text.stdout


@pytest.mark.parametrize("command", ["show", "reissue"])
def test_an_unknown_code_is_an_error_in_both_forms(enrolled: Site, command: str) -> None:
    as_json = enrolled.run("participants", command, "P-9", "--json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout) == {"error": "no participant 'P-9'"}
    as_text = enrolled.run("participants", command, "P-9")
    assert as_text.exit_code == 1 and as_text.stdout == ""
    assert "no participant 'P-9'" in as_text.stderr


def test_list_refuses_an_unknown_trial(enrolled: Site) -> None:
    result = enrolled.run("participants", "list", "--trial", "demo-xyz", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"].startswith("unknown trial 'demo-xyz'")


def test_reissue_replaces_the_code_that_was_never_used(enrolled: Site) -> None:
    first = enrolled.json("participants", "add", "P-3", "--trial", TRIAL)
    again = enrolled.json("participants", "reissue", "P-3")
    assert set(again) == set(first) and again["link_code"] != first["link_code"]
    code = again["link_code"]
    assert again["telegram_link"] == f"https://t.me/demo_trials_bot?start={code}"
    assert again["web_link"] == f"https://trials.example.org/?ref={code}"
    assert dt.datetime.fromisoformat(again["expires_at"]) > utcnow() + dt.timedelta(hours=71)
    with enrolled.sessions.begin() as session:
        assert participants.bind(session, "web-1", first["link_code"]) is None
        bound = participants.bind(session, "web-1", code)
        assert bound is not None and bound.code == "P-3"
    with enrolled.sessions() as session:
        audit = session.scalars(
            select(StaffAudit).where(StaffAudit.action == "participant.reissue")
        ).one()
        assert audit.subject == "participant:P-3"
        assert audit.detail == {"trial": TRIAL, "superseded": 1}
        assert code not in json.dumps(audit.detail)


def test_reissue_to_a_linked_participant_binds_their_new_phone(enrolled: Site) -> None:
    text = enrolled.run("participants", "reissue", "P-1")
    assert text.exit_code == 0, text.output
    said = " ".join(text.stdout.split())
    assert "New link code for participant P-1" in said
    assert "stays bound until the new code binds another" in said
    code = text.stdout.split("One-time link code: ")[1].split()[0]
    with enrolled.sessions.begin() as session:
        session.add(
            Conversation(
                channel="whatsapp", sender_key="whatsapp-9c0d", language="fr",
                language_source=LanguageSource.CHOSEN,
            )
        )  # fmt: skip
        assert participants.bind(session, "whatsapp-9c0d", code) is not None
    (row,) = [r for r in enrolled.json("participants", "list") if r["participant_code"] == "P-1"]
    assert row["channel"] == "whatsapp" and row["link_code"]["state"] == "used"
    # The new chat has not agreed to reminders yet: the consent is per chat.
    assert row["reminders_consent"] is False


def test_reissue_marks_older_codes_expired_not_used(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        added = participants.add(session, "P-4", TRIAL, {TRIAL})
        issued = participants.reissue(session, "P-4", valid_for=dt.timedelta(hours=1))
        assert issued.superseded == 1
    with sessions() as session:
        codes = session.scalars(select(LinkCode).order_by(LinkCode.id)).all()
        assert [c.used_at for c in codes] == [None, None]
        assert not participants.bound_to(session, added.link_code, "web-1")
        states = [
            row["link_code"]["state"]
            for row in participants.overview(session, load_consents(KNOWLEDGE), code="P-4")
        ]
        assert states == ["active"]  # the newest code is the one shown
        assert session.scalar(select(Participant.sender_key)) is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["P-1", "--trial", "demo-xyz"], "unknown trial 'demo-xyz'"),
        (["P-1", "--trial", TRIAL], "participant 'P-1' is already registered"),
        (["P-5", "--trial", TRIAL, "--timezone", "Paris"], "unknown time zone 'Paris'"),
    ],
)
def test_add_says_what_is_wrong_as_json(enrolled: Site, args: list[str], message: str) -> None:
    as_json = enrolled.run("participants", "add", *args, "--json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["error"].startswith(message)
    as_text = enrolled.run("participants", "add", *args)
    assert as_text.exit_code == 1 and as_text.stdout == ""
    assert message in as_text.stderr


@pytest.mark.parametrize("command", [["participants", "list"], ["participants", "show", "S-1"]])
def test_a_setting_to_correct_is_json_too_when_json_was_asked(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIALBOT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("RETENTION_DAYS", "zero")
    get_settings.cache_clear()
    try:
        asked = CliRunner().invoke(app, [*command, "--json"])
        told = CliRunner().invoke(app, command)
    finally:
        get_settings.cache_clear()
    assert asked.exit_code == 2 and told.exit_code == 2
    assert json.loads(asked.stdout)["error"].startswith("RETENTION_DAYS: ")
    assert told.stdout == "" and "RETENTION_DAYS: " in told.stderr
