"""The participants page: enrolled people by their site code, their visits, reminders, consents.

Only what a coordinator needs to help a participant: no chat text, no conversation key, no
channel address or phone number. Appointments and reminders come from `bot.reminders.report`
(what `trialbot appointments list` and `reminders list` print); consents from the ledger, which
knows the person by a keyed hash of the chat their participant code is bound to.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.consent import ledger
from bot.db.models import (
    Appointment,
    AppointmentStatus,
    ConsentRecord,
    Participant,
    Reminder,
    ReminderStatus,
    as_utc,
    utcnow,
)
from bot.reminders import report
from bot.staff.words import when

HASH_SHOWN = 12  # enough to find a record in `trialbot consent export`, short enough to read


@dataclass(frozen=True)
class ParticipantRow:
    code: str
    trial: str
    language: str
    timezone: str
    linked: bool  # the participant's chat is bound to the code
    linked_at: dt.datetime | None
    next_appointment: str | None  # local time and visit of the next one not cancelled
    next_appointment_at: dt.datetime | None  # the same, in UTC
    appointments: int
    reminders_sent: int
    reminders_failed: int

    def to_json(self) -> dict[str, Any]:
        return _json(self)


@dataclass(frozen=True)
class ReminderView:
    id: int
    due_at: dt.datetime  # UTC
    local_time: str  # when it is due, in the appointment's time zone
    status: str  # scheduled | sent | failed | cancelled
    channel: str | None
    attempts: int
    sent_at: dt.datetime | None
    last_error: str | None
    cancel_reason: str | None

    def to_json(self) -> dict[str, Any]:
        return _json(self)


@dataclass(frozen=True)
class AppointmentView:
    id: int
    starts_at: dt.datetime  # UTC
    timezone: str  # the one the participant's reminders give the time in
    local_time: str
    kind: str
    site: str
    status: str  # scheduled | confirmed | reschedule_requested | cancelled
    reminders: tuple[ReminderView, ...]

    def to_json(self) -> dict[str, Any]:
        return {**_json(self), "reminders": [r.to_json() for r in self.reminders]}


@dataclass(frozen=True)
class ConsentView:
    seq: int  # the record's place in the ledger
    consent_id: str
    version: int
    language: str
    decision: str  # granted | refused | withdrawn | erased
    recorded_at: dt.datetime  # UTC
    hash_prefix: str

    def to_json(self) -> dict[str, Any]:
        return _json(self)


@dataclass(frozen=True)
class ParticipantDetail:
    code: str
    trial: str
    language: str
    timezone: str
    linked: bool
    linked_at: dt.datetime | None
    created_at: dt.datetime
    appointments: tuple[AppointmentView, ...]  # soonest first
    consents: tuple[ConsentView, ...]  # oldest first; none until the chat is bound

    def to_json(self) -> dict[str, Any]:
        return {
            **_json(self),
            "appointments": [a.to_json() for a in self.appointments],
            "consents": [c.to_json() for c in self.consents],
        }


def search(
    session: Session,
    query: str | None,
    *,
    limit: int = 50,
    now: dt.datetime | None = None,
    lang: str = "en",
) -> list[ParticipantRow]:
    """Participants whose code contains `query` (any case; all when empty), by code."""
    found = select(Participant).order_by(func.lower(Participant.code), Participant.code)
    found = found.limit(limit)
    if query and query.strip():
        found = found.where(Participant.code.icontains(query.strip(), autoescape=True))
    people = list(session.scalars(found))
    ids = [person.id for person in people]
    counts = _counts(session, ids)
    upcoming = _next_appointments(session, ids, now or utcnow())
    return [
        _row(person, counts.get(person.id, (0, 0, 0)), upcoming.get(person.id), lang)
        for person in people
    ]


def detail(session: Session, code: str, *, lang: str = "en") -> ParticipantDetail | None:
    """Everything the participant's page shows; None for an unknown code."""
    person = session.scalar(select(Participant).where(Participant.code == code))
    if person is None:
        return None
    return ParticipantDetail(
        code=person.code,
        trial=person.trial,
        language=person.language,
        timezone=person.timezone,
        linked=person.sender_key is not None,
        linked_at=_utc(person.linked_at),
        created_at=as_utc(person.created_at),
        appointments=_appointments(session, person.code, lang),
        # The ledger is read without creating a pseudonym (create=False inside `history`).
        consents=tuple(_consent(r) for r in ledger.history(session, person.sender_key))
        if person.sender_key
        else (),
    )


