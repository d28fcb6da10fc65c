"""Which check-ins each participant gets, and when: rows made from the trials' files.

Planning is a pass over the linked participants that makes the rows their trial's
`checkins.yml` calls for and that are still to come, so that a check-in added to the file
reaches everyone it is still in time for, and nothing depends on the moment a participant was
linked or a visit booked. It runs in the dispatcher's rounds (bot.reminders.dispatcher), and
twice is harmless: a row is unique by participant, check-in and occasion.

- After enrolment: the day the chat was linked, plus the days, at the local time given.
- Before a visit: its start minus the hours; in the quiet hours, the evening before they begin.
- After a visit: its start plus the hours; in the quiet hours, their end.
- A check-in whose answers would already be closed when planned is not made (it was never
  asked: it is not "missed"). One not yet sent follows its visit when the visit moves, and is
  cancelled with it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.checkins.schedule import Checkin as Planned
from bot.db.models import (
    Appointment,
    AppointmentStatus,
    Checkin,
    CheckinStatus,
    Participant,
    as_utc,
)
from bot.reminders.plan import Rules, before_quiet_hours, quiet_hours_end, zone_of
from bot.trials import Trial

ENROLMENT = "enrolment"
QUIET = Rules()  # the reminders' quiet hours: 21:00 to 08:00, the participant's local time


def occasion_of(appointment_id: int) -> str:
    return f"appointment:{appointment_id}"


def due_at(
    checkin: Planned,
    zone: ZoneInfo,
    *,
    linked_at: dt.datetime | None = None,
    visit_at: dt.datetime | None = None,
    rules: Rules = QUIET,
) -> dt.datetime | None:
    """When `checkin` goes (UTC), outside the quiet hours; None without what it counts from."""
    if checkin.relative_to == "after_enrolment":
        if linked_at is None:
            return None
        day = as_utc(linked_at).astimezone(zone).date() + checkin.offset
        local = dt.datetime.combine(day, checkin.at or dt.time(10, 0), tzinfo=zone)
        return quiet_hours_end(local, zone, rules)
    if visit_at is None:
        return None
    if checkin.relative_to == "before_visit":
        return before_quiet_hours(as_utc(visit_at) - checkin.offset, zone, rules)
    return quiet_hours_end(as_utc(visit_at) + checkin.offset, zone, rules)


def plan(session: Session, trials: dict[str, Trial], now: dt.datetime) -> int:
    """Make the rows still to come for every linked participant; how many were made.

    Another dispatcher planning the same rows at the same moment makes this one's insert fail
    on the unique key (IntegrityError): the caller rolls back, and what it would have made
    exists.
    """
    made = 0
    scheduled = {trial.id: trial.checkins for trial in trials.values() if trial.checkins}
    if not scheduled:
        return 0
    people = session.scalars(
        select(Participant).where(
            Participant.trial.in_(list(scheduled)),
            Participant.linked_at.is_not(None),
            Participant.sender_key.is_not(None),
        )
    ).all()
    if not people:
        return 0
    ids = [person.id for person in people]
    existing: dict[tuple[int, str, str], Checkin] = {
        (row.participant_id, row.checkin, row.occasion): row
        for row in session.scalars(select(Checkin).where(Checkin.participant_id.in_(ids)))
    }
    visits: dict[int, list[Appointment]] = {}
    for appointment in session.scalars(
        select(Appointment).where(Appointment.participant_id.in_(ids))
    ):
        visits.setdefault(appointment.participant_id, []).append(appointment)
    for person in people:
        schedule = scheduled[person.trial]
        assert schedule is not None
        zone = zone_of(person.timezone)
        for checkin in schedule.checkins:
            if checkin.relative_to == "after_enrolment":
                when = due_at(checkin, zone, linked_at=person.linked_at)
                key = (person.id, checkin.id, ENROLMENT)
                made += _make(session, existing.get(key), person, checkin, ENROLMENT, when, now,
                              schedule.version)  # fmt: skip
                continue
            for visit in visits.get(person.id, []):
                if not checkin.for_visit(visit.kind):
                    continue
                occasion = occasion_of(visit.id)
                row = existing.get((person.id, checkin.id, occasion))
                if visit.status == AppointmentStatus.CANCELLED:
                    _cancel(row, "visit cancelled")
                    continue
                when = due_at(checkin, zone_of(visit.timezone), visit_at=visit.starts_at)
                made += _make(session, row, person, checkin, occasion, when, now, schedule.version)
    session.flush()  # another dispatcher's same rows: IntegrityError, for the caller
    return made


def _make(
    session: Session,
    row: Checkin | None,
    person: Participant,
    checkin: Planned,
    occasion: str,
    when: dt.datetime | None,
    now: dt.datetime,
    version: int,
) -> int:
    """1 when a row was made; an unsent row whose moment changed (a visit moved) follows it."""
    if when is None:
        return 0
    if row is not None:
        if row.status == CheckinStatus.SCHEDULED and as_utc(row.due_at) != when:
            row.due_at, row.closes_at = when, when + checkin.window
        return 0
    if when + checkin.window <= now:
        return 0  # its answers would be closed already: never asked
    session.add(
        Checkin(
            participant_id=person.id,
            trial=person.trial,
            checkin=checkin.id,
            occasion=occasion,
            version=version,
            due_at=when,
            closes_at=when + checkin.window,
        )
    )
    return 1


def _cancel(row: Checkin | None, reason: str) -> None:
    if row is not None and row.status == CheckinStatus.SCHEDULED:
        row.status, row.cancel_reason = CheckinStatus.CANCELLED, reason


def close_over(session: Session, now: dt.datetime) -> None:
    """Check-ins whose answers closed: missed when nothing was answered, else answered (in
    part: what was given is kept)."""
    over = (
        Checkin.status == CheckinStatus.SENT,
        Checkin.closes_at <= now,
    )
    session.execute(
        update(Checkin)
        .where(*over, Checkin.answers.is_(None))
        .values(status=CheckinStatus.MISSED, step=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Checkin)
        .where(*over, Checkin.answers.is_not(None))
        .values(status=CheckinStatus.ANSWERED, step=None, answered_at=now)
        .execution_options(synchronize_session=False)
    )


def _of(sender_key: str) -> Any:
    return select(Participant.id).where(Participant.sender_key == sender_key)


def cancel_for(session: Session, sender_key: str, reason: str) -> int:
    """Cancel the check-ins to come, or waiting for answers, of the participants bound to this
    chat (withdrawal, "stop", erasure); how many."""
    result = session.execute(
        update(Checkin)
        .where(
            Checkin.participant_id.in_(_of(sender_key)),
            Checkin.status.in_([CheckinStatus.SCHEDULED, CheckinStatus.SENT]),
        )
        .values(status=CheckinStatus.CANCELLED, cancel_reason=reason, step=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def forget_answers(session: Session, sender_key: str) -> None:
    """Erasure: the answers the person gave in their chat are deleted; that a check-in was
    answered or missed stays, without them (the study's retention figures)."""
    session.execute(
        update(Checkin)
        .where(Checkin.participant_id.in_(_of(sender_key)))
        .values(answers=None)
        .execution_options(synchronize_session=False)
    )
