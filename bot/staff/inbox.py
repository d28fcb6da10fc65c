"""The staff inbox: what the site team must act on, from every source, most urgent first.

Each source keeps its own listing (`events.listed`, `service.listed`, `report.follow_ups`,
`report.appointments`); this module only puts them side by side in the shape the page renders,
and marks an item dealt with. Handoffs are answered and closed through `HandoffDelivery`, which
sends on the person's channel, not here.

Every time is said in the site's zone (`SITE_TIMEZONE`), every card names its trial when one is
known, and the page shows each person's items together (`by_person`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.consent.service import channel_of
from bot.crypto import Cipher, DecryptionError
from bot.db.models import (
    Appointment,
    Checkin,
    CheckinStatus,
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
from bot.safety import asking, events, report
from bot.screening import report as screening_report
from bot.settings import Settings
from bot.staff.words import channel_title, t, when
from bot.trials import Trial
from bot.trials import shared as shared_catalogue

Kind = Literal["safety", "handoff", "follow_up", "reminder", "checkin"]
KINDS: tuple[Kind, ...] = ("safety", "handoff", "follow_up", "reminder", "checkin")

# 1 is the most urgent. An emergency may be a life at risk now. A side effect starts the
# regulatory reporting clock (24 hours for a serious one). A person in a handoff is waiting in
# their chat for a human. An appointment change or an undelivered reminder has a visit date
# behind it; a call-back, a screening to review or an undelivered check-in has none.
URGENCY = {
    "serious_adverse_event": 0,  # first: a sponsor must have it within 24 hours
    "emergency": 1,
    "adverse_event": 2,
    "handoff": 3,
    "reschedule": 4,
    "cancel": 4,
    "reminder": 4,
    "contact": 5,
    "review": 5,
    "checkin": 5,
}
URGENT = 1  # urgencies shown as urgent: this one and below

UNREADABLE = "(unreadable: encrypted with a retired key)"
# The zone times are said in when none is given: the setting's own default.
SITE_ZONE = ZoneInfo(Settings.model_fields["site_timezone"].default)

_SAFETY_TITLES = {
    "emergency": "Emergency",
    "adverse_event": "Adverse event",
    "serious_adverse_event": "Serious adverse event",
}
# The side effect's record, as the page labels it (bot.safety.report.case's keys).
_RECORD_LABELS = (
    ("onset", "Onset"),
    ("ongoing", "Still going on"),
    ("severity", "Effect on daily life"),
    ("care", "Care needed"),
    ("seriousness_criteria", "Seriousness"),
    ("suspected_product", "Study treatment"),
    ("last_dose", "Last dose"),
)
# A follow-up question by the record's label for its answer.
_STEP_LABELS = {
    "onset": "Onset",
    "ongoing": "Still going on",
    "severity": "Effect on daily life",
    "care": "Care needed",
    "product": "Study treatment",
}
# What a follow-up button tapped means, for staff ("/follow_up:care=doctor": "Saw a doctor").
_CARE_SAID = {
    "none": "No care",
    "doctor": "Saw a doctor",
    "emergency": "Emergency care",
    "hospital": "Stayed in hospital",
}
_TAPPED = {
    **{word: word for word in ("yes", "no", "today", "yesterday", "mild", "moderate", "severe")},
    **_CARE_SAID,
}
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
    received: str  # created_at in the site's time zone, as staff read it
    age: str
    trial: str | None  # its id (ids, ", "-separated, for a chat bound to several participants)
    trial_title: str | None  # its short title in the staff's language, else its id
    channel: str | None
    language: str | None
    participant: str  # a participant code, else the conversation's pseudonym
    code: str | None  # the participant code(s) when the person is a known participant
    person: str  # who the item is about: the chat's pseudonym, else "participant:<code>"
    text: str
    details: tuple[tuple[str, str], ...]  # (label, value)
    actions: tuple[str, ...]  # the page's buttons: acknowledge, correct, reply, close, done
    record: dict[str, Any] | None = None  # a side effect's record, for the correction form

    @property
    def key(self) -> str:
        """Unique across kinds (ids are only unique within one table)."""
        return f"{self.kind}:{self.id}"

    @property
    def urgent(self) -> bool:
        return self.urgency <= URGENT

    @property
    def channel_title(self) -> str | None:
        """The channel as people call it ("Telegram"), for the page."""
        return channel_title(self.channel)


def items(
    session: Session,
    cipher: Cipher,
    *,
    now: dt.datetime | None = None,
    lang: str = "en",
    zone: ZoneInfo = SITE_ZONE,
    trials: Mapping[str, Trial] | None = None,
) -> list[InboxItem]:
    """Everything open, most urgent first, then oldest first; labels in the staff's language,
    times in `zone`, trials by their titles in `trials` (else by their ids)."""
    said = _Said(now or utcnow(), lang, zone, trials or {})
    readable = _Readable(cipher)
    found = [
        *_safety_events(session, readable, said),
        *_handoffs(session, readable, said),
        *_follow_ups(session, readable, said),
        *_failed_reminders(session, said),
        *_failed_checkins(session, said),
    ]
    return sorted(found, key=lambda item: (item.urgency, item.created_at, item.key))


def page(
    session: Session,
    cipher: Cipher,
    settings: Settings,
    *,
    lang: str = "en",
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """What the inbox page shows: the items, their counts, the same grouped by person, and the
    sentence that says which time zone the times are in."""
    now = now or utcnow()
    zone = ZoneInfo(settings.site_timezone)
    trials = shared_catalogue(settings.knowledge_dir).get()
    listed = items(session, cipher, now=now, lang=lang, zone=zone, trials=trials)
    return {
        "items": listed,
        "counts": counts(listed),
        "people": by_person(listed, lang),
        "times": zone_said(zone, now, lang),
    }


@dataclass(frozen=True)
class Person:
    """One person's items, under one heading."""

    label: str  # "Participant P-042", else "Person 3f2a": never a platform id
    code: str | None  # the one participant code, for a link to their record
    items: tuple[InboxItem, ...]


