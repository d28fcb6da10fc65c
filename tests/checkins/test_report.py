"""What staff see of the check-ins: each one's state at its boundaries, a participant's counts and
answers in words (English and French), and each trial's retention."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins import report
from bot.crypto import Cipher
from bot.db.models import Checkin, CheckinStatus, Participant
from bot.screening.criteria import Question
from tests.reminders.linking import TRIALS

ASTHMA = "demo-asthma-002"
T2D = "demo-t2d-001"
NOW = dt.datetime(2026, 12, 10, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
PLANS = report.schedules(TRIALS)
CIPHER = Cipher([Fernet.generate_key()])
_OCCASIONS = itertools.count(1)


def enrol(
    session: Session, code: str, trial: str = ASTHMA, *, timezone: str = "Europe/Paris"
) -> Participant:
    """A participant as staff register them (their chat is not needed to read check-ins)."""
    person = Participant(code=code, trial=trial, language="en", timezone=timezone)
    session.add(person)
    session.flush()
    return person


def stored(
    cipher: Cipher, answers: dict[str, Any], passed: tuple[str, ...] = (), **more: Any
) -> str:
    """The answers as the chat keeps them: encrypted JSON."""
    data = {"answers": answers, "passed": list(passed), "stopped": False, **more}
    return cipher.encrypt(json.dumps(data))


def add_checkin(
    session: Session,
    person: Participant,
    checkin: str = "week-1",
    *,
    status: CheckinStatus = CheckinStatus.SENT,
    due_at: dt.datetime = NOW - 2 * HOUR,
    sent_at: dt.datetime | None = None,
    closes_at: dt.datetime | None = None,
    answers: str | None = None,
    occasion: str | None = None,
    **more: Any,
) -> Checkin:
    """One check-in of `person`, sent when due unless said otherwise; open for 48 hours."""
    sent = status is not CheckinStatus.SCHEDULED
    row = Checkin(
        participant_id=person.id,
        trial=person.trial,
        checkin=checkin,
        occasion=occasion or f"appointment:{next(_OCCASIONS)}",
        version=1,
        due_at=due_at,
        closes_at=closes_at or due_at + 48 * HOUR,
        status=status,
        sent_at=sent_at or (due_at if sent else None),
        answers=answers,
        channel="telegram" if sent else None,
        **more,
    )
    session.add(row)
    session.flush()
    return row


def bare(**values: Any) -> Checkin:
    """A row not in any database, for `state` alone."""
    values["closes_at"] = values.get("closes_at") or NOW + 24 * HOUR
    return Checkin(**values)


# --- states ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "due_at", "sent_at", "closes_at", "expected"),
    [
        (CheckinStatus.SCHEDULED, NOW + dt.timedelta(seconds=1), None, None, "scheduled"),
        (CheckinStatus.SCHEDULED, NOW, None, None, "due"),  # due, waiting for quiet hours' end
        (CheckinStatus.SENT, NOW - 30 * HOUR, NOW - 23 * HOUR, None, "open"),
        (CheckinStatus.SENT, NOW - 30 * HOUR, NOW - 24 * HOUR, None, "overdue"),  # a day exactly
        (CheckinStatus.SENT, NOW - 24 * HOUR, None, None, "overdue"),  # sent_at unknown: due_at
        (CheckinStatus.SENT, NOW - 47 * HOUR, NOW - 47 * HOUR, NOW, "missed"),  # closed now
        (CheckinStatus.SENT, NOW - HOUR, NOW - HOUR, NOW - dt.timedelta(seconds=1), "missed"),
        (CheckinStatus.ANSWERED, NOW - 30 * HOUR, NOW - 30 * HOUR, None, "answered"),
        (CheckinStatus.MISSED, NOW - 50 * HOUR, NOW - 50 * HOUR, NOW - 2 * HOUR, "missed"),
        (CheckinStatus.FAILED, NOW - HOUR, None, None, "failed"),
        (CheckinStatus.CANCELLED, NOW + HOUR, None, None, "cancelled"),
    ],
)
def test_the_state_staff_see_at_each_boundary(
    status: CheckinStatus,
    due_at: dt.datetime,
    sent_at: dt.datetime | None,
    closes_at: dt.datetime | None,
    expected: str,
) -> None:
    row = bare(status=status, due_at=due_at, sent_at=sent_at, closes_at=closes_at)
    assert report.state(row, NOW) == expected
    # SQLite gives times back without their zone: the same moment, the same state.
    naive = bare(
        status=status,
        due_at=due_at.replace(tzinfo=None),
        sent_at=sent_at and sent_at.replace(tzinfo=None),
        closes_at=(closes_at or NOW + 24 * HOUR).replace(tzinfo=None),
    )
    assert report.state(naive, NOW) == expected


def test_the_database_counts_states_as_state_says(sessions: sessionmaker[Session]) -> None:
    """The participants list counts in SQL: at the same boundaries, the same answer."""
    with sessions.begin() as session:
        person = enrol(session, "P-100")
        rows = [
            add_checkin(session, person, status=CheckinStatus.SCHEDULED, due_at=NOW + HOUR),
            add_checkin(session, person, status=CheckinStatus.SCHEDULED, due_at=NOW),
            add_checkin(session, person, due_at=NOW - 23 * HOUR),
            add_checkin(session, person, due_at=NOW - 24 * HOUR),
            add_checkin(session, person, due_at=NOW - 30 * HOUR, sent_at=NOW - 20 * HOUR),
            add_checkin(session, person, due_at=NOW - 48 * HOUR),  # closes now
            add_checkin(session, person, status=CheckinStatus.ANSWERED),
            add_checkin(session, person, status=CheckinStatus.FAILED),
            add_checkin(session, person, status=CheckinStatus.CANCELLED),
        ]
        person_id = person.id
        expected = report.Counts.of(report.state(row, NOW) for row in rows)
    with sessions() as session:
        counted = report.counts_by_participant(session, [person_id], now=NOW)
    assert counted == {person_id: expected}
    assert expected == report.Counts(answered=1, missed=1, overdue=1, open=2, scheduled=2, failed=1)


# --- a participant's record --------------------------------------------------------------------


@pytest.fixture
def answered(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """P-200 answered their first week (a "don't know" among the answers), passed a question
    after a visit and stopped, and has not answered the next visit's check-in for a day."""
    with sessions.begin() as session:
        person = enrol(session, "P-200")
        add_checkin(
            session, person, "week-1", status=CheckinStatus.ANSWERED, occasion="enrolment",
            due_at=NOW - 72 * HOUR, answered_at=NOW - 70 * HOUR,
            answers=stored(CIPHER, {"new_symptoms": False, "breathing": 7, "missed_doses": None}),
        )  # fmt: skip
        add_checkin(
            session, person, "after-visit", status=CheckinStatus.ANSWERED,
            due_at=NOW - 40 * HOUR, answered_at=NOW - 39 * HOUR,
            answers=stored(CIPHER, {"feeling": 6.5}, passed=("new_symptoms",), stopped=True),
        )  # fmt: skip
        add_checkin(session, person, "after-visit", due_at=NOW - 25 * HOUR)
        enrol(session, "P-201")
    return sessions


