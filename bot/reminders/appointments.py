"""Participants' appointments and their reminders: imported, added, moved and cancelled together.

A reminder row is created for each moment of the plan (`bot/reminders/plan.py`); moving an
appointment cancels its scheduled reminders and plans again; cancelling it cancels them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.db.models import (
    Appointment,
    AppointmentStatus,
    Participant,
    Reminder,
    ReminderStatus,
    as_utc,
    utcnow,
)
from bot.reminders.plan import Rules, plan
from bot.trials import Trial

COLUMNS = ("participant_code", "trial", "site", "starts_at", "timezone", "kind")


class InvalidAppointment(ValueError):
    """Why an appointment cannot be scheduled, in words for staff."""


@dataclass(frozen=True)
class Scheduled:
    line: int
    appointment: Appointment
    reminders: int


@dataclass
class Imported:
    scheduled: list[Scheduled] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)


def import_csv(
    session: Session, text: str, trials: dict[str, Trial], now: dt.datetime | None = None
) -> Imported:
    """Schedule each good line; report each bad one with its number and reason."""
    now = now or utcnow()
    result = Imported()
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        result.rejected.append((1, f"missing column(s): {', '.join(missing)}"))
        return result
    seen: set[tuple[str, dt.datetime, str]] = set()
    for row in reader:
        line = reader.line_num
        try:
            appointment = _checked(session, row, trials, now, seen)
            count = len(schedule(session, appointment, trials[appointment.trial], now))
        except InvalidAppointment as error:
            result.rejected.append((line, str(error)))
            continue
        result.scheduled.append(Scheduled(line, appointment, count))
    return result


def add(
    session: Session, values: dict[str, Any], trials: dict[str, Trial]
) -> tuple[Appointment, int]:
    """One appointment (the CSV's columns as keys) and its reminders; InvalidAppointment."""
    appointment = _checked(session, values, trials, utcnow(), set())
    return appointment, len(schedule(session, appointment, trials[appointment.trial]))


def _checked(
    session: Session,
    row: dict[str, Any],
    trials: dict[str, Trial],
    now: dt.datetime,
    seen: set[tuple[str, dt.datetime, str]],
) -> Appointment:
    values = {c: str(row.get(c) or "").strip() for c in COLUMNS}
    if empty := [c for c in COLUMNS if not values[c]]:
        raise InvalidAppointment(f"empty {', '.join(empty)}")
    participant = session.scalar(
        select(Participant).where(Participant.code == values["participant_code"])
    )
    if participant is None:
        raise InvalidAppointment(f"unknown participant {values['participant_code']!r}")
    trial = trials.get(values["trial"])
    if trial is None:
        raise InvalidAppointment(f"unknown trial {values['trial']!r}")
    if participant.trial != values["trial"]:
        raise InvalidAppointment(
            f"participant {participant.code!r} is enrolled in {participant.trial}, "
            f"not {values['trial']}"
        )
    if values["site"] not in trial.sites:
        known = ", ".join(sorted(trial.sites)) or "none"
        raise InvalidAppointment(f"unknown site {values['site']!r} (known: {known})")
    zone = _zone(values["timezone"])
    starts_at = _moment(values["starts_at"], zone)
    if starts_at <= now:
        raise InvalidAppointment(f"{values['starts_at']} is in the past")
    key = (participant.code, starts_at, values["kind"])
    duplicate = session.scalar(
        select(Appointment.id).where(
            Appointment.participant_id == participant.id,
            Appointment.starts_at == starts_at,
            Appointment.kind == values["kind"],
            Appointment.status != AppointmentStatus.CANCELLED,
        )
    )
    if key in seen or duplicate is not None:
        raise InvalidAppointment(f"duplicate: {participant.code} already has this {values['kind']}")
    seen.add(key)
    appointment = Appointment(
        participant_id=participant.id,
        trial=values["trial"],
        site=values["site"],
        starts_at=starts_at,
        timezone=values["timezone"],
        kind=values["kind"],
    )
    session.add(appointment)
    session.flush()
    return appointment


def schedule(
    session: Session, appointment: Appointment, trial: Trial, now: dt.datetime | None = None
) -> list[Reminder]:
    """Create the appointment's reminders from the plan."""
    moments = plan(
        as_utc(appointment.starts_at),
        appointment.timezone,
        now or utcnow(),
        Rules(offsets=trial.offsets),
    )
    reminders = [Reminder(appointment_id=appointment.id, due_at=moment) for moment in moments]
    session.add_all(reminders)
    session.flush()
    return reminders


def move(
    session: Session, appointment: Appointment, starts_at: dt.datetime, trial: Trial
) -> list[Reminder]:
    """A new time: the scheduled reminders are cancelled and planned again."""
    if starts_at <= utcnow():
        raise InvalidAppointment("the new time is in the past")
    _cancel_reminders(session, appointment, "appointment moved")
    appointment.starts_at = starts_at
    appointment.status = AppointmentStatus.SCHEDULED
    return schedule(session, appointment, trial)


def cancel(session: Session, appointment: Appointment) -> int:
    appointment.status = AppointmentStatus.CANCELLED
    return _cancel_reminders(session, appointment, "appointment cancelled")


def _cancel_reminders(session: Session, appointment: Appointment, reason: str) -> int:
    result = session.execute(
        update(Reminder)
        .where(
            Reminder.appointment_id == appointment.id,
            Reminder.status == ReminderStatus.SCHEDULED,
        )
        .values(status=ReminderStatus.CANCELLED, cancel_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def parse_moment(text: str, timezone: str) -> dt.datetime:
    """ISO-8601 in UTC; without an offset, local to `timezone`. InvalidAppointment if not."""
    return _moment(text, _zone(timezone))


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidAppointment(f"unknown time zone {name!r} (use Area/City)") from None


def _moment(text: str, zone: ZoneInfo) -> dt.datetime:
    """ISO-8601; without an offset, the time is local to the appointment's time zone."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidAppointment(f"starts_at {text!r} is not an ISO-8601 date and time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(dt.UTC)
