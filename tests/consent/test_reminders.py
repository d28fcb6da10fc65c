"""Withdrawal, "stop" and erasure cancel a participant's reminders, and block any later send."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.consent import service
from bot.consent.texts import LoadedConsents, load_consents
from bot.db.models import (
    Appointment,
    Conversation,
    LanguageSource,
    Participant,
    Reminder,
    ReminderStatus,
    utcnow,
)
from bot.reminders.permission import refusal
from bot.rights import erasure, withdrawal
from bot.settings import PROJECT_ROOT

WHO = "telegram-5a1b"


@pytest.fixture
def texts() -> LoadedConsents:
    return load_consents(PROJECT_ROOT / "knowledge")


@pytest.fixture
def reminders(sessions: sessionmaker[Session], texts: LoadedConsents) -> list[int]:
    """A participant bound to the chat, who agreed to reminders: two due, one already sent."""
    with sessions.begin() as session:
        session.add(
            Conversation(
                channel="telegram",
                sender_key=WHO,
                language="en",
                language_source=LanguageSource.DEFAULT,
            )
        )
        participant = Participant(code="T2D-0042", trial="demo-t2d-001", sender_key=WHO)
        session.add(participant)
        session.flush()
        starts = utcnow() + dt.timedelta(days=3)
        appointment = Appointment(
            participant_id=participant.id,
            trial="demo-t2d-001",
            site="lyon",
            starts_at=starts,
            timezone="Europe/Paris",
            kind="visit 2",
        )
        session.add(appointment)
        session.flush()
        rows = [
            Reminder(appointment_id=appointment.id, due_at=starts - dt.timedelta(hours=h))
            for h in (72, 24, 2)
        ]
        rows[0].status = ReminderStatus.SENT
        session.add_all(rows)
        shown = service.to_ask(session, texts, WHO, "reminders", "en")
        assert shown is not None
        service.decide(session, WHO, shown.reference, agreed=True)
        session.flush()
        return [r.id for r in rows]


def _states(session: Session) -> list[tuple[str, str | None]]:
    rows = session.scalars(select(Reminder).order_by(Reminder.id))
    return [(str(r.status), r.cancel_reason) for r in rows]


def test_a_consenting_participants_reminder_may_go(
    sessions: sessionmaker[Session], texts: LoadedConsents, reminders: list[int]
) -> None:
    with sessions() as session:
        due = session.get(Reminder, reminders[1])
        assert due is not None and refusal(session, texts, due) is None


def test_withdrawal_cancels_scheduled_reminders_and_blocks_the_next_send(
    sessions: sessionmaker[Session], texts: LoadedConsents, reminders: list[int]
) -> None:
    with sessions.begin() as session:
        withdrawal.withdraw(session, WHO)
    with sessions.begin() as session:
        assert _states(session) == [
            ("sent", None),
            ("cancelled", "consent withdrawn"),
            ("cancelled", "consent withdrawn"),
        ]
        # A reminder scheduled again by mistake (or by a race) is still refused at send time.
        late = session.get(Reminder, reminders[2])
        assert late is not None
        late.status = ReminderStatus.SCHEDULED
    with sessions() as session:
        late = session.get(Reminder, reminders[2])
        assert late is not None
        assert refusal(session, texts, late) == "the participant stopped messages"


def test_stop_cancels_reminders_too(
    sessions: sessionmaker[Session], texts: LoadedConsents, reminders: list[int]
) -> None:
    with sessions.begin() as session:
        withdrawal.stop_messages(session, WHO)
    with sessions() as session:
        assert [state for state, _ in _states(session)] == ["sent", "cancelled", "cancelled"]
        assert {reason for _, reason in _states(session)} == {None, "messages stopped"}


def test_erasure_unbinds_the_participant_and_cancels(
    sessions: sessionmaker[Session], texts: LoadedConsents, reminders: list[int]
) -> None:
    with sessions.begin() as session:
        erased = erasure.erase(session, WHO, None)
    assert erased.reminders_cancelled == 2
    with sessions() as session:
        participant = session.scalars(select(Participant)).one()
        assert participant.sender_key is None  # the site's participant stays; the chat is gone
        due = session.get(Reminder, reminders[1])
        assert due is not None and refusal(session, texts, due) == "reminder is cancelled"
