"""The participants page: enrolled people by their site code, their visits, reminders, consents
and check-ins.

Only what a coordinator needs to help a participant: no chat text, no conversation key, no
channel address or phone number. The facts are those of `trialbot participants list` and `show`
(`bot.reminders.participants`: `standings`, `whole`) and of `trialbot checkins list`
(`bot.checkins.report`); this module only says them as the pages show them: views, local times in
words, in the staff member's language.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.checkins import report
from bot.checkins.report import CheckinReport, Counts
from bot.checkins.schedule import Schedule
from bot.crypto import Cipher
from bot.db.models import ConsentRecord, as_utc
from bot.reminders import participants
from bot.reminders.participants import Standing
from bot.staff.words import channel_title, t, when

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
    checkins: Counts = field(default_factory=Counts)  # by state, as `trialbot checkins list`

    def to_json(self) -> dict[str, Any]:
        return _json(self)


@dataclass(frozen=True)
class ReminderView:
    id: int
    due_at: dt.datetime  # UTC
    local_time: str  # when it is due, in the appointment's time zone
    status: str  # scheduled | sent | failed | cancelled
    channel: str | None  # its name ("telegram")
    attempts: int
    sent_at: dt.datetime | None
    last_error: str | None
    cancel_reason: str | None

    @property
    def channel_title(self) -> str | None:
        """The channel as people call it ("Telegram")."""
        return channel_title(self.channel)

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
class LinkCodeView:
    """The participant's latest one-time link code: what became of it."""

    state: str  # active | used | expired
    expires_at: dt.datetime  # UTC
    used_at: dt.datetime | None

    def to_json(self) -> dict[str, Any]:
        return _json(self)


@dataclass(frozen=True)
class AnswerView:
    question: str  # the question's text, in the staff member's language
    answer: str  # in words: "Yes", the option's label, "7", "Don't know", "Passed"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CheckinView:
    id: int
    checkin: str  # its id in checkins.yml
    title: str
    due_at: dt.datetime  # UTC
    local_time: str  # when it is due, in the participant's time zone
    state: str  # bot.checkins.report.STATES
    state_label: str  # the state in words, in the staff member's language
    answered_at: dt.datetime | None
    safety_event_id: int | None  # the side effect one of its answers reported
    answers: tuple[AnswerView, ...]
    note: str | None  # stopped early, or answers no key decrypts

    @property
    def overdue(self) -> bool:
        return self.state == "overdue"

    def to_json(self) -> dict[str, Any]:
        return {**_json(self), "answers": [a.to_json() for a in self.answers]}


@dataclass(frozen=True)
class CheckinsView:
    counts: Counts
    items: tuple[CheckinView, ...]  # by due time

    def to_json(self) -> dict[str, Any]:
        return {"counts": self.counts.to_json(), "items": [c.to_json() for c in self.items]}


