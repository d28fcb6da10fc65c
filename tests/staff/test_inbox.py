"""The staff inbox: every open item, the most urgent first, and dealt with once."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.consent.service import channel_of
from bot.crypto import Cipher
from bot.db.models import (
    Appointment,
    Checkin,
    CheckinStatus,
    FollowUp,
    Participant,
    Reminder,
    ReminderStatus,
    Screening,
    as_utc,
    utcnow,
)
from bot.handoff import service
from bot.reminders import requests
from bot.reminders.dispatcher import Dispatcher
from bot.safety import events
from bot.safety.detect import Finding
from bot.screening import store
from bot.settings import Settings
from bot.staff import inbox
from tests.handoff.factories import conversation, handoff
from tests.reminders.linking import TRIALS, linked_participant, schedule_visit

CIPHER = Cipher([Fernet.generate_key()])
PARTICIPANT_CHAT = "telegram-5a1b"
STRANGER = "web-77c0"
TRIAL = "demo-t2d-001"
PHONE = "+33 6 12 34 56 78"


def _emergency(
    session: Session, settings: Settings, text: str, *, ago: dt.timedelta, who: str = STRANGER
) -> int:
    finding = Finding("emergency", "chest_pain", "chest pain")
    return _safety(session, settings, finding, text, ago, who)


def _side_effect(session: Session, settings: Settings, text: str, *, ago: dt.timedelta) -> int:
    finding = Finding("adverse_event", "after_treatment", "since the injection")
    return _safety(session, settings, finding, text, ago, STRANGER)


def _safety(
    session: Session,
    settings: Settings,
    finding: Finding,
    text: str,
    ago: dt.timedelta,
    who: str,
) -> int:
    event = events.record(
        session, settings, CIPHER, finding, sender_key=who, channel=channel_of(who), language="en",
        text=text, trial=TRIAL,
    )  # fmt: skip
    event.created_at = utcnow() - ago  # reported that long ago
    return event.id


def _contact_request(session: Session, *, ago: dt.timedelta, cipher: Cipher = CIPHER) -> int:
    screening = Screening(sender_key=STRANGER, trial=TRIAL, criteria_version=1, answers="")
    session.add(screening)
    session.flush()
    request = store.follow_up(
        session, cipher, screening, "contact", "en", preferred_time="morning", channel="phone",
        phone=PHONE,
    )  # fmt: skip
    request.created_at = utcnow() - ago
    return request.id


def _participant_with_a_visit(session: Session) -> Appointment:
    """P-1, bound to a Telegram chat, with a visit in three weeks (site time)."""
    linked_participant(session, "P-1", TRIAL, PARTICIPANT_CHAT)
    day = (utcnow() + dt.timedelta(days=21)).date()
    schedule_visit(session, "P-1", TRIAL, f"{day}T10:00:00", site="paris-nord")
    return session.scalars(select(Appointment)).one()


def _failed_reminder(sessions: sessionmaker[Session], settings: Settings) -> int:
    """The first reminder of P-1's visit, undeliverable: no Telegram channel is configured."""
    with sessions() as session:
        first = session.scalars(select(Reminder).order_by(Reminder.due_at)).first()
        assert first is not None
        due = as_utc(first.due_at)
    dispatcher = Dispatcher(
        settings=settings, sessions=sessions, channels={}, max_attempts=1,
        clock=lambda: due + dt.timedelta(minutes=1),
    )  # fmt: skip
    assert asyncio.run(dispatcher.run_once()) == 0
    with sessions() as session:
        failed = session.get(Reminder, first.id)
        assert failed is not None and failed.status == ReminderStatus.FAILED
        return failed.id


def _age(sessions: sessionmaker[Session], reminder_id: int, ago: dt.timedelta) -> None:
    """As if the reminder had failed that long ago (its last due time is that of the failure)."""
    with sessions.begin() as session:
        reminder = session.get(Reminder, reminder_id)
        assert reminder is not None
        reminder.due_at = utcnow() - ago