def by_person(listed: Sequence[InboxItem], lang: str = "en") -> list[Person]:
    """The items of each person together, in the order of `items` (most urgent first) both
    inside a group and between groups: a group stands where its most urgent item stands."""
    grouped: dict[str, list[InboxItem]] = {}
    for item in listed:
        grouped.setdefault(item.person, []).append(item)
    codes = {
        person: sorted({code for item in mine if item.code for code in item.code.split(", ")})
        for person, mine in grouped.items()
    }
    # Four characters of the pseudonym tell people apart; more when two share them.
    short = Counter(_pseudonym(person)[:4] for person in grouped if not codes[person])
    people = []
    for person, mine in grouped.items():
        if codes[person]:
            label = t(lang, "Participant {code}", code=", ".join(codes[person]))
        else:
            shown = _pseudonym(person)[: 4 if short[_pseudonym(person)[:4]] == 1 else 8]
            label = t(lang, "Person {id}", id=shown)
        one = codes[person][0] if len(codes[person]) == 1 else None
        people.append(Person(label, one, tuple(mine)))
    return people


def zone_said(zone: ZoneInfo, now: dt.datetime | None = None, lang: str = "en") -> str:
    """ "Times are Paris time (UTC+1)." (the offset of `now`)."""
    offset = (now or utcnow()).astimezone(zone).utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    hours, rest = divmod(abs(minutes), 60)
    utc = "UTC" if not minutes else f"UTC{'+' if minutes > 0 else '-'}{hours}"
    utc += f":{rest:02d}" if rest else ""
    if "/" not in zone.key:  # UTC, GMT: no city to name
        return t(lang, "Times are {zone}.", zone=utc)
    city = zone.key.rsplit("/", 1)[-1].replace("_", " ")
    return t(lang, "Times are {city} time ({offset}).", city=city, offset=utc)


def counts(listed: Iterable[InboxItem]) -> dict[str, int]:
    """How many items of each kind (every kind present, 0 when none), and how many urgent."""
    listed = list(listed)
    tally = Counter(item.kind for item in listed)
    return {**{kind: tally[kind] for kind in KINDS}, "urgent": sum(i.urgent for i in listed)}


