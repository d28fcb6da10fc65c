"""What staff see of the check-ins: each one's state, each participant's record, each trial's
retention. Pure reads over the database, the cipher and the trials' check-in files; the staff
pages, `trialbot checkins list` and the funnel page say them in words.

The state of a check-in at `now` (`state`), which the row's status alone does not say:

- scheduled: not due yet;
- due: due, waiting for its send (the participant's quiet hours, another check-in first…);
- open: sent, its answers still awaited, sent less than `OVERDUE_AFTER` (24 h) ago;
- overdue: sent 24 h ago or more and still unanswered (before its answers close): staff may
  want to call;
- missed: closed with no answer; a sent check-in whose `closes_at` has passed counts as missed
  before the dispatcher marks it so;
- answered, failed (the channel could not deliver it), cancelled (no consent, messages stopped,
  the visit cancelled): the status itself.

Retention counts scheduled check-ins, not people: one row of `checkins` is one check-in of one
participant for one occasion (a check-in after each visit is one per visit). A check-in is
"closed" once answered, missed or failed; the share answering is answered / closed (None while
none is closed), said "X of Y answered". Those still awaiting answers (due, open, overdue) are
counted apart, and cancelled ones not at all: they were never meant to reach the person.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.orm import Session

from bot.checkins.schedule import Checkin as Planned
from bot.checkins.schedule import Schedule
from bot.crypto import Cipher, DecryptionError
from bot.db.models import Checkin, CheckinStatus, Participant, as_utc, utcnow
from bot.screening.criteria import Answer, Question
from bot.staff.words import t
from bot.trials import Trial

OVERDUE_AFTER = dt.timedelta(hours=24)
STATES = ("scheduled", "due", "open", "overdue", "answered", "missed", "failed", "cancelled")
AWAITING = ("due", "open", "overdue")  # retention's "open": not closed yet, not cancelled
CLOSED = ("answered", "missed", "failed")


def state(row: Checkin, now: dt.datetime) -> str:
    """What staff see of one check-in at `now` (the module's docstring says each state)."""
    return _state(CheckinStatus(row.status), row.due_at, row.closes_at, row.sent_at, as_utc(now))


def _state(
    status: CheckinStatus,
    due_at: dt.datetime,
    closes_at: dt.datetime,
    sent_at: dt.datetime | None,
    now: dt.datetime,
) -> str:
    if status is CheckinStatus.SCHEDULED:
        return "due" if as_utc(due_at) <= now else "scheduled"
    if status is CheckinStatus.SENT:
        if as_utc(closes_at) <= now:
            return "missed"
        return "overdue" if now - as_utc(sent_at or due_at) >= OVERDUE_AFTER else "open"
    return status.value


def state_in_sql(now: dt.datetime) -> ColumnElement[str]:
    """`state` as SQL, for counts grouped in the database (the list and funnel pages)."""
    now = as_utc(now)
    status = Checkin.status
    sent = func.coalesce(Checkin.sent_at, Checkin.due_at)
    return case(
        (and_(status == CheckinStatus.SCHEDULED, Checkin.due_at > now), "scheduled"),
        (status == CheckinStatus.SCHEDULED, "due"),
        (and_(status == CheckinStatus.SENT, Checkin.closes_at <= now), "missed"),
        (and_(status == CheckinStatus.SENT, sent <= now - OVERDUE_AFTER), "overdue"),
        (status == CheckinStatus.SENT, "open"),
        *((status == other, other.value) for other in _SETTLED),
        else_="unknown",
    )


_SETTLED = (
    CheckinStatus.ANSWERED,
    CheckinStatus.MISSED,
    CheckinStatus.FAILED,
    CheckinStatus.CANCELLED,
)


# A participant's check-ins -------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    """A participant's check-ins by state: what staff act on, and the rest for context."""

    answered: int = 0
    missed: int = 0
    overdue: int = 0
    open: int = 0  # sent less than a day ago, answers awaited
    scheduled: int = 0  # not sent yet: scheduled or due
    failed: int = 0

    @classmethod
    def of(cls, states: Iterable[str]) -> Counts:
        seen = Counter(states)
        return cls(
            answered=seen["answered"],
            missed=seen["missed"],
            overdue=seen["overdue"],
            open=seen["open"],
            scheduled=seen["scheduled"] + seen["due"],
            failed=seen["failed"],
        )

    @property
    def any(self) -> bool:
        return any(asdict(self).values())

    def to_json(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class AnswerInWords:
    question: str  # its id in checkins.yml
    text: str  # the question, in the language asked for
    value: Answer  # as stored; None: "I don't know" (or passed)
    answer: str  # in words: "Yes", the option's label, "7", "Don't know", "Passed"
    passed: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CheckinReport:
    """One check-in of one participant, as staff see it; `answers` None when not read."""

    id: int
    participant: str  # the site's code
    trial: str
    checkin: str  # its id in checkins.yml
    title: str  # in the language asked for; the id when the file no longer has it
    occasion: str  # "enrolment" or "appointment:<id>"
    due_at: dt.datetime  # UTC
    closes_at: dt.datetime
    state: str
    sent_at: dt.datetime | None
    answered_at: dt.datetime | None
    channel: str | None
    safety_event_id: int | None  # the side effect an answer reported
    answers: tuple[AnswerInWords, ...] | None = None
    stopped: bool = False  # the participant stopped it before its last question
    unreadable: bool = False  # its answers were encrypted with a key no longer configured

    def to_json(self) -> dict[str, Any]:
        shown = {
            key: value.isoformat() if isinstance(value, dt.datetime) else value
            for key, value in asdict(self).items()
            if key not in ("answers", "stopped", "unreadable")
        }
        if self.answers is not None or self.unreadable:
            shown["answers"] = [answer.to_json() for answer in self.answers or ()]
            shown["stopped"], shown["unreadable"] = self.stopped, self.unreadable
        return shown


@dataclass(frozen=True)
class ParticipantCheckins:
    participant: str
    trial: str
    timezone: str  # the participant's: their check-ins' local times
    counts: Counts
    checkins: tuple[CheckinReport, ...]  # by due time

    def to_json(self) -> dict[str, Any]:
        return {
            "participant": self.participant,
            "trial": self.trial,
            "timezone": self.timezone,
            "counts": self.counts.to_json(),
            "checkins": [row.to_json() for row in self.checkins],
        }


def schedules(trials: Mapping[str, Trial]) -> dict[str, Schedule]:
    """Each trial's check-ins file that loaded, by trial id."""
    return {tid: trial.checkins for tid, trial in trials.items() if trial.checkins is not None}


def listed(
    session: Session,
    plans: Mapping[str, Schedule],
    *,
    participant: str | None = None,
    trial: str | None = None,
    cipher: Cipher | None = None,
    now: dt.datetime | None = None,
    lang: str = "en",
) -> list[CheckinReport]:
    """Check-ins by participant code, then due time; their answers in words only with `cipher`
    (a single person's record is the place for them, not a list of everyone)."""
    now = as_utc(now or utcnow())
    query = (
        select(Checkin, Participant.code)
        .join(Participant, Participant.id == Checkin.participant_id)
        .order_by(Participant.code, Checkin.due_at, Checkin.id)
    )
    if participant is not None:
        query = query.where(Participant.code == participant)
    if trial is not None:
        query = query.where(Checkin.trial == trial)
    return [
        _report(row, code, plans, cipher, now, lang) for row, code in session.execute(query).all()
    ]


def of_participant(
    session: Session,
    code: str,
    plans: Mapping[str, Schedule],
    cipher: Cipher | None,
    *,
    now: dt.datetime | None = None,
    lang: str = "en",
) -> ParticipantCheckins | None:
    """One participant's check-ins with their counts (answers read with `cipher`); None for an
    unknown code."""
    person = session.scalar(select(Participant).where(Participant.code == code))
    if person is None:
        return None
    rows = listed(session, plans, participant=code, cipher=cipher, now=now, lang=lang)
    return ParticipantCheckins(
        participant=person.code,
        trial=person.trial,
        timezone=person.timezone,
        counts=Counts.of(row.state for row in rows),
        checkins=tuple(rows),
    )


def counts_by_participant(
    session: Session, participant_ids: Iterable[int], *, now: dt.datetime | None = None
) -> dict[int, Counts]:
    """Each participant's counts, counted in the database (the participants list)."""
    ids = list(participant_ids)
    if not ids:
        return {}
    shown = state_in_sql(now or utcnow()).label("state")
    query = (
        select(Checkin.participant_id, shown, func.count())
        .where(Checkin.participant_id.in_(ids))
        .group_by(Checkin.participant_id, shown)
    )
    states: dict[int, Counter[str]] = defaultdict(Counter)
    for person, said, number in session.execute(query):
        states[person][said] += number
    return {person: Counts.of(seen.elements()) for person, seen in states.items()}


def _report(
    row: Checkin,
    code: str,
    plans: Mapping[str, Schedule],
    cipher: Cipher | None,
    now: dt.datetime,
    lang: str,
) -> CheckinReport:
    plan = plans.get(row.trial)
    planned = plan.get(row.checkin) if plan is not None else None
    answers: tuple[AnswerInWords, ...] | None = None
    stopped = unreadable = False
    if cipher is not None:
        try:
            answers, stopped = read_answers(row.answers, cipher, planned, lang)
        except DecryptionError:
            unreadable = True
    return CheckinReport(
        id=row.id,
        participant=code,
        trial=row.trial,
        checkin=row.checkin,
        title=planned.named(lang) if planned else row.checkin,
        occasion=row.occasion,
        due_at=as_utc(row.due_at),
        closes_at=as_utc(row.closes_at),
        state=state(row, now),
        sent_at=_utc(row.sent_at),
        answered_at=_utc(row.answered_at),
        channel=row.channel,
        safety_event_id=row.safety_event_id,
        answers=answers,
        stopped=stopped,
        unreadable=unreadable,
    )


# Answers in words ----------------------------------------------------------------------------


def read_answers(
    token: str | None, cipher: Cipher, planned: Planned | None, lang: str = "en"
) -> tuple[tuple[AnswerInWords, ...], bool]:
    """The stored answers in words, in the check-in's question order, and whether the person
    stopped it. Questions the file no longer has come last, by their id."""
    if not token:
        return (), False
    data = json.loads(cipher.decrypt(token))
    given: dict[str, Answer] = dict(data.get("answers") or {})
    passed = [str(q) for q in data.get("passed") or []]
    order = [q.id for q in planned.questions] if planned else []
    order += sorted((given.keys() | set(passed)) - set(order))
    shown = []
    for question_id in order:
        question = planned.question(question_id) if planned else None
        text = (question.text.get(lang) or question.text.get("en", "")) if question else ""
        if question_id in given:
            value = given[question_id]
            words = in_words(question, value, lang)
            shown.append(AnswerInWords(question_id, text or question_id, value, words))
        elif question_id in passed:
            passed_words = t(lang, "Passed")
            shown.append(AnswerInWords(question_id, text or question_id, None, passed_words, True))
    return tuple(shown), bool(data.get("stopped"))


def in_words(question: Question | None, value: Answer, lang: str = "en") -> str:
    """ "Yes", "Non", the option's label, "7", "7,5", "Don't know"."""
    if value is None:
        return t(lang, "Don't know")
    if isinstance(value, bool):
        return t(lang, "Yes" if value else "No")
    if isinstance(value, int | float):
        number = int(value) if float(value).is_integer() else value
        return str(number).replace(".", ",") if lang == "fr" else str(number)
    if question is not None and question.type == "choice" and value in question.options:
        labels = question.options[value]
        return labels.get(lang) or labels.get("en") or value
    return str(value)


# Retention -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Retention:
    """One check-in of one trial, over every participant: how many answered of those closed."""

    checkin: str  # its id in checkins.yml; "" for the trial's total
    title: dict[str, str] = field(default_factory=dict)  # per language
    answered: int = 0
    missed: int = 0
    failed: int = 0
    open: int = 0  # due, open or overdue: still to be answered
    scheduled: int = 0  # not due yet

    @property
    def closed(self) -> int:
        return self.answered + self.missed + self.failed

    @property
    def share(self) -> float | None:
        """Answered of those closed, 0 to 1; None while none is closed."""
        return self.answered / self.closed if self.closed else None

    def named(self, lang: str) -> str:
        return self.title.get(lang) or self.title.get("en") or self.checkin

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "closed": self.closed, "share": self.share}


@dataclass(frozen=True)
class TrialRetention:
    trial: str
    checkins: tuple[Retention, ...]  # in the file's order; ids it no longer has last

    @property
    def total(self) -> Retention:
        """Every check-in of the trial together."""
        return Retention(
            "",
            answered=sum(r.answered for r in self.checkins),
            missed=sum(r.missed for r in self.checkins),
            failed=sum(r.failed for r in self.checkins),
            open=sum(r.open for r in self.checkins),
            scheduled=sum(r.scheduled for r in self.checkins),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "trial": self.trial,
            "checkins": [r.to_json() for r in self.checkins],
            "total": self.total.to_json(),
        }


def retention(
    session: Session,
    plans: Mapping[str, Schedule],
    *,
    trial: str | None = None,
    people: Select[str] | None = None,
    now: dt.datetime | None = None,
) -> list[TrialRetention]:
    """Per trial (by id), per check-in: answered, closed, open. Every trial with a check-ins
    file is there, none scheduled yet or not; `people` (a query of `sender_key`s) keeps the
    check-ins of those participants only: the funnel's campaign and period."""
    shown = state_in_sql(now or utcnow()).label("state")
    query = (
        select(Checkin.trial, Checkin.checkin, shown, func.count())
        .where(Checkin.status != CheckinStatus.CANCELLED)
        .group_by(Checkin.trial, Checkin.checkin, shown)
    )
    if trial is not None:
        query = query.where(Checkin.trial == trial)
    if people is not None:
        query = query.join(Participant, Participant.id == Checkin.participant_id).where(
            Participant.sender_key.in_(people)
        )
    found: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for trial_id, checkin_id, said, number in session.execute(query):
        found[trial_id][checkin_id][said] += number
    trials = sorted({*found, *(tid for tid in plans if trial in (None, tid))})
    return [_trial_retention(tid, plans.get(tid), found.get(tid, {})) for tid in trials]


def _trial_retention(
    trial: str, plan: Schedule | None, found: Mapping[str, Counter[str]]
) -> TrialRetention:
    planned = [c.id for c in plan.checkins] if plan else []
    order = planned + sorted(set(found) - set(planned))
    rows = []
    for checkin_id in order:
        seen = found.get(checkin_id, Counter())
        item = plan.get(checkin_id) if plan else None
        rows.append(
            Retention(
                checkin_id,
                title=dict(item.title) if item else {},
                answered=seen["answered"],
                missed=seen["missed"],
                failed=seen["failed"],
                open=sum(seen[s] for s in AWAITING),
                scheduled=seen["scheduled"],
            )
        )
    return TrialRetention(trial, tuple(rows))


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    return as_utc(moment) if moment is not None else None
