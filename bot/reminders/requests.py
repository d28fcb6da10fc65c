"""A participant's answers to a reminder: confirm, ask to reschedule, cancel; and their list.

Only appointments of participants bound to this very chat can be touched. A reschedule or cancel
request is recorded for the study team (a follow-up), which arranges the new date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.db.models import (
    Appointment,
    AppointmentStatus,
    Conversation,
    FollowUp,
    Participant,
    Reminder,
    ReminderStatus,
    as_utc,
    utcnow,
)
from bot.reminders import appointments
from bot.trials import Trial

Action = Literal["confirm", "reschedule", "cancel"]
_STATUS = {
    "confirm": AppointmentStatus.CONFIRMED,
    "reschedule": AppointmentStatus.RESCHEDULE_REQUESTED,
    "cancel": AppointmentStatus.CANCELLED,
}


@dataclass(frozen=True)
class Upcoming:
    id: int
    starts_at: dt.datetime
    timezone: str
    kind: str
    trial: str
    site: str
    status: str
    reader: str | None = None  # the participant's zone, when it may not be the site's


def upcoming(session: Session, sender_key: str, now: dt.datetime | None = None) -> list[Upcoming]:
    """The chat's participants' appointments still ahead and not cancelled, soonest first."""
    rows = session.execute(
        select(Appointment, Participant.timezone)
        .join(Participant, Participant.id == Appointment.participant_id)
        .where(
            Participant.sender_key == sender_key,
            Appointment.starts_at > (now or utcnow()),
            Appointment.status != AppointmentStatus.CANCELLED,
        )
        .order_by(Appointment.starts_at)
    )
    return [
        Upcoming(
            a.id, as_utc(a.starts_at), a.timezone, a.kind, a.trial, a.site, a.status.value, zone
        )
        for a, zone in rows
    ]


def answer(
    session: Session, sender_key: str, appointment_id: int, action: Action, language: str
) -> Upcoming | None:
    """Apply the participant's answer; None when the appointment is not theirs or is over."""
    appointment = session.scalar(
        select(Appointment)
        .join(Participant, Participant.id == Appointment.participant_id)
        .where(Appointment.id == appointment_id, Participant.sender_key == sender_key)
    )
    if appointment is None or as_utc(appointment.starts_at) <= utcnow():
        return None
    if appointment.status == AppointmentStatus.CANCELLED:
        return None
    if action == "cancel":
        appointments.cancel(session, appointment)
    else:
        appointment.status = _STATUS[action]
    if action != "confirm":
        session.add(
            FollowUp(
                sender_key=sender_key,
                trial=appointment.trial,
                appointment_id=appointment.id,
                kind=action,
                language=language,
            )
        )
    session.flush()
    return Upcoming(
        appointment.id,
        as_utc(appointment.starts_at),
        appointment.timezone,
        appointment.kind,
        appointment.trial,
        appointment.site,
        appointment.status.value,
    )


def linked(session: Session, sender_key: str) -> bool:
    """Whether this chat is bound to a participant."""
    query = select(Participant.id).where(Participant.sender_key == sender_key).limit(1)
    return session.scalar(query) is not None


def opt_in(session: Session, sender_key: str, trials: dict[str, Trial]) -> int:
    """The participant wants reminders (again): messages allowed, upcoming ones planned again.

    Appointments whose reminders were all cancelled (by a "stop" or a withdrawal) get a fresh
    plan; how many reminders that made.
    """
    session.execute(
        update(Conversation)
        .where(Conversation.sender_key == sender_key)
        .values(messages_stopped_at=None)
        .execution_options(synchronize_session=False)
    )
    planned = 0
    for item in upcoming(session, sender_key):
        waiting = session.scalar(
            select(Reminder.id).where(
                Reminder.appointment_id == item.id, Reminder.status == ReminderStatus.SCHEDULED
            )
        )
        appointment = session.get(Appointment, item.id)
        trial = trials.get(item.trial)
        if waiting is None and appointment is not None and trial is not None:
            planned += len(appointments.schedule(session, appointment, trial))
    return planned
