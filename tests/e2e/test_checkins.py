"""A participant's check-in over the web chat, against the real gateway, Rasa and dispatcher:
sent when due, answered as people type, a question of their own answered by the assistant in
the middle, and a symptom that opens a side effect with its follow-up."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import update

from bot.db.models import Participant
from bot.db.session import create_db_engine, make_session_factory
from bot.settings import Settings
from tests.e2e.conftest import Stack, wait_until
from tests.e2e.test_screening import Patient

pytestmark = pytest.mark.e2e


def _evening_zone() -> str:
    """A time zone where it is now between 18:00 and 19:00: a week after linking, the first-week
    check-in (18:00 local) is due, and the quiet hours (from 21:00) are not yet."""
    hours = (18 - dt.datetime.now(dt.UTC).hour + 12) % 24 - 12  # -12 … 11
    return "Etc/GMT" if hours == 0 else f"Etc/GMT{-hours:+d}"  # Etc/GMT-3 is UTC+3


def _a_week_later(stack: Stack, code: str) -> None:
    """A week passes: the participant was linked seven days ago (the dispatcher plans again)."""
    settings = Settings(TRIALBOT_VAR_DIR=stack.var_dir, DATABASE_URL="")
    engine = create_db_engine(settings.db_url)
    linked = dt.datetime.now(dt.UTC) - dt.timedelta(days=7)
    with make_session_factory(engine).begin() as session:
        session.execute(
            update(Participant).where(Participant.code == code).values(linked_at=linked)
        )
    engine.dispose()


def test_a_check_in_is_sent_and_answered_around_the_real_dialogue(stack: Stack) -> None:
    patient = Patient(stack, "e2e-check-in", "en")
    code = "E2E-CHECKIN"
    add = ("participants", "add", code, "--trial", "demo-asthma-002", "--lang", "en")
    added = json.loads(stack.trialbot(*add, "--timezone", _evening_zone(), "--json"))
    assert "this chat is now linked" in patient.says(added["link_code"])
    assert "reminders are on" in patient.agrees_to_consent()
    start = stack.updates(patient.sender)["last_id"]  # what the page has shown so far

    _a_week_later(stack, code)

    def sent() -> bool:
        return bool(stack.updates(patient.sender, start)["messages"])

    wait_until(sent, 30, "the check-in in the web chat")
    (message,) = stack.updates(patient.sender, start)["messages"]
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
