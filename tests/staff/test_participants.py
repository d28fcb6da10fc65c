"""The participants page: found by code, with visits in local time, reminders and consents."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.report import Counts
from bot.crypto import Cipher
from bot.db.models import (
    Appointment,
    CheckinStatus,
    LinkCode,
    Participant,
    Reminder,
    ReminderStatus,
    utcnow,
)
from bot.reminders import appointments, participants
from bot.rights import withdrawal
from bot.staff import participants as people
from tests.checkins.test_report import CIPHER, HOUR, PLANS, add_checkin, enrol, stored
from tests.reminders.linking import TRIALS, linked_participant, schedule_visit
from tests.staff.conftest import Site

T2D = "demo-t2d-001"
CHAT = "telegram-5b1e0c"
TODAY = dt.date.today()


def day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


@pytest.fixture
def enrolled(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """P-001 linked to a chat (reminders agreed, then withdrawn), with two visits; P-002 not."""
    with sessions.begin() as session:
        linked_participant(session, "P-001", T2D, CHAT)
        schedule_visit(session, "P-001", T2D, f"{day(20)}T14:30:00", kind="week 4")
        schedule_visit(session, "P-001", T2D, f"{day(5)}T09:00:00", kind="screening visit")
        schedule_visit(session, "P-001", T2D, f"{day(3)}T08:00:00", kind="cancelled visit")
        soonest = session.scalars(select(Appointment).where(Appointment.kind == "cancelled visit"))
        appointments.cancel(session, soonest.one())
        participants.add(session, "p-002", "demo-asthma-002", set(TRIALS), language="fr")
        participants.add(session, "X_1", T2D, set(TRIALS))
    with sessions.begin() as session:
        # A reminder the channel refused (as the dispatcher records it).
        first = session.scalars(
            select(Reminder)
            .join(Appointment)
            .where(Appointment.kind == "screening visit")
            .order_by(Reminder.due_at)
        ).first()
        assert first is not None
        first.status, first.attempts = ReminderStatus.FAILED, 3
        first.last_error = "Forbidden: bot was blocked by the user"
    with sessions.begin() as session:
        withdrawal.withdraw(session, CHAT)
    return sessions


def test_search_finds_codes_in_any_case_with_the_next_visit(
    enrolled: sessionmaker[Session],
) -> None:
    with enrolled() as session:
        found = people.search(session, "p-00")
        everyone = people.search(session, None)
        literal = people.search(session, "_")
    assert [row.code for row in found] == ["P-001", "p-002"]
    assert [row.code for row in everyone] == ["P-001", "p-002", "X_1"]
    assert [row.code for row in literal] == ["X_1"]  # a typed _ is a _, not "any character"
    first, second = found
    assert (first.trial, first.language, first.linked) == (T2D, "en", True)
    assert first.linked_at is not None and second.linked_at is None
    # The cancelled visit on day 3 is not next: the screening visit on day 5 is, in Paris time.
    assert first.next_appointment is not None
    assert first.next_appointment.startswith(f"{TODAY + dt.timedelta(days=5):%a %d %b %Y} 09:00 ")
    assert first.next_appointment.endswith(("CET · screening visit", "CEST · screening visit"))
    assert (first.appointments, first.reminders_failed) == (3, 1)
    assert (second.next_appointment, second.appointments, second.linked) == (None, 0, False)


def test_search_is_limited(enrolled: sessionmaker[Session]) -> None:
    with enrolled() as session:
        assert [row.code for row in people.search(session, "", limit=1)] == ["P-001"]


def test_detail_shows_visits_in_local_time_with_their_reminders(
    enrolled: sessionmaker[Session],
) -> None:
    with enrolled() as session:
        record = people.detail(session, "P-001")
    assert record is not None and record.linked
    kinds = [(a.kind, a.status) for a in record.appointments]
    assert kinds == [
        ("cancelled visit", "cancelled"),
        ("screening visit", "scheduled"),
        ("week 4", "scheduled"),
    ]
    visit = record.appointments[1]
    assert (visit.site, visit.timezone) == ("paris-nord", "Europe/Paris")
    assert " 09:00 " in visit.local_time and visit.starts_at.tzinfo is not None
    # Withdrawing consent cancelled the reminders still to send; the failed one stays as it was.
    statuses = [(r.status, r.last_error) for r in visit.reminders]
    assert statuses[0] == ("failed", "Forbidden: bot was blocked by the user")
    assert {status for status, _ in statuses[1:]} == {"cancelled"}
    assert visit.reminders[0].attempts == 3
    assert [r.due_at for r in visit.reminders] == sorted(r.due_at for r in visit.reminders)
    assert all(r.due_at < visit.starts_at for r in visit.reminders)


def test_detail_lists_the_consent_history_from_the_ledger(
    enrolled: sessionmaker[Session],
) -> None:
    with enrolled() as session:
        record = people.detail(session, "P-001")
        unlinked = people.detail(session, "p-002")
    assert record is not None and unlinked is not None
    assert [(c.consent_id, c.decision) for c in record.consents] == [
        ("reminders", "granted"),
        ("reminders", "withdrawn"),
    ]
    granted, withdrawn = record.consents
    assert withdrawn.seq > granted.seq and withdrawn.recorded_at >= granted.recorded_at
    assert (granted.version, granted.language, len(granted.hash_prefix)) == (1, "en", 12)
    assert unlinked.consents == () and unlinked.language == "fr"


def test_a_record_never_shows_the_chat_behind_the_code(enrolled: sessionmaker[Session]) -> None:
    with enrolled() as session:
        record = people.detail(session, "P-001")
        (row,) = people.search(session, "P-001")
        pseudonym = session.scalar(
            select(Participant.sender_key).where(Participant.code == "P-001")
        )
    assert record is not None and pseudonym == CHAT
    shown = json.dumps([record.to_json(), row.to_json()]) + repr(record) + repr(row)
    assert CHAT not in shown and "5b1e0c" not in shown


def test_an_unknown_code_has_no_record(enrolled: sessionmaker[Session]) -> None:
    with enrolled() as session:
        assert people.detail(session, "P-999") is None


def test_detail_says_what_became_of_the_link_code(enrolled: sessionmaker[Session]) -> None:
    with enrolled.begin() as session:
        lost = session.scalar(select(Participant.id).where(Participant.code == "X_1"))
        session.execute(
            update(LinkCode)
            .where(LinkCode.participant_id == lost)
            .values(expires_at=utcnow() - dt.timedelta(minutes=1))
        )
    with enrolled() as session:
        used, active, expired = [people.detail(session, code) for code in ("P-001", "p-002", "X_1")]
    assert used is not None and active is not None and expired is not None
    assert used.link_code is not None and active.link_code is not None
    assert (used.link_code.state, expired.link_code and expired.link_code.state) == (
        "used",
        "expired",
    )
    assert used.link_code.used_at is not None and active.link_code.used_at is None
    assert active.link_code.state == "active" and active.link_code.expires_at > utcnow()
    # The chat's channel by the platform's name; never the chat's key (to_json stays JSON).
    assert (used.channel, used.channel_title, active.channel_title) == (
        "telegram",
        "Telegram",
        None,
    )
    assert json.loads(json.dumps(used.to_json()))["link_code"]["state"] == "used"


# Check-ins ---------------------------------------------------------------------------------------

BREATHING = "How has your breathing been this week, from 0 (very bad) to 10 (very good)?"


def checked_in(session: Session, cipher: Cipher, now: dt.datetime) -> dt.datetime:
    """P-500 (asthma, Paris) answered their first week, missed a check-in after a visit, has not
    answered the next one for 30 hours, and has one to come; P-501 has none. The overdue one's
    due time."""
    person = enrol(session, "P-500")
    add_checkin(
        session, person, "week-1", status=CheckinStatus.ANSWERED, due_at=now - 72 * HOUR,
        answered_at=now - 71 * HOUR,
        answers=stored(cipher, {"breathing": 7, "missed_doses": None, "new_symptoms": True}),
    )  # fmt: skip
    add_checkin(session, person, "after-visit", status=CheckinStatus.MISSED, due_at=now - 99 * HOUR)
    overdue = add_checkin(session, person, "after-visit", due_at=now - 30 * HOUR)
    add_checkin(
        session, person, "after-visit", status=CheckinStatus.SCHEDULED, due_at=now + 48 * HOUR
    )
    enrol(session, "P-501")
    return overdue.due_at


def test_the_list_counts_each_participants_check_ins(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        checked_in(session, CIPHER, utcnow())
    with sessions() as session:
        busy, idle = people.search(session, "P-50")
    assert busy.checkins == Counts(answered=1, missed=1, overdue=1, scheduled=1)
    assert not idle.checkins.any and busy.to_json()["checkins"]["overdue"] == 1


def test_the_record_has_each_check_in_in_local_time_with_its_answers(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        due = checked_in(session, CIPHER, utcnow())
    with sessions() as session:
        record = people.detail(session, "P-500", cipher=CIPHER, plans=PLANS)
        french = people.detail(session, "P-500", cipher=CIPHER, plans=PLANS, lang="fr")
        unread = people.detail(session, "P-500")
    assert record is not None and french is not None and unread is not None
    shown = record.checkins
    assert (shown.counts.answered, shown.counts.missed, shown.counts.overdue) == (1, 1, 1)
    missed, answered, overdue, later = shown.items  # by due time
    assert (answered.title, answered.state_label) == ("Your first-week check-in", "answered")
    assert [(a.question, a.answer) for a in answered.answers] == [
        (BREATHING, "7"),
        ("How many doses of the study inhaler did you miss this week? Answer 0 if none.",
         "Don't know"),
        ("Have you had any new or unusual symptoms since you started the study inhaler?", "Yes"),
    ]  # fmt: skip
    assert (missed.state, later.state) == ("missed", "scheduled")
    assert overdue.overdue and overdue.state_label == "overdue: no answer for a day"
    assert overdue.local_time == people.local_text(due, "Europe/Paris")  # the participant's time
    assert [a.answer for a in french.checkins.items[1].answers] == ["7", "Ne sait pas", "Oui"]
    assert french.checkins.items[2].state_label == "en retard : sans réponse depuis un jour"
    assert french.checkins.items[1].title == "Votre point de la première semaine"
    # Without the cipher nothing is read, and the counts are the same.
    assert unread.checkins.counts == shown.counts and unread.checkins.items[1].answers == ()
    assert json.loads(json.dumps(record.to_json()))["checkins"]["counts"]["overdue"] == 1


def _words(page: str) -> str:
    """A page's text as a person reads it."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_pages_show_check_ins_overdue_first_to_the_eye(site: Site) -> None:
    with Session(site.engine) as session, session.begin():
        checked_in(session, Cipher.from_settings(site.settings), utcnow())
    site.add_staff("c@site.example")
    with site.browser() as browser:
        browser.sign_in("c@site.example")
        listed = _words(browser.get("/staff/participants", params={"q": "P-50"}).text)
        assert "1 answered, 1 missed, 1 overdue" in listed
        page = browser.get("/staff/participants/P-500").text
        said = _words(page)
        assert "Check-ins 1 answered 1 missed 1 overdue" in said
        assert f"{BREATHING} 7" in said and "Don't know" in said
        assert "Your first-week check-in (week-1) answered" in said
        # Overdue stands out: the count and the check-in's state are marked urgent.
        assert '<span class="pill urgent">1 overdue</span>' in page
        assert '<span class="badge urgent">overdue: no answer for a day</span>' in page
        browser.get("/staff/language/fr", params={"back": "/staff"})
        french = _words(browser.get("/staff/participants/P-500").text)
        assert "Points de suivi 1 répondu(s) 1 manqué(s) 1 en retard" in french
        assert "Ne sait pas" in french and "Oui" in french
        assert "1 répondu(s), 1 manqué(s), 1 en retard" in _words(
            browser.get("/staff/participants", params={"q": "P-50"}).text
        )