def correct_safety(
    session: Session, settings: Settings, cipher: Cipher, event_id: int, changes: dict[str, str]
) -> list[str]:
    """Staff complete or correct a side effect's record; the fields changed."""
    event = _pending(
        session.get(SafetyEvent, event_id, with_for_update=True),
        event_id,
        lambda row: row.kind == "adverse_event",
        "There is no safety event {id}.",
        "The safety event {id} is an emergency: it has no side-effect record.",
    )
    try:
        return asking.correct(session, settings, cipher, event, changes)
    except asking.InvalidCorrection as error:
        raise InboxError(str(error)) from None


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


def review_checkin(session: Session, checkin_id: int) -> Checkin:
    """Staff dealt with a check-in that could not be delivered (called the participant, …)."""
    checkin = _pending(
        session.get(Checkin, checkin_id, with_for_update=True),
        checkin_id,
        lambda row: row.status == CheckinStatus.FAILED,
        "There is no check-in {id}.",
        "The check-in {id} was not a failed one.",
    )
    if checkin.reviewed_at is not None:
        raise InboxError("Check-in {id} was already marked done.", id=checkin_id)
    checkin.reviewed_at = utcnow()
    return checkin


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


@dataclass(frozen=True)
class _Said:
    """How every card says things: the staff's language, the site's zone, trials' titles."""

    now: dt.datetime
    lang: str
    zone: ZoneInfo
    trials: Mapping[str, Trial]

    def time(self, moment: dt.datetime, *, weekday: bool = False) -> str:
        return when(as_utc(moment).astimezone(self.zone), self.lang, weekday=weekday)

    def trial(self, ids: Sequence[str]) -> tuple[str | None, str | None]:
        """(ids, titles), each ", "-separated; (None, None) when no trial is known."""
        if not ids:
            return None, None
        titles = (self.trials[i].title(self.lang) if i in self.trials else i for i in ids)
        return ", ".join(ids), ", ".join(titles)


@dataclass(frozen=True)
class _Linked:
    """The participant(s) a chat is bound to."""

    codes: str  # "P-1", or "P-1, P-2" when a chat holds several participants
    trials: tuple[str, ...]


def _safety_events(session: Session, cipher: Cipher, said: _Said) -> list[InboxItem]:
    rows = events.listed(session, cipher)
    linked = _linked(session, [row["participant"] for row in rows])
    items = []
    for row in rows:
        case = _case(session, cipher, row)
        serious = row["kind"] == "adverse_event" and bool(case and case["serious"])
        kind = "serious_adverse_event" if serious else row["kind"]
        title = (
            f"{t(said.lang, _SAFETY_TITLES.get(kind, kind))} — "
            f"{t(said.lang, _words(row['category']))}"
        )
        if serious and row.get("report_due"):
            title += f" · {_time_left(_moment(row['report_due']), said)}"
        items.append(
            _item(
                said,
                row,
                linked.get(row["participant"]),
                kind="safety",
                urgency=URGENCY[kind],
                title=title,
                channel=row["channel"],
                text=row["text"],
                details=_record(case, row, said, _received(session, case)) if case else (),
                actions=("acknowledge", "correct") if case else ("acknowledge",),
            )
        )
        if case:
            items[-1] = replace(items[-1], record=case)
    return items


def _case(session: Session, cipher: Cipher, row: dict[str, Any]) -> dict[str, Any] | None:
    """A side effect's whole record (None for an emergency)."""
    if row["kind"] != "adverse_event":
        return None
    event = session.get(SafetyEvent, row["id"])
    return report.case(event, cipher, None) if event is not None else None


def _received(session: Session, case: dict[str, Any]) -> dict[int, dt.datetime]:
    """When the reports a side effect's record is tied to arrived (it came back after one, or
    came back after it), by id."""
    ids = [*([case["recurrence_of"]] if case.get("recurrence_of") else []), *case["came_back"]]
    if not ids:
        return {}
    found = session.execute(
        select(SafetyEvent.id, SafetyEvent.created_at).where(SafetyEvent.id.in_(ids))
    )
    return {row.id: row.created_at for row in found}


