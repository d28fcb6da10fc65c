"""The staff inbox: what the site team must act on, from every source, most urgent first.

Each source keeps its own listing (`events.listed`, `service.listed`, `report.follow_ups`,
`report.appointments`); this module only puts them side by side in the shape the page renders,
and marks an item dealt with. Handoffs are answered and closed through `HandoffDelivery`, which
sends on the person's channel, not here.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.consent.service import channel_of
from bot.crypto import Cipher, DecryptionError
from bot.db.models import (
    Appointment,
    FollowUp,
    Participant,
    Reminder,
    ReminderStatus,
    SafetyEvent,
    as_utc,
    utcnow,
)
from bot.handoff import service
from bot.reminders import report as appointments_report
from bot.safety import events
from bot.screening import report as screening_report
from bot.staff.words import t, when

Kind = Literal["safety", "handoff", "follow_up", "reminder"]
KINDS: tuple[Kind, ...] = ("safety", "handoff", "follow_up", "reminder")

# 1 is the most urgent. An emergency may be a life at risk now. A side effect starts the
# regulatory reporting clock (24 hours for a serious one). A person in a handoff is waiting in
# their chat for a human. An appointment change or an undelivered reminder has a visit date
# behind it; a call-back or a screening to review has none.
URGENCY = {
    "emergency": 1,
    "adverse_event": 2,
    "handoff": 3,
    "reschedule": 4,
    "cancel": 4,
    "reminder": 4,
    "contact": 5,
    "review": 5,
}
URGENT = 1  # urgencies shown as urgent: this one and below

UNREADABLE = "(unreadable: encrypted with a retired key)"

_SAFETY_TITLES = {"emergency": "Emergency", "adverse_event": "Adverse event"}
_HANDOFF_TITLES = {
    "asked": "Wants the study team",
    "misunderstood": "Not understood twice — handed to the team",
}
_FOLLOW_UP_TITLES = {
    "contact": "Contact request",
    "review": "Screening to review",
    "reschedule": "Reschedule request",
    "cancel": "Appointment cancelled",
}
_FOLLOW_UP_TEXTS = {
    "contact": "Asked the study team to get in touch.",
    "review": "A pre-screening answer needs a person's judgement.",
    "reschedule": "Asked to change the date of an appointment.",
    "cancel": "Cancelled an appointment from a reminder.",
}


class InboxError(Exception):
    """An inbox action that cannot be done; the message is for staff (English, with `values`
    filled in; the pages say it in the staff member's language)."""

    def __init__(self, message: str, **values: object) -> None:
        super().__init__(message.format(**values))
        self.message, self.values = message, values


@dataclass(frozen=True)
class InboxItem:
    """One thing to act on, as the page shows it."""

    kind: Kind
    id: int  # the row's id in its own table
    urgency: int
    title: str
    created_at: dt.datetime
    age: str
    trial: str | None
    channel: str | None
    language: str | None
    participant: str  # a participant code, else the conversation's pseudonym
    text: str
    details: tuple[tuple[str, str], ...]  # (label, value)
    actions: tuple[str, ...]  # the page's buttons: acknowledge, reply, close, done

    @property
    def key(self) -> str:
        """Unique across kinds (ids are only unique within one table)."""
        return f"{self.kind}:{self.id}"

    @property
    def urgent(self) -> bool:
        return self.urgency <= URGENT


def items(
    session: Session, cipher: Cipher, *, now: dt.datetime | None = None, lang: str = "en"
) -> list[InboxItem]:
    """Everything open, most urgent first, then oldest first; labels in the staff's language."""
    now = now or utcnow()
    readable = _Readable(cipher)
    found = [
        *_safety_events(session, readable, now, lang),
        *_handoffs(session, readable, now, lang),
        *_follow_ups(session, readable, now, lang),
        *_failed_reminders(session, now, lang),
    ]
    return sorted(found, key=lambda item: (item.urgency, item.created_at, item.key))


def counts(listed: Iterable[InboxItem]) -> dict[str, int]:
    """How many items of each kind (every kind present, 0 when none), and how many urgent."""
    listed = list(listed)
    tally = Counter(item.kind for item in listed)
    return {**{kind: tally[kind] for kind in KINDS}, "urgent": sum(i.urgent for i in listed)}


def acknowledge_safety(session: Session, event_id: int) -> SafetyEvent:
    """Staff have reviewed the event: it leaves the inbox."""
    event = _pending(
        session.get(SafetyEvent, event_id, with_for_update=True),
        event_id,
        lambda row: row.status == "open",
        "There is no safety event {id}.",
        "The safety event {id} was already acknowledged.",
    )
    events.acknowledge(session, event.id)
    return event


def finish_follow_up(session: Session, follow_up_id: int) -> FollowUp:
    """The call was made, the review or the appointment change is done."""
    follow_up = _pending(
        session.get(FollowUp, follow_up_id, with_for_update=True),
        follow_up_id,
        lambda row: row.status == "open",
        "There is no follow-up {id}.",
        "The follow-up {id} is no longer open.",
    )
    follow_up.status, follow_up.closed_at = "done", utcnow()
    return follow_up


def review_reminder(session: Session, reminder_id: int) -> Reminder:
    """Staff dealt with a reminder that could not be delivered (called the participant, …)."""
    reminder = _pending(
        session.get(Reminder, reminder_id, with_for_update=True),
        reminder_id,
        lambda row: row.status == ReminderStatus.FAILED,
        "There is no reminder {id}.",
        "The reminder {id} was not a failed one.",
    )
    if reminder.reviewed_at is not None:
        raise InboxError("Reminder {id} was already marked done.", id=reminder_id)
    reminder.reviewed_at = utcnow()
    return reminder


_Row = TypeVar("_Row")


def _pending(
    row: _Row | None, row_id: int, is_open: Callable[[_Row], bool], missing: str, closed: str
) -> _Row:
    # Read under a row lock (on PostgreSQL): of two staff pressing at once, the second is told.
    if row is None:
        raise InboxError(missing, id=row_id)
    if not is_open(row):
        raise InboxError(closed, id=row_id)
    return row


def _safety_events(
    session: Session, cipher: Cipher, now: dt.datetime, lang: str
) -> list[InboxItem]:
    rows = events.listed(session, cipher)
    codes = _participant_codes(session, [row["participant"] for row in rows])
    return [
        InboxItem(
            kind="safety",
            id=row["id"],
            urgency=URGENCY[row["kind"]],
            title=f"{t(lang, _SAFETY_TITLES.get(row['kind'], row['kind']))} — "
            f"{t(lang, _words(row['category']))}",
            created_at=(created := _moment(row["created_at"])),
            age=age(created, now, lang),
            trial=row["trial"],
            channel=row["channel"],
            language=row["language"],
            participant=codes.get(row["participant"], row["participant"]),
            text=row["text"],
            details=(),
            actions=("acknowledge",),
        )
        for row in rows
    ]


def _handoffs(session: Session, cipher: Cipher, now: dt.datetime, lang: str) -> list[InboxItem]:
    rows = service.listed(session, cipher)
    codes = _participant_codes(session, [row["participant"] for row in rows])
    return [
        InboxItem(
            kind="handoff",
            id=row["id"],
            urgency=URGENCY["handoff"],
            title=t(lang, _HANDOFF_TITLES.get(row["reason"], "Handoff")),
            created_at=(created := _moment(row["created_at"])),
            age=age(created, now, lang),
            trial=row["trial"],
            channel=row["channel"],
            language=row["language"],
            participant=codes.get(row["participant"], row["participant"]),
            text=row["text"],
            details=tuple(_said(message, lang) for message in row["messages"]),
            actions=("reply", "close"),
        )
        for row in rows
    ]


def _said(message: dict[str, Any], lang: str) -> tuple[str, str]:
    """A handoff message as ("author (when, delivery)", text)."""
    moment = when(_moment(message["created_at"]), lang)
    delivery = f", {t(lang, message['delivery'])}" if message["delivery"] else ""
    return f"{t(lang, message['author'])} ({moment} UTC{delivery})", message["text"]


def _follow_ups(session: Session, cipher: Cipher, now: dt.datetime, lang: str) -> list[InboxItem]:
    rows = screening_report.follow_ups(session, cipher)
    codes = _participant_codes(session, [row["participant"] for row in rows])
    return [_follow_up(session, row, codes, now, lang) for row in rows]


def _follow_up(
    session: Session, row: dict[str, Any], codes: dict[str, str], now: dt.datetime, lang: str
) -> InboxItem:
    appointment = _appointment(session, row["appointment"])
    who = codes.get(row["participant"], row["participant"])
    if appointment is not None:
        who = appointment["participant_code"]
    # A request about an appointment is known by its participant; a screening's by its trial.
    about = who if appointment is not None else row["trial"]
    created = _moment(row["created_at"])
    return InboxItem(
        kind="follow_up",
        id=row["id"],
        urgency=URGENCY.get(row["kind"], max(URGENCY.values())),
        title=f"{t(lang, _FOLLOW_UP_TITLES.get(row['kind'], _words(row['kind'])))} — {about}",
        created_at=created,
        age=age(created, now, lang),
        trial=row["trial"],
        channel=channel_of(row["participant"]),
        language=row["language"],
        participant=who,
        text=t(lang, _FOLLOW_UP_TEXTS.get(row["kind"], "")),
        details=_follow_up_details(row, appointment, lang),
        actions=("done",),
    )


def _follow_up_details(
    row: dict[str, Any], appointment: dict[str, Any] | None, lang: str
) -> tuple[tuple[str, str], ...]:
    given = (
        ("Phone", row["phone"]),
        ("Preferred time", row["preferred_time"] and t(lang, row["preferred_time"])),
        ("Contact by", row["channel"] and t(lang, row["channel"])),
        ("Screening", f"#{row['screening']}" if row["screening"] else None),
        ("Appointment", _visit(appointment, lang) if appointment else None),
    )
    return tuple((t(lang, label), value) for label, value in given if value)


def _failed_reminders(session: Session, now: dt.datetime, lang: str) -> list[InboxItem]:
    rows = session.execute(
        select(Reminder, Participant)
        .join(Appointment, Appointment.id == Reminder.appointment_id)
        .join(Participant, Participant.id == Appointment.participant_id)
        .where(Reminder.status == ReminderStatus.FAILED, Reminder.reviewed_at.is_(None))
    )
    return [_failed_reminder(session, reminder, who, now, lang) for reminder, who in rows]


def _failed_reminder(
    session: Session, reminder: Reminder, participant: Participant, now: dt.datetime, lang: str
) -> InboxItem:
    appointment = _appointment(session, reminder.appointment_id)
    assert appointment is not None  # the reminder was joined to it
    # No time of failure is kept; the last due time is that of the last attempt.
    failed = as_utc(reminder.due_at)
    # A reminder records its channel once sent; one that never went goes by the chat's.
    chat = channel_of(participant.sender_key) if participant.sender_key else None
    return InboxItem(
        kind="reminder",
        id=reminder.id,
        urgency=URGENCY["reminder"],
        title=f"{t(lang, 'Reminder not delivered')} — {participant.code}",
        created_at=failed,
        age=age(failed, now, lang),
        trial=appointment["trial"],
        channel=reminder.channel or chat,
        language=participant.language,
        participant=participant.code,
        text=reminder.last_error or t(lang, "The reminder could not be delivered."),
        details=(
            (t(lang, "Appointment"), _visit(appointment, lang)),
            (t(lang, "Attempts"), str(reminder.attempts)),
        ),
        actions=("done",),
    )


def _appointment(session: Session, appointment_id: int | None) -> dict[str, Any] | None:
    if appointment_id is None:
        return None
    rows = appointments_report.appointments(session, appointment_id=appointment_id)
    return rows[0] if rows else None


def _visit(appointment: dict[str, Any], lang: str) -> str:
    """ "Thu 10 Dec 2026 09:00 Europe/Paris, week 4 at paris-nord (scheduled)": site time."""
    local = when(dt.datetime.fromisoformat(appointment["local_time"]), lang, weekday=True)
    visit = t(lang, "{visit} at {site}", visit=appointment["kind"], site=appointment["site"])
    return f"{local} {appointment['timezone']}, {visit} ({t(lang, _words(appointment['status']))})"


def _participant_codes(session: Session, sender_keys: list[str]) -> dict[str, str]:
    """The participant codes of the chats that are bound to participants (codes staff know)."""
    if not sender_keys:
        return {}
    rows = session.execute(
        select(Participant.sender_key, Participant.code)
        .where(Participant.sender_key.in_(set(sender_keys)))
        .order_by(Participant.code)
    )
    codes: dict[str, list[str]] = {}
    for sender_key, code in rows:
        if sender_key is not None:  # always, by the query; the column's type allows None
            codes.setdefault(sender_key, []).append(code)  # a chat may hold several participants
    return {sender_key: ", ".join(found) for sender_key, found in codes.items()}


def _moment(iso: str) -> dt.datetime:
    """A listing's ISO time as an aware UTC datetime (SQLite's come back without a zone)."""
    return as_utc(dt.datetime.fromisoformat(iso))


def age(moment: dt.datetime, now: dt.datetime, lang: str = "en") -> str:
    """How long ago, as staff say it: "just now", "12 min ago", "3 h ago", "4 days ago"."""
    minutes = max(0, int((now - moment).total_seconds() // 60))
    if minutes < 1:
        return t(lang, "just now")
    if minutes < 60:
        return t(lang, "{n} min ago", n=minutes)
    if minutes < 48 * 60:
        return t(lang, "{n} h ago", n=minutes // 60)
    return t(lang, "{n} days ago", n=minutes // (24 * 60))


def _words(identifier: str) -> str:
    return identifier.replace("_", " ")


class _Readable(Cipher):
    """The cipher, but a value no configured key opens reads as a placeholder: one value left
    behind by a key rotation must not hide the rest of the inbox."""

    def __init__(self, cipher: Cipher) -> None:
        self._cipher = cipher  # not initialised as a Cipher: it has no keys of its own

    def encrypt(self, value: str) -> str:
        return self._cipher.encrypt(value)

    def decrypt(self, token: str) -> str:
        try:
            return self._cipher.decrypt(token)
        except DecryptionError:
            return UNREADABLE

    def rotate(self, token: str) -> str:
        return self._cipher.rotate(token)