def test_a_participants_check_ins_with_their_answers_in_words(
    answered: sessionmaker[Session],
) -> None:
    with answered() as session:
        found = report.of_participant(session, "P-200", PLANS, CIPHER, now=NOW)
    assert found is not None
    assert (found.counts.answered, found.counts.missed, found.counts.overdue) == (2, 0, 1)
    first, second, third = found.checkins
    assert (first.title, first.state) == ("Your first-week check-in", "answered")
    assert first.answers is not None
    # In the file's order, not the stored one; "don't know" said as such.
    assert [(a.question, a.answer) for a in first.answers] == [
        ("breathing", "7"),
        ("missed_doses", "Don't know"),
        ("new_symptoms", "No"),
    ]
    assert first.answers[0].text.startswith("How has your breathing been this week")
    assert second.answers is not None and second.stopped
    assert [(a.answer, a.passed) for a in second.answers] == [("6.5", False), ("Passed", True)]
    assert (third.state, third.answers) == ("overdue", ())


def test_the_same_answers_in_french(answered: sessionmaker[Session]) -> None:
    with answered() as session:
        found = report.of_participant(session, "P-200", PLANS, CIPHER, now=NOW, lang="fr")
    assert found is not None
    first, second, _ = found.checkins
    assert first.title == "Votre point de la première semaine"
    assert first.answers is not None and second.answers is not None
    assert [a.answer for a in first.answers] == ["7", "Ne sait pas", "Non"]
    assert first.answers[2].text.startswith("Avez-vous eu des symptômes nouveaux")
    assert [a.answer for a in second.answers] == ["6,5", "Passée"]


