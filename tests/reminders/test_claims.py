"""Dispatchers claim due reminders: oldest first, one holder at a time, taken over after a lease."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.db.migrate import upgrade
from bot.db.models import Appointment, Participant, Reminder, ReminderStatus
from bot.db.session import create_db_engine
from bot.reminders.claims import claim_due, due_query

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=30)


def _appointment(session: Session) -> int:
    participant = Participant(code="P-1", trial="demo-t2d-001", timezone="Europe/Paris")
    session.add(participant)
    session.flush()
    appointment = Appointment(
        participant_id=participant.id,
        trial="demo-t2d-001",
        site="paris-nord",
        starts_at=NOW + dt.timedelta(days=3),
        timezone="Europe/Paris",
        kind="week 4",
    )
    session.add(appointment)
    session.flush()
    return appointment.id


def _reminders(session: Session, appointment: int, minutes: list[int], **values: object) -> None:
    session.execute(
        insert(Reminder),
        [
            {"appointment_id": appointment, "due_at": NOW + dt.timedelta(minutes=m), **values}
            for m in minutes
        ],
    )


def test_due_reminders_are_claimed_oldest_first_and_held_for_the_lease(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        appointment = _appointment(session)
        _reminders(session, appointment, [-5, -30, 10])  # two due, one not yet
        _reminders(session, appointment, [-60], status=ReminderStatus.SENT)
        _reminders(session, appointment, [-60], status=ReminderStatus.CANCELLED)
    with sessions.begin() as session:
        _, held = claim_due(session, NOW, lease=LEASE)
        due = [session.get_one(Reminder, rid).due_at for rid in held]
        assert len(held) == 2 and due == sorted(due)
    with sessions.begin() as session:
        assert claim_due(session, NOW + dt.timedelta(seconds=10), lease=LEASE)[1] == []
    # The dispatcher that held them died: once the lease is over, another takes them over.
    with sessions.begin() as session:
        _, again = claim_due(session, NOW + LEASE + dt.timedelta(seconds=1), lease=LEASE)
        assert again == held
        attempts = session.scalars(select(Reminder.attempts).where(Reminder.id.in_(again)))
        assert set(attempts) == {2}


def test_concurrent_dispatchers_never_hold_the_same_reminder(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        _reminders(session, _appointment(session), [-m for m in range(1, 301)])
    claimed: list[list[int]] = [[], [], []]
    errors: list[BaseException] = []

    def dispatcher(index: int) -> None:
        try:
            while True:
                with sessions.begin() as session:
                    _, held = claim_due(session, NOW, limit=20, lease=LEASE)
                if not held:
                    return
                claimed[index].extend(held)
        except BaseException as error:  # reported below, with the others' results
            errors.append(error)

    threads = [threading.Thread(target=dispatcher, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    every = [rid for batch in claimed for rid in batch]
    assert len(every) == len(set(every)) == 300  # all claimed, none twice


@pytest.mark.postgres
def test_the_claim_uses_the_index_with_a_million_reminders(postgres_url: str) -> None:
    upgrade(postgres_url)
    engine: Engine = create_db_engine(postgres_url)
    try:
        with Session(engine) as session, session.begin():
            appointment = _appointment(session)
            # A year of traffic: nearly all sent, a few thousand scheduled, some due now.
            session.execute(
                text(
                    "INSERT INTO reminders (appointment_id, due_at, status, attempts) "
                    "SELECT :appointment, :now + (n - 990000) * interval '1 minute', "
                    "CASE WHEN n < 990000 THEN 'sent' ELSE 'scheduled' END, 0 "
                    "FROM generate_series(1, 1000000) AS n"
                ),
                {"appointment": appointment, "now": NOW},
            )
        with engine.connect() as connection:
            connection.execute(text("ANALYZE reminders"))
            query = due_query(NOW, 50).compile(
                dialect=engine.dialect, compile_kwargs={"literal_binds": True}
            )
            plan = "\n".join(
                row[0]
                for row in connection.execute(text(f"EXPLAIN {query} FOR UPDATE SKIP LOCKED"))
            )
        assert "ix_reminders_status_due_at" in plan, plan
        assert "Seq Scan" not in plan, plan
    finally:
        engine.dispose()