def _day(iso: str, lang: str) -> str:
    """ "01 Dec 2026" / "1 déc. 2026", as the page writes its times, from an ISO date."""
    try:
        day = dt.date.fromisoformat(iso)
    except ValueError:
        return iso
    return when(dt.datetime(day.year, day.month, day.day), lang)[: -len(" 00:00")]


def _time_left(due: dt.datetime, said: _Said) -> str:
    """ "report due in 21 h" / "report overdue by 3 h"."""
    hours = (due - said.now).total_seconds() / 3600
    if hours >= 0:
        return t(said.lang, "report due in {n} h", n=max(1, int(hours)) if hours >= 1 else 0)
    return t(said.lang, "report overdue by {n} h", n=max(1, int(-hours)))


def _record(
    case: dict[str, Any], row: dict[str, Any], said: _Said, received: dict[int, dt.datetime]
) -> tuple[tuple[str, str], ...]:
    """The side effect's structured record beside the person's words, and their answers;
    `received`: when the reports it is tied to arrived (it came back)."""
    lang = said.lang

    def report_of(event_id: int) -> str:
        moment = received.get(event_id)
        at = said.time(moment) if moment is not None else "?"
        return t(lang, "{time} (#{id})", time=at, id=event_id)

    shown: list[tuple[str, str]] = []
    if row.get("report_due"):
        shown.append((t(lang, "Report to the sponsor by"), said.time(_moment(row["report_due"]))))
    if case.get("recurrence_of"):
        shown.append((t(lang, "Came back after the report of"), report_of(case["recurrence_of"])))
    if case["came_back"]:
        shown.append((t(lang, "Came back"), ", ".join(map(report_of, case["came_back"]))))
    if case.get("questions_ended_at"):
        step = str(case["questions_ended_at"])
        asked = t(lang, _STEP_LABELS.get(step, _words(step)))
        shown.append((t(lang, "Questions"), t(lang, "ended by the person at: {step}", step=asked)))
    if case.get("reporter") == "relative":
        shown.append((t(lang, "Reported by"), t(lang, "a relative, for the participant")))
    for key, label in _RECORD_LABELS:
        value = case.get(key)
        if key == "onset" and value is None:
            value = case.get("onset_said")
        elif key in ("onset", "last_dose") and value is not None:
            value = _day(str(value), lang)
        if key == "ongoing" and value is not None:
            value = t(lang, "yes" if value else "no")
        elif key == "care" and value is not None:
            value = t(lang, _CARE_SAID.get(value, value))
        elif key == "severity" and value is not None:
            value = t(lang, value)
        elif key == "seriousness_criteria":
            if case.get("serious") is None:
                value = None
            else:
                named = ", ".join(t(lang, _words(c)) for c in value or [])
                value = named or t(lang, "not serious")
        shown.append((t(lang, label), str(value) if value else t(lang, "not known yet")))
    for answer in case.get("follow_up_answers", []):
        label = t(lang, "Answer ({question})", question=t(lang, _words(answer["question"])))
        typed = str(answer["answer"])
        if answer.get("tapped"):  # a button: its meaning, in the page's language
            typed = t(lang, "Tapped: {choice}", choice=t(lang, _TAPPED.get(typed, typed)))
        shown.append((label, typed))
    if case.get("corrected_by_staff"):
        fields = ", ".join(t(lang, _words(f)) for f in case["corrected_by_staff"])
        shown.append((t(lang, "Corrected by staff"), fields))
    return tuple(shown)


def _handoffs(session: Session, cipher: Cipher, said: _Said) -> list[InboxItem]:
    rows = service.listed(session, cipher)
    linked = _linked(session, [row["participant"] for row in rows])
    return [
        _item(
            said,
            row,
            linked.get(row["participant"]),
            kind="handoff",
            urgency=URGENCY["handoff"],
            title=t(said.lang, _HANDOFF_TITLES.get(row["reason"], "Handoff")),
            channel=row["channel"],
            text=row["text"],
            details=tuple(_message(message, said) for message in row["messages"]),
            actions=("reply", "close"),
        )
        for row in rows
    ]