def test_yes_and_an_options_label_in_both_languages() -> None:
    inhaler = Question(
        id="inhaler",
        type="choice",
        text={"en": "How often?", "fr": "À quelle fréquence ?"},
        options={"daily": {"en": "Every day", "fr": "Tous les jours"}},
    )
    assert [report.in_words(inhaler, "daily", lang) for lang in ("en", "fr")] == [
        "Every day",
        "Tous les jours",
    ]
    assert [report.in_words(None, True, lang) for lang in ("en", "fr")] == ["Yes", "Oui"]
    assert report.in_words(None, "2026-12-01") == "2026-12-01"  # a date, as answered


def test_without_the_cipher_no_answer_is_read(answered: sessionmaker[Session]) -> None:
    with answered() as session:
        rows = report.listed(session, PLANS, now=NOW)
    assert [row.participant for row in rows] == ["P-200"] * 3
    assert all(row.answers is None for row in rows)
    assert "answers" not in rows[0].to_json()
    assert rows[0].to_json()["due_at"] == (NOW - 72 * HOUR).isoformat()


def test_answers_no_key_decrypts_are_said_so(answered: sessionmaker[Session]) -> None:
    with answered() as session:
        found = report.of_participant(
            session, "P-200", PLANS, Cipher([Fernet.generate_key()]), now=NOW
        )
    assert found is not None
    assert [(row.unreadable, row.answers) for row in found.checkins[:2]] == [(True, None)] * 2
    assert found.checkins[2].unreadable is False  # nothing was answered there


def test_an_unknown_code_and_a_participant_without_check_ins(
    answered: sessionmaker[Session],
) -> None:
    with answered() as session:
        assert report.of_participant(session, "P-999", PLANS, CIPHER) is None
        nothing = report.of_participant(session, "P-201", PLANS, CIPHER)
    assert nothing is not None and nothing.checkins == () and not nothing.counts.any


# --- retention -----------------------------------------------------------------------------------


def test_retention_counts_answered_of_those_closed_in_the_files_order(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        one, two, three = (enrol(session, code) for code in ("P-301", "P-302", "P-303"))
        add_checkin(session, one, status=CheckinStatus.ANSWERED)
        add_checkin(session, two, status=CheckinStatus.ANSWERED)
        add_checkin(session, three, status=CheckinStatus.MISSED)
        add_checkin(session, one, due_at=NOW - 48 * HOUR)  # closed, not marked missed yet
        add_checkin(session, two, due_at=NOW - 30 * HOUR)  # overdue: still open
        add_checkin(session, three, status=CheckinStatus.SCHEDULED, due_at=NOW - HOUR)  # due
        add_checkin(session, three, status=CheckinStatus.CANCELLED)  # never meant to go
        add_checkin(session, one, "after-visit", status=CheckinStatus.FAILED)
        add_checkin(session, one, "retired", status=CheckinStatus.ANSWERED)  # no longer in file
        add_checkin(session, one, "after-visit", status=CheckinStatus.SCHEDULED, due_at=NOW + HOUR)
    with sessions() as session:
        every = report.retention(session, PLANS, now=NOW)
        asthma_only = report.retention(session, PLANS, trial=ASTHMA, now=NOW)
    assert [kept.trial for kept in every] == [ASTHMA, T2D]  # the diabetes trial: none yet
    assert asthma_only == every[:1]
    (asthma,) = asthma_only
    week, visit, retired = asthma.checkins
    assert [r.checkin for r in asthma.checkins] == ["week-1", "after-visit", "retired"]
    assert (week.answered, week.closed, week.open, week.share) == (2, 4, 2, 0.5)
    assert week.named("fr") == "Votre point de la première semaine"
    assert (visit.answered, visit.closed, visit.share, visit.scheduled) == (0, 1, 0.0, 1)
    assert (retired.named("en"), retired.share) == ("retired", 1.0)
    assert (asthma.total.answered, asthma.total.closed) == (3, 6)
    assert [r.share for r in every[1].checkins] == [None, None]  # none closed: no share
    assert every[1].to_json()["checkins"][0] == {
        "checkin": "week-2", "title": every[1].checkins[0].title, "answered": 0, "missed": 0,
        "failed": 0, "open": 0, "scheduled": 0, "closed": 0, "share": None,
    }  # fmt: skip