def local_text(moment: dt.datetime, timezone: str, lang: str = "en") -> str:
    """A moment as the participant reads it: "Thu 10 Dec 2026 09:00 CET"."""
    local = as_utc(moment).astimezone(ZoneInfo(timezone))
    return f"{when(local, lang, weekday=True)} {local:%Z}"


# Search ----------------------------------------------------------------------------------------


def _counts(session: Session, ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """Per participant: appointments, reminders sent, reminders that failed."""
    if not ids:
        return {}
    query = (
        select(
            Appointment.participant_id,
            func.count(func.distinct(Appointment.id)),
            func.sum(case((Reminder.status == ReminderStatus.SENT, 1), else_=0)),
            func.sum(case((Reminder.status == ReminderStatus.FAILED, 1), else_=0)),
        )
        .outerjoin(Reminder, Reminder.appointment_id == Appointment.id)
        .where(Appointment.participant_id.in_(ids))
        .group_by(Appointment.participant_id)
    )
    return {
        person: (int(appointments), int(sent or 0), int(failed or 0))
        for person, appointments, sent, failed in session.execute(query)
    }


def _next_appointments(
    session: Session, ids: list[int], now: dt.datetime
) -> dict[int, Appointment]:
    if not ids:
        return {}
    query = (
        select(Appointment)
        .where(
            Appointment.participant_id.in_(ids),
            Appointment.starts_at > now,
            Appointment.status != AppointmentStatus.CANCELLED,
        )
        .order_by(Appointment.starts_at.desc())
    )
    # Latest first, so that each participant's soonest one is written last.
    return {appointment.participant_id: appointment for appointment in session.scalars(query)}


def _row(
    person: Participant, counts: tuple[int, int, int], upcoming: Appointment | None, lang: str
) -> ParticipantRow:
    appointments, sent, failed = counts
    return ParticipantRow(
        code=person.code,
        trial=person.trial,
        language=person.language,
        timezone=person.timezone,
        linked=person.sender_key is not None,
        linked_at=_utc(person.linked_at),
        next_appointment=(
            f"{local_text(upcoming.starts_at, upcoming.timezone, lang)} · {upcoming.kind}"
            if upcoming
            else None
        ),
        next_appointment_at=_utc(upcoming.starts_at) if upcoming else None,
        appointments=appointments,
        reminders_sent=sent,
        reminders_failed=failed,
    )


# Detail ----------------------------------------------------------------------------------------


def _appointments(session: Session, code: str, lang: str) -> tuple[AppointmentView, ...]:
    listed = report.appointments(session, code)
    zones = {row["id"]: row["timezone"] for row in listed}
    reminders: dict[int, list[ReminderView]] = defaultdict(list)
    for row in report.reminders(session, code):
        reminders[row["appointment"]].append(_reminder(row, zones[row["appointment"]], lang))
    return tuple(
        AppointmentView(
            id=row["id"],
            starts_at=(starts_at := dt.datetime.fromisoformat(row["starts_at"])),
            timezone=row["timezone"],
            local_time=local_text(starts_at, row["timezone"], lang),
            kind=row["kind"],
            site=row["site"],
            status=row["status"],
            reminders=tuple(reminders[row["id"]]),
        )
        for row in listed
    )


def _reminder(row: dict[str, Any], timezone: str, lang: str) -> ReminderView:
    due_at = dt.datetime.fromisoformat(row["due_at"])
    return ReminderView(
        id=row["id"],
        due_at=due_at,
        local_time=local_text(due_at, timezone, lang),
        status=row["status"],
        channel=row["channel"],
        attempts=row["attempts"],
        sent_at=dt.datetime.fromisoformat(row["sent_at"]) if row["sent_at"] else None,
        last_error=row["last_error"],
        cancel_reason=row["cancel_reason"],
    )


def _consent(record: ConsentRecord) -> ConsentView:
    return ConsentView(
        seq=record.seq,
        consent_id=record.consent_id,
        version=record.version,
        language=record.language,
        decision=record.decision,
        recorded_at=as_utc(record.recorded_at),
        hash_prefix=record.hash[:HASH_SHOWN],
    )


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    return as_utc(moment) if moment is not None else None


def _json(view: Any) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, dt.datetime) else value
        for key, value in asdict(view).items()
    }