def _item(
    said: _Said,
    row: dict[str, Any],
    linked: _Linked | None,
    *,
    kind: Kind,
    urgency: int,
    title: str,
    channel: str | None,
    text: str,
    details: tuple[tuple[str, str], ...],
    actions: tuple[str, ...],
) -> InboxItem:
    """An item from a row of a person's chat: a safety event, a handoff, a follow-up. With no
    trial of its own, the trial of the participant the chat is bound to."""
    created = _moment(row["created_at"])
    trial, trial_title = said.trial(
        [row["trial"]] if row["trial"] else linked.trials if linked else []
    )
    code = linked.codes if linked else None
    return InboxItem(
        kind=kind,
        id=row["id"],
        urgency=urgency,
        title=title,
        created_at=created,
        received=said.time(created),
        age=age(created, said.now, said.lang),
        trial=trial,
        trial_title=trial_title,
        channel=channel,
        language=row["language"],
        participant=code or row["participant"],
        code=code,
        person=row["participant"],
        text=text,
        details=details,
        actions=actions,
    )


def _message(message: dict[str, Any], said: _Said) -> tuple[str, str]:
    """A handoff message as ("author (when, delivery)", text), when in the site's time."""
    moment = said.time(_moment(message["created_at"]))
    delivery = f", {t(said.lang, message['delivery'])}" if message["delivery"] else ""
    return f"{t(said.lang, message['author'])} ({moment}{delivery})", message["text"]


def _follow_ups(session: Session, cipher: Cipher, said: _Said) -> list[InboxItem]:
    rows = screening_report.follow_ups(session, cipher)
    linked = _linked(session, [row["participant"] for row in rows])
    return [_follow_up(session, row, linked.get(row["participant"]), said) for row in rows]


def _follow_up(
    session: Session, row: dict[str, Any], linked: _Linked | None, said: _Said
) -> InboxItem:
    lang = said.lang
    appointment = _appointment(session, row["appointment"])
    if appointment is not None:  # the participant and trial of the appointment
        linked = _Linked(appointment["participant_code"], (appointment["trial"],))
        row = {**row, "trial": appointment["trial"]}
    item = _item(
        said,
        row,
        linked,
        kind="follow_up",
        urgency=URGENCY.get(row["kind"], max(URGENCY.values())),
        title="",
        channel=channel_of(row["participant"]),
        text=t(lang, _FOLLOW_UP_TEXTS.get(row["kind"], "")),
        details=_follow_up_details(row, appointment, said),
        actions=("done",),
    )
    # A request about an appointment is known by its participant; a screening's by its trial.
    about = item.participant if appointment is not None else item.trial_title
    kind = t(lang, _FOLLOW_UP_TITLES.get(row["kind"], _words(row["kind"])))
    return replace(item, title=f"{kind} — {about}")


def _follow_up_details(
    row: dict[str, Any], appointment: dict[str, Any] | None, said: _Said
) -> tuple[tuple[str, str], ...]:
    lang = said.lang
    given = (
        ("Phone", row["phone"]),
        ("Preferred time", row["preferred_time"] and t(lang, row["preferred_time"])),
        ("Contact by", row["channel"] and t(lang, row["channel"])),
        ("Screening", f"#{row['screening']}" if row["screening"] else None),
        ("Appointment", _visit(appointment, said) if appointment else None),
    )
    return tuple((t(lang, label), value) for label, value in given if value)


def _failed_reminders(session: Session, said: _Said) -> list[InboxItem]:
    rows = session.execute(
        select(Reminder, Participant)
        .join(Appointment, Appointment.id == Reminder.appointment_id)
        .join(Participant, Participant.id == Appointment.participant_id)
        .where(Reminder.status == ReminderStatus.FAILED, Reminder.reviewed_at.is_(None))
    )
    return [_failed_reminder(session, reminder, who, said) for reminder, who in rows]


def _failed_reminder(
    session: Session, reminder: Reminder, participant: Participant, said: _Said
) -> InboxItem:
    appointment = _appointment(session, reminder.appointment_id)
    assert appointment is not None  # the reminder was joined to it
    return _undelivered(
        "reminder", reminder, participant, said, appointment["trial"],
        (t(said.lang, "Appointment"), _visit(appointment, said)),
    )  # fmt: skip