def test_the_most_urgent_come_first_then_the_oldest(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    hours, days = dt.timedelta(hours=1), dt.timedelta(days=1)
    with sessions.begin() as session:
        contact = _contact_request(session, ago=7 * days)
        side_effect = _side_effect(session, settings, "rash since the injection", ago=3 * days)
        recent = _emergency(session, settings, "my chest hurts", ago=1 * hours)
        earlier = _emergency(session, settings, "crushing pain in my chest", ago=2 * hours)
        conversation(session, "web-5e6f")
        waiting = handoff(session, CIPHER, "web-5e6f", settings=settings)
        waiting.created_at = utcnow() - 5 * hours
        _participant_with_a_visit(session)
    reminder = _failed_reminder(sessions, settings)
    _age(sessions, reminder, 2 * days)

    with sessions() as session:
        listed = inbox.items(session, CIPHER)

    assert [item.key for item in listed] == [
        f"safety:{earlier}",
        f"safety:{recent}",
        f"safety:{side_effect}",
        f"handoff:{waiting.id}",
        f"reminder:{reminder}",
        f"follow_up:{contact}",
    ]
    assert [item.urgent for item in listed] == [True, True, False, False, False, False]
    assert [item.title for item in listed] == [
        "Emergency — chest pain",
        "Emergency — chest pain",
        "Adverse event — after treatment",
        "Wants the study team",
        "Reminder not delivered — P-1",
        f"Contact request — {TRIAL}",
    ]
    assert [item.age for item in listed] == [
        "2 h ago", "1 h ago", "3 days ago", "5 h ago", "2 days ago", "7 days ago",
    ]  # fmt: skip
    assert listed[0].text == "crushing pain in my chest"
    assert listed[0].actions == ("acknowledge",) and listed[3].actions == ("reply", "close")
    assert all(item.created_at.tzinfo is not None for item in listed)
    assert inbox.counts(listed) == {
        "safety": 3, "handoff": 1, "follow_up": 1, "reminder": 1, "checkin": 0,
        "urgent": 2,
    }  # fmt: skip


def test_a_contact_request_shows_the_phone_number_decrypted(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        _contact_request(session, ago=dt.timedelta(days=1))
        stored = session.scalars(select(FollowUp.phone)).one()
    assert stored is not None and PHONE not in stored
    with sessions() as session:
        (item,) = inbox.items(session, CIPHER)
    assert dict(item.details)["Phone"] == PHONE
    assert dict(item.details)["Preferred time"] == "morning"
    assert (item.participant, item.channel, item.actions) == (STRANGER, "web", ("done",))


def test_a_handoff_lists_the_messages_of_both_sides(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    with sessions.begin() as session:
        conversation(session, "web-5e6f", language="fr")
        opened = handoff(session, CIPHER, "web-5e6f", text="je veux parler à l'équipe")
        service.note(session, CIPHER, "web-5e6f", "vous êtes là ?")
        service.reply(session, CIPHER, opened.id, "Oui, je vous écoute.")
    with sessions() as session:
        (item,) = inbox.items(session, CIPHER)
    assert "je veux parler à l'équipe" in item.text  # the summary
    assert [(who.split(" ")[0], what) for who, what in item.details] == [
        ("patient", "vous êtes là ?"),
        ("staff", "Oui, je vous écoute."),
    ]
    assert item.details[1][0].endswith(", pending)")  # not delivered yet
    assert (item.language, item.trial) == ("fr", TRIAL)


def test_a_participants_requests_name_their_code_and_appointment(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    with sessions.begin() as session:
        visit = _participant_with_a_visit(session)
        assert requests.answer(session, PARTICIPANT_CHAT, visit.id, "reschedule", "en")
        _emergency(
            session, settings, "pain in my chest", ago=dt.timedelta(minutes=5), who=PARTICIPANT_CHAT
        )
    with sessions() as session:
        safety, request = inbox.items(session, CIPHER)
    assert safety.participant == "P-1"  # the code staff know, not the chat's pseudonym
    assert request.title == "Reschedule request — P-1" and request.urgency == 4
    appointment = dict(request.details)["Appointment"]
    day = (utcnow() + dt.timedelta(days=21)).date()
    # In the site's time (the page says its zone once, at the top), not the booking's zone.
    assert appointment == f"{day:%a %d %b %Y} 10:00, week 4 at paris-nord (reschedule requested)"
    assert request.channel == "telegram"


def test_acknowledging_removes_the_event_and_twice_is_refused(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    with sessions.begin() as session:
        first = _emergency(session, settings, "chest pain", ago=dt.timedelta(minutes=3))
        second = _emergency(session, settings, "chest pain again", ago=dt.timedelta(minutes=1))
    with sessions.begin() as session:
        assert inbox.acknowledge_safety(session, first)
    with sessions() as session:
        assert [item.key for item in inbox.items(session, CIPHER)] == [f"safety:{second}"]
    with sessions.begin() as session, pytest.raises(inbox.InboxError, match="already acknowledged"):
        inbox.acknowledge_safety(session, first)
    with sessions.begin() as session, pytest.raises(inbox.InboxError, match="no safety event 999"):
        inbox.acknowledge_safety(session, 999)


def test_a_follow_up_done_leaves_the_inbox_and_twice_is_refused(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        request = _contact_request(session, ago=dt.timedelta(days=1))
    with sessions.begin() as session:
        inbox.finish_follow_up(session, request)
    with sessions() as session:
        assert inbox.items(session, CIPHER) == []
        done = session.get(FollowUp, request)
        assert done is not None and done.status == "done" and done.closed_at is not None
    with sessions.begin() as session, pytest.raises(inbox.InboxError, match="no longer open"):
        inbox.finish_follow_up(session, request)


def test_a_reviewed_reminder_leaves_the_inbox_and_only_failed_ones_can_be(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    with sessions.begin() as session:
        _participant_with_a_visit(session)
    failed = _failed_reminder(sessions, settings)
    with sessions() as session:
        (item,) = inbox.items(session, CIPHER)
        waiting = session.scalars(
            select(Reminder.id).where(Reminder.status == ReminderStatus.SCHEDULED)
        ).first()
    assert item.key == f"reminder:{failed}" and item.participant == "P-1"
    assert item.text == "no telegram channel is configured" and item.channel == "telegram"
    with sessions.begin() as session:
        inbox.review_reminder(session, failed)
    with sessions() as session:
        assert inbox.items(session, CIPHER) == []
    with sessions.begin() as session, pytest.raises(inbox.InboxError, match="already marked"):
        inbox.review_reminder(session, failed)
    assert waiting is not None
    with sessions.begin() as session, pytest.raises(inbox.InboxError, match="not a failed one"):
        inbox.review_reminder(session, waiting)


def _failed_checkin(session: Session, status: CheckinStatus = CheckinStatus.FAILED) -> int:
    """P-1's two-week check-in, as the dispatcher leaves it when the chat could not be reached."""
    person = session.scalars(select(Participant).where(Participant.code == "P-1")).one()
    due = utcnow() - dt.timedelta(hours=3)
    occasion = "enrolment" if status is CheckinStatus.FAILED else "appointment:1"
    row = Checkin(
        participant_id=person.id, trial=TRIAL, checkin="week-2", occasion=occasion,
        version=1, due_at=due, closes_at=due + dt.timedelta(hours=48), status=status,
        attempts=5 if status is CheckinStatus.FAILED else 0,
        last_error="Forbidden: bot was blocked by the user" if status is CheckinStatus.FAILED
        else None,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row.id


def test_a_check_in_that_could_not_be_delivered_is_in_the_inbox_until_dealt_with(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    with sessions.begin() as session:
        linked_participant(session, "P-1", TRIAL, PARTICIPANT_CHAT, language="fr")
        failed = _failed_checkin(session)
        waiting = _failed_checkin(session, CheckinStatus.SCHEDULED)
    with sessions() as session:
        (item,) = inbox.items(session, CIPHER, trials=TRIALS)
        (french,) = inbox.items(session, CIPHER, trials=TRIALS, lang="fr")
    assert item.key == f"checkin:{failed}" and item.title == "Check-in not delivered — P-1"
    assert item.text == "Forbidden: bot was blocked by the user" and item.channel == "telegram"
    assert dict(item.details) == {"Check-in": "Your two-week check-in", "Attempts": "5"}
    assert item.trial == TRIAL and item.actions == ("done",)
    assert french.title == "Point de suivi non remis — P-1"
    assert dict(french.details)["Point de suivi"] == "Votre point des deux premières semaines"
    with sessions.begin() as session:
        inbox.review_checkin(session, failed)
    with sessions() as session:
        assert inbox.items(session, CIPHER) == []
    with sessions.begin() as session, pytest.raises(inbox.InboxError, match="already marked"):
        inbox.review_checkin(session, failed)
    with sessions.begin() as session, pytest.raises(inbox.InboxError, match="not a failed one"):
        inbox.review_checkin(session, waiting)


def test_text_under_a_retired_key_reads_as_a_placeholder(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    retired = Cipher([Fernet.generate_key()])
    with sessions.begin() as session:
        events.record(
            session, settings, retired, Finding("emergency", "breathing", "can't breathe"),
            sender_key=STRANGER, channel="web", language="en", text="I can't breathe",
            trial=None,
        )  # fmt: skip
        _contact_request(session, ago=dt.timedelta(hours=1), cipher=retired)
        _side_effect(session, settings, "headache since the tablets", ago=dt.timedelta(hours=2))
    with sessions() as session:
        emergency, side_effect, contact = inbox.items(session, CIPHER)
    assert emergency.text == inbox.UNREADABLE
    assert dict(contact.details)["Phone"] == inbox.UNREADABLE
    assert side_effect.text == "headache since the tablets"  # the others are still read


@pytest.mark.parametrize(
    ("zone", "when", "lang", "said"),
    [
        ("Europe/Paris", "2026-12-04T12:00", "en", "Times are Paris time (UTC+1)."),
        ("Europe/Paris", "2026-07-04T12:00", "en", "Times are Paris time (UTC+2)."),
        ("Europe/Paris", "2026-12-04T12:00", "fr", "Les heures sont celles de Paris (UTC+1)."),
        ("America/New_York", "2026-12-04T12:00", "en", "Times are New York time (UTC-5)."),
        ("Asia/Kolkata", "2026-12-04T12:00", "en", "Times are Kolkata time (UTC+5:30)."),
        ("Europe/London", "2026-12-04T12:00", "en", "Times are London time (UTC)."),
        ("UTC", "2026-12-04T12:00", "en", "Times are UTC."),
    ],
)
def test_the_zone_is_said_with_its_offset_of_the_day(
    zone: str, when: str, lang: str, said: str
) -> None:
    now = dt.datetime.fromisoformat(when).replace(tzinfo=dt.UTC)
    assert inbox.zone_said(ZoneInfo(zone), now, lang) == said


def _item(person: str, code: str | None = None, key: int = 1) -> inbox.InboxItem:
    moment = utcnow()
    return inbox.InboxItem(
        kind="follow_up", id=key, urgency=5, title="Contact request", created_at=moment,
        received="", age="", trial=None, trial_title=None, channel="web", language="en",
        participant=code or person, code=code, person=person, text="", details=(),
        actions=("done",),
    )  # fmt: skip


def test_people_are_told_apart_by_their_pseudonyms_never_by_a_platform_id() -> None:
    listed = [
        _item("web-3f2a0001ffff", key=1),
        _item("telegram-3f2a9999ffff", key=2),
        _item("whatsapp-77c0aaaa", key=3),
        _item("participant:P-3", "P-3", key=4),  # a participant whose chat is not linked
        _item("web-3f2a0001ffff", key=5),
    ]
    people = inbox.by_person(listed, "fr")
    # Two pseudonyms start alike: both are said longer.
    assert [(p.label, [i.id for i in p.items]) for p in people] == [
        ("Personne 3f2a0001", [1, 5]),
        ("Personne 3f2a9999", [2]),
        ("Personne 77c0", [3]),
        ("Participant P-3", [4]),
    ]
    assert [p.code for p in people] == [None, None, None, "P-3"]


def test_a_chats_items_without_a_trial_take_its_participants(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    with sessions.begin() as session:
        _participant_with_a_visit(session)
        events.record(
            session, settings, CIPHER, Finding("emergency", "breathing", "can't breathe"),
            sender_key=PARTICIPANT_CHAT, channel="telegram", language="en", text="help",
            trial=None,
        )  # fmt: skip
    with sessions() as session:
        (item,) = inbox.items(session, CIPHER, lang="fr", trials=TRIALS)
        (untitled,) = inbox.items(session, CIPHER)
    assert (item.trial, item.trial_title) == (TRIAL, "Étude DMX-101 (démonstration fictive)")
    assert (untitled.trial, untitled.trial_title) == (TRIAL, TRIAL)  # no catalogue: the id
    assert (item.code, item.person) == ("P-1", PARTICIPANT_CHAT)
