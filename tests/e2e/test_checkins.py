"""A participant's check-in over the web chat, against the real gateway, Rasa and dispatcher:
sent when due, answered as people type, a question of their own answered by the assistant in
the middle, and a symptom that opens a side effect with its follow-up."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select, update

from bot.db.models import Checkin, Participant
from bot.db.session import create_db_engine, make_session_factory
from bot.settings import Settings
from tests.e2e.conftest import Stack, wait_until
from tests.e2e.test_screening import Patient

pytestmark = pytest.mark.e2e


def _midday_zone() -> str:
    """A time zone where it is about midday now: the check-in must not wait for quiet hours."""
    hours = (12 - dt.datetime.now(dt.UTC).hour + 12) % 24 - 12  # -12 … 11
    return "Etc/GMT" if hours == 0 else f"Etc/GMT{-hours:+d}"  # Etc/GMT-3 is UTC+3


def _due_now(stack: Stack, code: str) -> None:
    """A week passes: the participant's first-week check-in is due (planned by the dispatcher)."""
    settings = Settings(TRIALBOT_VAR_DIR=stack.var_dir, DATABASE_URL="")
    engine = create_db_engine(settings.database_url)
    sessions = make_session_factory(engine)
    person = select(Participant.id).where(Participant.code == code)

    def planned() -> bool:
        with sessions() as session:
            return (
                session.scalar(select(Checkin.id).where(Checkin.participant_id.in_(person)))
                is not None
            )

    wait_until(planned, 30, "the check-ins planned")
    now = dt.datetime.now(dt.UTC)
    with sessions.begin() as session:
        session.execute(
            update(Checkin)
            .where(Checkin.participant_id.in_(person), Checkin.checkin == "week-1")
            .values(due_at=now, closes_at=now + dt.timedelta(hours=48))
        )
    engine.dispose()


def test_a_check_in_is_sent_and_answered_around_the_real_dialogue(stack: Stack) -> None:
    patient = Patient(stack, "e2e-check-in", "en")
    code = "E2E-CHECKIN"
    add = ("participants", "add", code, "--trial", "demo-asthma-002", "--lang", "en")
    added = json.loads(stack.trialbot(*add, "--timezone", _midday_zone(), "--json"))
    assert "this chat is now linked" in patient.says(added["link_code"])
    assert "reminders are on" in patient.agrees_to_consent()
    seen = len(stack.updates(patient.sender)["messages"])

    _due_now(stack, code)

    def sent() -> bool:
        return len(stack.updates(patient.sender)["messages"]) > seen

    wait_until(sent, 30, "the check-in in the web chat")
    (message,) = stack.updates(patient.sender)["messages"][seen:]
    assert message["text"].startswith(
        "📋 Your first-week check-in for the AZ-202 asthma study (fictional demo): 3"
    )
    assert "How has your breathing been this week" in message["text"]
    assert [b["title"] for b in message["buttons"]][-2:] == ["Skip", "Stop the check-in"]

    assert "How many doses" in patient.says("id say a 7")
    # A question of their own: Rasa's vetted answer, then the check-in's question again.
    said = patient.says("wait is there a placebo in this study?")
    assert "placebo" in said.lower() and "one chance in two" in said
    assert said.rstrip().endswith("Answer 0 if none.")
    assert "new or unusual symptoms" in patient.says("none")
    said = patient.presses("Yes")
    assert "passed this on to the study team" in said and "+33 1 99 00 12 40" in said
    assert "your answers are with the study team" in said
    assert said.rstrip().endswith('"3 days ago".')  # the side effect's follow-up begins

    listed = json.loads(stack.trialbot("safety", "list", "--json"))
    (event,) = [e for e in listed if e["participant"] == patient.key]
    assert event["kind"] == "adverse_event" and event["trial"] == "demo-asthma-002"
    assert "new or unusual symptoms" in event["text"]