def _failed_checkins(session: Session, said: _Said) -> list[InboxItem]:
    rows = session.execute(
        select(Checkin, Participant)
        .join(Participant, Participant.id == Checkin.participant_id)
        .where(Checkin.status == CheckinStatus.FAILED, Checkin.reviewed_at.is_(None))
    )
    return [_failed_checkin(checkin, who, said) for checkin, who in rows]


def _failed_checkin(checkin: Checkin, participant: Participant, said: _Said) -> InboxItem:
    found = said.trials.get(checkin.trial)
    plan = found.checkins if found is not None else None
    planned = plan.get(checkin.checkin) if plan is not None else None
    title = planned.named(said.lang) if planned else checkin.checkin
    return _undelivered(
        "checkin", checkin, participant, said, checkin.trial, (t(said.lang, "Check-in"), title)
    )


# What each kind of undelivered message says on its card.
_UNDELIVERED = {
    "reminder": ("Reminder not delivered", "The reminder could not be delivered."),
    "checkin": ("Check-in not delivered", "The check-in could not be delivered."),
}


def _undelivered(
    kind: Kind,
    row: Reminder | Checkin,
    participant: Participant,
    said: _Said,
    trial_id: str,
    about: tuple[str, str],
) -> InboxItem:
    """The card of a reminder or a check-in the dispatcher could not deliver."""
    lang = said.lang
    # No time of failure is kept; the last due time is that of the last attempt.
    failed = as_utc(row.due_at)
    # A row records its channel once sent; one that never went goes by the chat's.
    chat = channel_of(participant.sender_key) if participant.sender_key else None
    trial, trial_title = said.trial([trial_id])
    title, fallback = _UNDELIVERED[kind]
    return InboxItem(
        kind=kind,
        id=row.id,
        urgency=URGENCY[kind],
        title=f"{t(lang, title)} — {participant.code}",
        created_at=failed,
        received=said.time(failed),
        age=age(failed, said.now, lang),
        trial=trial,
        trial_title=trial_title,
        channel=row.channel or chat,
        language=participant.language,
        participant=participant.code,
        code=participant.code,
        person=participant.sender_key or f"participant:{participant.code}",
        text=row.last_error or t(lang, fallback),
        details=(about, (t(lang, "Attempts"), str(row.attempts))),
        actions=("done",),
    )


def _appointment(session: Session, appointment_id: int | None) -> dict[str, Any] | None:
    if appointment_id is None:
        return None
    rows = appointments_report.appointments(session, appointment_id=appointment_id)
    return rows[0] if rows else None


def _visit(appointment: dict[str, Any], said: _Said) -> str:
    """ "Thu 10 Dec 2026 09:00, week 4 at paris-nord (scheduled)", in the site's time (which the
    page says once for all its times, whatever zone the appointment was booked in)."""
    moment = said.time(dt.datetime.fromisoformat(appointment["starts_at"]), weekday=True)
    lang = said.lang
    visit = t(lang, "{visit} at {site}", visit=appointment["kind"], site=appointment["site"])
    return f"{moment}, {visit} ({t(lang, _words(appointment['status']))})"


def _linked(session: Session, sender_keys: list[str]) -> dict[str, _Linked]:
    """The participants of the chats that are bound to some (the codes staff know)."""
    if not sender_keys:
        return {}
    rows = session.execute(
        select(Participant.sender_key, Participant.code, Participant.trial)
        .where(Participant.sender_key.in_(set(sender_keys)))
        .order_by(Participant.code)
    )
    found: dict[str, list[tuple[str, str]]] = {}
    for sender_key, code, trial in rows:
        if sender_key is not None:  # always, by the query; the column's type allows None
            found.setdefault(sender_key, []).append((code, trial))  # a chat may hold several
    return {
        sender_key: _Linked(
            ", ".join(code for code, _ in theirs),
            tuple(dict.fromkeys(trial for _, trial in theirs)),
        )
        for sender_key, theirs in found.items()
    }


def _pseudonym(person: str) -> str:
    """The pseudonym's own characters ("telegram-3f2a…" → "3f2a…"), never a platform id."""
    return person.split("-", 1)[-1]


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