@dataclass(frozen=True)
class ParticipantDetail:
    code: str
    trial: str
    language: str
    timezone: str
    linked: bool
    linked_at: dt.datetime | None
    channel: str | None  # of the chat bound, by its name ("telegram"); never its key
    link_code: LinkCodeView | None
    created_at: dt.datetime
    appointments: tuple[AppointmentView, ...]  # soonest first
    consents: tuple[ConsentView, ...]  # oldest first; none until the chat is bound
    checkins: CheckinsView = field(default_factory=lambda: CheckinsView(Counts(), ()))

    @property
    def channel_title(self) -> str | None:
        """The channel as people call it ("Telegram")."""
        return channel_title(self.channel)

    def to_json(self) -> dict[str, Any]:
        return {
            **_json(self),
            "link_code": self.link_code.to_json() if self.link_code else None,
            "appointments": [a.to_json() for a in self.appointments],
            "consents": [c.to_json() for c in self.consents],
            "checkins": self.checkins.to_json(),
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
    codes = participants.matching(session, query, limit=limit)
    found = participants.standings(session, codes=codes, now=now)
    counts = report.counts_by_participant(session, [f.participant.id for f in found], now=now)
    return [_row(one, lang, counts.get(one.participant.id, Counts())) for one in found]


def detail(
    session: Session,
    code: str,
    *,
    lang: str = "en",
    cipher: Cipher | None = None,
    plans: Mapping[str, Schedule] | None = None,
    now: dt.datetime | None = None,
) -> ParticipantDetail | None:
    """Everything the participant's page shows; None for an unknown code. The check-ins'
    answers are read with `cipher`; `plans` (`report.schedules`) gives their titles and
    questions."""
    try:
        found = participants.whole(session, code, now=now)
    except participants.UnknownParticipant:
        return None
    person = found.standing.participant
    checkins = report.of_participant(session, code, plans or {}, cipher, now=now, lang=lang)
    return ParticipantDetail(
        code=person.code,
        trial=person.trial,
        language=person.language,
        timezone=person.timezone,
        linked=person.sender_key is not None,
        linked_at=_utc(person.linked_at),
        channel=found.standing.channel,
        link_code=_link_code(found.standing.link_code),
        created_at=as_utc(person.created_at),
        appointments=_appointments(found.appointments, found.reminders, lang),
        consents=tuple(_consent(record) for record in found.consents),
        checkins=_checkins(checkins, lang) if checkins else CheckinsView(Counts(), ()),
    )


def local_text(moment: dt.datetime, timezone: str, lang: str = "en") -> str:
    """A moment as the participant reads it: "Thu 10 Dec 2026 09:00 CET"."""
    local = as_utc(moment).astimezone(ZoneInfo(timezone))
    return f"{when(local, lang, weekday=True)} {local:%Z}"


# Search ----------------------------------------------------------------------------------------


def _row(found: Standing, lang: str, checkins: Counts) -> ParticipantRow:
    person, upcoming = found.participant, found.next_appointment
    starts_at = _moment(upcoming["starts_at"]) if upcoming else None
    return ParticipantRow(
        code=person.code,
        trial=person.trial,
        language=person.language,
        timezone=person.timezone,
        linked=person.sender_key is not None,
        linked_at=_utc(person.linked_at),
        next_appointment=(
            f"{local_text(starts_at, upcoming['timezone'], lang)} · {upcoming['kind']}"
            if upcoming and starts_at
            else None
        ),
        next_appointment_at=starts_at,
        appointments=found.appointments,
        reminders_sent=found.reminders_sent,
        reminders_failed=found.reminders_failed,
        checkins=checkins,
    )


# Detail ----------------------------------------------------------------------------------------


def _appointments(
    listed: list[dict[str, Any]], reminded: list[dict[str, Any]], lang: str
) -> tuple[AppointmentView, ...]:
    """`report.appointments`' rows, each with its reminders (`report.reminders`' rows)."""
    zones = {row["id"]: row["timezone"] for row in listed}
    reminders: dict[int, list[ReminderView]] = defaultdict(list)
    for row in reminded:
        reminders[row["appointment"]].append(_reminder(row, zones[row["appointment"]], lang))
    return tuple(
        AppointmentView(
            id=row["id"],
            starts_at=(starts_at := _moment(row["starts_at"])),
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
    due_at = _moment(row["due_at"])
    return ReminderView(
        id=row["id"],
        due_at=due_at,
        local_time=local_text(due_at, timezone, lang),
        status=row["status"],
        channel=row["channel"],
        attempts=row["attempts"],
        sent_at=_moment(row["sent_at"]) if row["sent_at"] else None,
        last_error=row["last_error"],
        cancel_reason=row["cancel_reason"],
    )


# What each state of a check-in is called on the page (French in `words`).
STATE_WORDS = {
    "scheduled": "scheduled",
    "due": "due: waiting to be sent",
    "open": "awaiting answers",
    "overdue": "overdue: no answer for a day",
    "answered": "answered",
    "missed": "missed",
    "failed": "failed",
    "cancelled": "cancelled",
}


def _checkins(found: report.ParticipantCheckins, lang: str) -> CheckinsView:
    return CheckinsView(
        counts=found.counts,
        items=tuple(_checkin(row, found.timezone, lang) for row in found.checkins),
    )


def _checkin(row: CheckinReport, timezone: str, lang: str) -> CheckinView:
    note = None
    if row.unreadable:
        note = t(lang, "Its answers were encrypted with a key no longer configured.")
    elif row.stopped:
        note = t(lang, "Stopped before the last question.")
    return CheckinView(
        id=row.id,
        checkin=row.checkin,
        title=row.title,
        due_at=row.due_at,
        local_time=local_text(row.due_at, timezone, lang),
        state=row.state,
        state_label=t(lang, STATE_WORDS.get(row.state, row.state)),
        answered_at=row.answered_at,
        safety_event_id=row.safety_event_id,
        answers=tuple(AnswerView(a.text, a.answer) for a in row.answers or ()),
        note=note,
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


def _link_code(state: dict[str, Any] | None) -> LinkCodeView | None:
    if state is None:
        return None
    used_at = state["used_at"]
    return LinkCodeView(
        state=state["state"],
        expires_at=_moment(state["expires_at"]),
        used_at=_moment(used_at) if used_at else None,
    )


def _moment(iso: str) -> dt.datetime:
    """A time of the plain rows (ISO, UTC) as a moment."""
    return dt.datetime.fromisoformat(iso)


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    return as_utc(moment) if moment is not None else None


def _json(view: Any) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, dt.datetime) else value
        for key, value in asdict(view).items()
    }
