"""Scheduled check-ins: the file staff write, when each goes, how it is sent, and the
participant's answers in the chat (the gateway reads them itself: Rasa is down here)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.base import Inbound, Reply
from bot.checkins import planning
from bot.checkins.schedule import load_schedule
from bot.crypto import Cipher
from bot.db.models import (
    Appointment,
    Checkin,
    CheckinStatus,
    Conversation,
    InboundMessage,
    MessageStatus,
    Participant,
    SafetyEvent,
    StaffAlert,
    as_utc,
)
from bot.gateway.relay import Relay
from bot.lint import lint
from bot.reminders import appointments
from bot.reminders.dispatcher import Dispatcher
from bot.rights import erasure, withdrawal
from bot.settings import Settings
from tests.gateway.test_relay_offline import _relay
from tests.reminders.linking import KNOWLEDGE, TRIALS, linked_participant, schedule_visit
from tests.reminders.test_dispatcher import Clock, FakeChannel

PARIS = dt.timezone(dt.timedelta(hours=1))  # Paris in December
LINKED = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)  # a Tuesday afternoon
# 7 days later at 18:00 local. (Clocks are in UTC, as the database keeps them.)
WEEK_1 = dt.datetime(2026, 12, 8, 18, 0, tzinfo=PARIS).astimezone(dt.UTC)


# --- the file --------------------------------------------------------------------------------


def test_the_demo_check_ins_load_and_lint_clean() -> None:
    for trial in ("demo-asthma-002", "demo-t2d-001"):
        schedule = TRIALS[trial].checkins
        assert schedule is not None and schedule.checkins
    report = lint(KNOWLEDGE, None)
    assert not [p for p in report.errors if p.path.name == "checkins.yml"]


def test_mistakes_in_the_file_are_told_with_their_line(tmp_path: Path) -> None:
    folder = tmp_path / "trials" / "demo-x"
    folder.mkdir(parents=True)
    path = folder / "checkins.yml"
    path.write_text(
        "trial: demo-x\n"
        "version: 1\n"
        "checkins:\n"
        "  - id: week-1\n"
        "    after_enrolment: {days: 7, at: '25:00'}\n"
        "    title: {en: Week one, fr: Semaine un}\n"
        "    questions:\n"
        "      - id: mood\n"
        "        type: scale\n"
        "        min: 2\n"
        "        text: {en: 'Mood, 0 to 10?'}\n"
        "    symptoms:\n"
        "      - {question: pain, equals: true}\n"
        "  - id: before\n"
        "    before_visit: {days: 1}\n"
        "    title: {en: Before, fr: Avant}\n"
        "    questions:\n"
        "      - {id: ok, type: yes_no, text: {en: 'All well?', fr: 'Tout va bien ?'}}\n",
        encoding="utf-8",
    )
    schedule, problems = load_schedule(path)
    assert schedule is None
    said = [p.render() for p in problems]
    assert any(":5:" in s and "at is a local time" in s for s in said)
    assert any(":8:" in s and "min needs a number question" in s for s in said)
    assert any(":8:" in s and "has no fr text" in s for s in said)
    assert any(":13:" in s and "unknown question 'pain'" in s for s in said)
    assert any(":15:" in s and "before_visit is {hours: 24}" in s for s in said)


def test_kb_lint_names_a_broken_check_in_with_its_file_and_line(tmp_path: Path) -> None:
    root = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, root)
    path = root / "trials" / "demo-asthma-002" / "checkins.yml"
    broken = path.read_text(encoding="utf-8").replace("after_visit: {hours: 48}", "after_visit: 48")
    path.write_text(broken, encoding="utf-8")
    line = broken.splitlines().index("    after_visit: 48") + 1
    said = [p.render(root) for p in lint(root, None).errors]
    assert said == [
        f"knowledge/trials/demo-asthma-002/checkins.yml:{line}: "
        "check-in 'after-visit': after_visit is {hours: 24}"
    ]


# --- when each goes --------------------------------------------------------------------------


@pytest.fixture
def enrolled(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """P-7 in the asthma study, linked on 1 December in Paris, reminders agreed to."""
    with sessions.begin() as session:
        linked_participant(session, "P-7", "demo-asthma-002", "web-p7", language="en")
        session.execute(update(Participant).values(linked_at=LINKED, timezone="Europe/Paris"))
    return sessions


def _rows(sessions: sessionmaker[Session]) -> list[Checkin]:
    with sessions() as session:
        return list(session.scalars(select(Checkin).order_by(Checkin.id)))


def test_a_check_in_is_planned_at_its_local_time_once_and_follows_its_visit(
    enrolled: sessionmaker[Session],
) -> None:
    with enrolled.begin() as session:
        # A visit at 22:30 Paris time: 48 hours later falls in the quiet hours.
        schedule_visit(session, "P-7", "demo-asthma-002", "2026-12-14T22:30:00", now=LINKED)
    for _ in range(2):  # planned twice: one row each
        with enrolled.begin() as session:
            planning.plan(session, TRIALS, LINKED)
    week, visit = _rows(enrolled)
    assert (week.checkin, week.occasion) == ("week-1", "enrolment")
    assert as_utc(week.due_at) == WEEK_1
    assert as_utc(week.closes_at) == WEEK_1 + dt.timedelta(hours=48)
    assert visit.checkin == "after-visit" and visit.occasion.startswith("appointment:")
    # 16 Dec 22:30 is quiet: it waits for 08:00 the next morning, local time.
    assert as_utc(visit.due_at) == dt.datetime(2026, 12, 17, 8, 0, tzinfo=PARIS)

    with enrolled.begin() as session:
        appointment = session.scalars(select(Appointment)).one()
        moved = dt.datetime(2026, 12, 15, 10, 0, tzinfo=PARIS)
        appointments.move(session, appointment, moved, TRIALS["demo-asthma-002"])
        planning.plan(session, TRIALS, LINKED)
    assert as_utc(_rows(enrolled)[1].due_at) == dt.datetime(2026, 12, 17, 10, 0, tzinfo=PARIS)
    with enrolled.begin() as session:
        appointments.cancel(session, session.scalars(select(Appointment)).one())
        planning.plan(session, TRIALS, LINKED)
    assert _rows(enrolled)[1].status == CheckinStatus.CANCELLED


def test_a_check_in_whose_answers_would_be_closed_is_never_made(
    enrolled: sessionmaker[Session],
) -> None:
    with enrolled.begin() as session:
        planning.plan(session, TRIALS, WEEK_1 + dt.timedelta(hours=49))
    assert _rows(enrolled) == []


# --- sending ---------------------------------------------------------------------------------


def _dispatcher(
    sessions: sessionmaker[Session], settings: Settings, channel: FakeChannel, clock: Clock
) -> Dispatcher:
    return Dispatcher(settings=settings, sessions=sessions, channels={"web": channel}, clock=clock)


def test_a_due_check_in_goes_with_its_first_question_and_buttons(
    enrolled: sessionmaker[Session], settings: Settings
) -> None:
    channel, clock = FakeChannel(), Clock(WEEK_1 - dt.timedelta(minutes=1))
    dispatcher = _dispatcher(enrolled, settings, channel, clock)
    assert asyncio.run(dispatcher.run_once()) == 0  # planned, not due yet
    clock.now = WEEK_1 + dt.timedelta(seconds=5)
    assert asyncio.run(dispatcher.run_once()) == 1
    assert asyncio.run(dispatcher.run_once()) == 0
    ((_, reply, _),) = channel.sent
    assert reply.text is not None
    assert reply.text.startswith(
        "📋 Your first-week check-in for the AZ-202 asthma study (fictional demo): 3"
    )
    assert "3 short questions" in reply.text and "How has your breathing been" in reply.text
    titles = [b.title for b in reply.buttons]
    assert titles == [*map(str, range(11)), "Skip", "Stop the check-in"]
    assert reply.buttons[7].payload == "/checkin:breathing=7"
    (row,) = _rows(enrolled)
    assert row.status == CheckinStatus.SENT and row.step == "breathing"
    assert row.channel == "web" and row.sent_at is not None


def test_nothing_goes_in_the_quiet_hours_or_without_consent(
    enrolled: sessionmaker[Session], settings: Settings
) -> None:
    channel = FakeChannel()
    late = dt.datetime(2026, 12, 8, 21, 30, tzinfo=dt.UTC)  # 22:30 in Paris: it was down till then
    dispatcher = _dispatcher(enrolled, settings, channel, Clock(late))
    asyncio.run(dispatcher.run_once())
    (row,) = _rows(enrolled)
    assert channel.sent == [] and row.status == CheckinStatus.SCHEDULED
    assert as_utc(row.due_at) == dt.datetime(2026, 12, 9, 8, 0, tzinfo=PARIS)
    assert row.attempts == 0  # not a failed try

    with enrolled.begin() as session:
        session.execute(update(Conversation).values(messages_stopped_at=late))
    dispatcher = _dispatcher(enrolled, settings, channel, Clock(late + dt.timedelta(hours=10)))
    asyncio.run(dispatcher.run_once())
    (row,) = _rows(enrolled)
    assert channel.sent == [] and row.status == CheckinStatus.CANCELLED
    assert row.cancel_reason == "the participant stopped messages"


def test_withdrawing_consent_cancels_the_check_ins_to_come(
    enrolled: sessionmaker[Session],
) -> None:
    with enrolled.begin() as session:
        planning.plan(session, TRIALS, LINKED)
        withdrawal.withdraw(session, "web-p7")
    (row,) = _rows(enrolled)
    assert row.status == CheckinStatus.CANCELLED and row.cancel_reason


# --- answering in the chat -------------------------------------------------------------------


async def _sent_checkin(engine: Engine, settings: Settings, user: str, language: str) -> Relay:
    """A participant of the asthma study whose week-1 check-in was just sent; the relay."""
    relay = _relay(engine, settings)
    key = relay.sender_key("web", user)
    sessions = sessionmaker(engine, expire_on_commit=False)
    with sessions.begin() as session:
        linked_participant(session, f"P-{user}", "demo-asthma-002", key, language=language)
        session.execute(update(Participant).values(linked_at=LINKED, timezone="Europe/Paris"))
        # As the gateway's link does: the chat is about the participant's trial.
        session.execute(update(Conversation).values(trial="demo-asthma-002"))
    dispatcher = _dispatcher(sessions, settings, FakeChannel(), Clock(WEEK_1))
    assert await dispatcher.run_once() == 1
    return relay


async def _say(relay: Relay, user: str, text: str) -> list[Reply]:
    return await relay.handle(Inbound("web", user, text))


def _checkin(engine: Engine) -> Checkin:
    with sessionmaker(engine)() as session:
        row = session.scalars(select(Checkin)).one()
        session.expunge(row)
        return row


def _answers(engine: Engine, settings: Settings) -> dict[str, object]:
    row = _checkin(engine)
    assert row.answers is not None
    return dict(json.loads(Cipher.from_settings(settings).decrypt(row.answers)))


async def test_answers_typed_as_people_type_and_a_symptom_opens_a_side_effect(
    migrated_engine: Engine, alerting: Settings
) -> None:
    settings = alerting
    relay = await _sent_checkin(migrated_engine, settings, "p-1", "en")
    (doses,) = await _say(relay, "p-1", "id say a 6 maybe")
    assert doses.text is not None and "How many doses" in doses.text
    (symptoms,) = await _say(relay, "p-1", "twice i think")
    assert symptoms.text is not None and "new or unusual symptoms" in symptoms.text
    assert [b.title for b in symptoms.buttons] == ["Yes", "No", "Skip"]  # the last: no "Stop"
    ack, done, follow_up = await _say(relay, "p-1", "/checkin:new_symptoms=yes")
    assert ack.text is not None and "passed this on to the study team" in ack.text
    assert "+33 1 99 00 12 40" in ack.text  # the study team's number, never "call them" alone
    assert done.text is not None and "your answers are with the study team" in done.text
    assert follow_up.text is not None and "When did it start?" in follow_up.text

    row = _checkin(migrated_engine)
    assert row.status == CheckinStatus.ANSWERED and row.step is None
    assert _answers(migrated_engine, settings) == {
        "answers": {"breathing": 6, "missed_doses": 2, "new_symptoms": True},
        "passed": [],
        "stopped": False,
    }
    assert "missed_doses" not in (row.answers or "")  # encrypted at rest
    with sessionmaker(migrated_engine)() as session:
        event = session.scalars(select(SafetyEvent)).one()
        assert event.kind == "adverse_event" and event.trial == "demo-asthma-002"
        assert row.safety_event_id == event.id
        assert session.scalars(select(StaffAlert)).all() != []  # staff told at once


async def test_french_answers_no_symptom_and_nothing_for_staff(
    migrated_engine: Engine, settings: Settings
) -> None:
    relay = await _sent_checkin(migrated_engine, settings, "p-2", "fr")
    (doses,) = await _say(relay, "p-2", "euh jsais pas trop, 8 je dirais")
    assert doses.text is not None and "Combien de prises" in doses.text
    (symptoms,) = await _say(relay, "p-2", "aucune")
    assert [b.title for b in symptoms.buttons] == ["Oui", "Non", "Passer"]
    (done,) = await _say(relay, "p-2", "non rien de spécial")
    assert done.text is not None and "vos réponses sont transmises" in done.text
    assert _answers(migrated_engine, settings)["answers"] == {
        "breathing": 8, "missed_doses": 0, "new_symptoms": False,
    }  # fmt: skip
    with sessionmaker(migrated_engine)() as session:
        assert session.scalars(select(SafetyEvent)).all() == []


async def test_an_unreadable_answer_is_asked_again_simpler_then_passed(
    migrated_engine: Engine, settings: Settings
) -> None:
    relay = await _sent_checkin(migrated_engine, settings, "p-3", "en")
    (again,) = await _say(relay, "p-3", "meh")
    assert again.text is not None and "did not understand" in again.text
    assert "Your breathing this week, 0 to 10?" in again.text
    (passed,) = await _say(relay, "p-3", "hmm")
    assert passed.text is not None and passed.text.startswith("I'll leave that question out.")
    assert "How many doses" in passed.text
    (stopped,) = await _say(relay, "p-3", "stop")
    assert stopped.text is not None and "stop this check-in" in stopped.text
    assert "write STOP again" in stopped.text
    assert _answers(migrated_engine, settings) == {"answers": {}, "passed": ["breathing"],
                                                   "stopped": True}  # fmt: skip
    assert _checkin(migrated_engine).status == CheckinStatus.ANSWERED
    (closed,) = await _say(relay, "p-3", "/checkin:missed_doses=skip")
    assert closed.text is not None and "check-in is closed" in closed.text


async def test_a_question_of_their_own_goes_on_and_the_check_in_waits(
    migrated_engine: Engine, settings: Settings
) -> None:
    relay = await _sent_checkin(migrated_engine, settings, "p-4", "en")
    # Rasa is down here: the apology, then the check-in's question, still open.
    sorry, still = await _say(relay, "p-4", "wait, is there a placebo in this study?")
    assert sorry.text is not None and "Sorry" in sorry.text
    assert still.text is not None and "still open" in still.text
    assert "How has your breathing been" in still.text
    assert _checkin(migrated_engine).step == "breathing"
    # (The question still waits for Rasa: it is tried again, and the apology said again.)
    doses, *_ = await _say(relay, "p-4", "/checkin:breathing=9")
    assert doses.text is not None and "How many doses" in doses.text


async def test_an_answer_that_also_asks_is_recorded_and_the_question_goes_on(
    migrated_engine: Engine, settings: Settings
) -> None:
    relay = await _sent_checkin(migrated_engine, settings, "p-8", "en")
    # Rasa is down here: its part is the apology, and the message waits for it; then the
    # check-in's next question.
    sorry, doses = await _say(relay, "p-8", "7, and is there a placebo in this study?")
    assert sorry.text is not None and "Sorry" in sorry.text
    assert doses.text is not None and "How many doses" in doses.text
    assert _answers(migrated_engine, settings)["answers"] == {"breathing": 7}
    with sessionmaker(migrated_engine)() as session:
        waiting = session.scalars(select(InboundMessage.status)).all()
    assert waiting == [MessageStatus.PENDING]  # the question is answered once Rasa is back


async def test_an_emergency_comes_first_and_the_check_in_stays_open(
    migrated_engine: Engine, settings: Settings
) -> None:
    relay = await _sent_checkin(migrated_engine, settings, "p-5", "en")
    replies = await _say(relay, "p-5", "i cant breathe my lips are going blue")
    assert replies[0].text is not None and settings.emergency_number in replies[0].text
    assert _checkin(migrated_engine).step == "breathing"
    with sessionmaker(migrated_engine)() as session:
        assert session.scalars(select(SafetyEvent.kind)).all() == ["emergency"]


async def test_unanswered_check_ins_are_missed_and_erasure_forgets_answers(
    migrated_engine: Engine, settings: Settings
) -> None:
    relay = await _sent_checkin(migrated_engine, settings, "p-6", "en")
    sessions = sessionmaker(migrated_engine, expire_on_commit=False)
    later = Clock(WEEK_1 + dt.timedelta(hours=49))
    _dispatcher(sessions, settings, FakeChannel(), later).plan()
    assert _checkin(migrated_engine).status == CheckinStatus.MISSED

    with sessions.begin() as session:
        session.execute(update(Checkin).values(answers=relay.cipher.encrypt("{}")))
        erasure.erase(session, relay.sender_key("web", "p-6"), None)
    assert _checkin(migrated_engine).answers is None
