"""The recruitment funnel: how many people each trial and campaign brought, step by step.

People, not rows: a person is one conversation (its `sender_key` is unique), attributed to the
campaign that first brought them (`Conversation.campaign`). Every step counts the people of the
previous step who also reached this one, so the funnel only narrows and "lost since the previous
step" is never negative. A step once reached stays reached: a later withdrawal or cancellation
is a loss further down, not a change of the past.

- conversations: everyone who wrote. For one trial: those whose link named it
  (`Conversation.trial`), who started its pre-screening, or who were enrolled in it.
- started / completed: a `Screening` of the trial; completed means it reached an outcome
  (likely eligible, not eligible, needs review), not that the person stopped it.
- likely eligible: `likely_eligible` or `needs_review`: the assistant offers contact to both
  (`actions/screening.py`), so both are the pool the next step draws from.
- agreed to be contacted: a `FollowUp` of kind `contact`. `action_record_contact` writes it only
  when the contact consent is in the ledger *and* the person gave a time and a way to reach them.
  A contact consent alone is not enough (the person may stop the form right after: nothing is
  recorded and the team has no one to call), and the ledger cannot be joined in SQL anyway (it
  names people by a keyed hash of their `sender_key`).
- appointment: an `Appointment` of a `Participant` whose chat is this conversation (staff enrol
  the person, who binds the chat with a link code).
- confirmed: an appointment whose status is `confirmed`: the participant's tap on "Confirm" in a
  reminder is the only place a confirmation is recorded (`bot/reminders/requests.py`).

After enrolment, retention: per trial and per check-in of its `checkins.yml`, how many scheduled
check-ins were answered of those closed ("X of Y answered"; `bot.checkins.report.retention` says
what counts). A campaign or a period keeps the check-ins of the participants whose chat is one
of those conversations, as every step above does.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, case, func, or_, select
from sqlalchemy.orm import Session

from bot.campaigns import campaign_counts
from bot.checkins import report
from bot.crypto import Cipher, DecryptionError
from bot.db.models import (
    Appointment,
    AppointmentStatus,
    Conversation,
    FollowUp,
    Participant,
    Screening,
    as_utc,
)
from bot.screening.criteria import Criteria
from bot.screening.evaluate import Answers, evaluate
from bot.screening.store import STOPPED
from bot.trials import shared as shared_catalogue

DIRECT = "(none)"  # people who came without a campaign link; no campaign id has parentheses
ALL_TRIALS = "(all trials)"
ALL_CAMPAIGNS = "(all campaigns)"

STEPS: tuple[tuple[str, str], ...] = (
    ("conversations", "Conversations"),
    ("screening_started", "Started pre-screening"),
    ("screening_completed", "Finished pre-screening"),
    ("likely_eligible", "Likely eligible or to review"),
    ("contact", "Agreed to be contacted"),
    ("appointment", "Got an appointment"),
    ("confirmed", "Confirmed an appointment"),
)
COMPLETED = ("likely_eligible", "not_eligible", "needs_review")
ELIGIBLE = ("likely_eligible", "needs_review")
UNFINISHED = ("incomplete", STOPPED)


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    count: int  # people
    share: float  # of the first step's people, 0 to 1
    drop: int  # people of the previous step who did not reach this one (0 for the first)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Funnel:
    trial: str | None  # None: every trial
    campaign: str | None  # None: every campaign; DIRECT: none
    since: dt.datetime | None  # people whose conversation began then or later
    steps: tuple[Step, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "trial": self.trial,
            "campaign": self.campaign,
            "since": self.since.isoformat() if self.since else None,
            "steps": [step.to_json() for step in self.steps],
        }


@dataclass(frozen=True)
class CampaignFunnel:
    campaign: str  # DIRECT for people who came without a campaign link
    funnel: Funnel

    def to_json(self) -> dict[str, Any]:
        return {"campaign": self.campaign, "funnel": self.funnel.to_json()}


@dataclass(frozen=True)
class QuestionDropOff:
    question: str  # its id in eligibility.yml
    text: str  # the English question
    answered: int  # people whose screening has an answer to it ("don't know" included)
    stopped: int  # people whose screening ended or waits unfinished at this question

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def funnel(
    session: Session,
    *,
    trial: str | None = None,
    campaign: str | None = None,
    since: dt.datetime | None = None,
) -> Funnel:
    """The people of this trial and campaign (all when None) at each step."""
    counts = session.execute(_tally(trial, campaign, since)).one()
    return _funnel(trial, campaign, since, [int(n or 0) for n in counts])


def by_campaign(
    session: Session, *, trial: str | None = None, since: dt.datetime | None = None
) -> list[CampaignFunnel]:
    """One funnel per campaign (DIRECT for no campaign), most conversations first."""
    query = _tally(trial, None, since, per_campaign=True)
    rows = [(name or DIRECT, [int(n or 0) for n in rest]) for name, *rest in session.execute(query)]
    rows.sort(key=lambda row: (-row[1][0], row[0]))
    return [CampaignFunnel(name, _funnel(trial, name, since, counts)) for name, counts in rows]


def question_drop_off(
    session: Session,
    cipher: Cipher,
    knowledge_dir: Path,
    *,
    trial: str,
    campaign: str | None = None,
    since: dt.datetime | None = None,
) -> list[QuestionDropOff]:
    """For each question of the trial, in the file's order: answered, and stopped there.

    Each person counts once, by their latest screening of the trial: someone who stopped, came
    back and finished did not drop off. Answers are encrypted, so they are read here, never
    shown. Empty when the trial has no valid criteria.
    """
    # Shared and parsed once: parsing the YAML took as long as decrypting 8,000 people's answers.
    loaded = shared_catalogue(knowledge_dir).screenable().get(trial)
    if loaded is None:
        return []
    criteria = loaded.criteria
    answered = dict.fromkeys((q.id for q in criteria.questions), 0)
    stopped = dict.fromkeys(answered, 0)
    for outcome, next_question, token in session.execute(_latest(trial, campaign, since)):
        answers = _readable(cipher, token)
        for question_id in answers.keys() & answered.keys():
            answered[question_id] += 1
        at = _stopped_at(criteria, outcome, _question(cipher, next_question), answers)
        if at in stopped:
            stopped[at] += 1
    return [
        QuestionDropOff(q.id, q.text.get("en", q.id), answered[q.id], stopped[q.id])
        for q in criteria.questions
    ]


def retention(
    session: Session,
    knowledge_dir: Path,
    *,
    trial: str | None = None,
    campaign: str | None = None,
    since: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> list[report.TrialRetention]:
    """Per trial, per check-in: answered of those closed, and those still open. With a campaign
    or a period, only the participants whose conversation is in that cohort."""
    plans = report.schedules(shared_catalogue(knowledge_dir).get())
    people = None
    if campaign is not None or since is not None:
        people = select(Conversation.sender_key).where(*_cohort(campaign, since))
    return report.retention(session, plans, trial=trial, people=people, now=now)


def trials(knowledge_dir: Path) -> list[str]:
    """The trials in the knowledge folder (`trials/<id>/`), for the page's selector."""
    folder = knowledge_dir / "trials"
    return sorted(
        path.name
        for path in folder.glob("*/")
        if (path / "trial.yml").is_file() or (path / "eligibility.yml").is_file()
    )


def campaigns(session: Session) -> list[str]:
    """Campaigns seen, most conversations first, then DIRECT when anyone came without one."""
    names = [count.campaign for count in campaign_counts(session)]
    direct = session.scalar(select(Conversation.id).where(Conversation.campaign.is_(None)).limit(1))
    return [*names, DIRECT] if direct is not None else names


CSV_COLUMNS = (
    "section",  # funnel | question
    "trial",
    "campaign",
    "key",  # the step, or the question's id
    "label",  # the step's name, or the question's English text
    "people",  # funnel: people at the step
    "percent_of_conversations",  # funnel
    "lost_from_previous_step",  # funnel
    "answered",  # question, retention: check-ins answered
    "stopped_here",  # question
    "closed",  # retention: check-ins answered, missed or not delivered
    "still_open",  # retention: due or sent, not answered yet
    "percent_answered",  # retention: answered of closed
)


def to_csv(
    session: Session,
    cipher: Cipher,
    knowledge_dir: Path,
    *,
    trial: str | None = None,
    campaign: str | None = None,
    since: dt.datetime | None = None,
) -> str:
    """The funnel as a spreadsheet: one row per trial × campaign × step, then per question,
    then per check-in (`section` retention: answered, closed, still open).

    Long rather than wide so that a filter on `section`, `trial` or `campaign`, or a pivot
    table, gives any view. Without a trial: all trials together, then each trial. Without a
    campaign: all campaigns together, then each campaign (DIRECT for no campaign link).
    """
    chosen = [trial] if trial else [None, *trials(knowledge_dir)]
    rows: list[Sequence[object]] = [CSV_COLUMNS]
    for shown in chosen:
        if campaign is None:
            campaigns = [row.funnel for row in by_campaign(session, trial=shown, since=since)]
            funnels = [_together(shown, since, campaigns), *campaigns]
        else:
            funnels = [funnel(session, trial=shown, campaign=campaign, since=since)]
        rows += [_step_row(each, step) for each in funnels for step in each.steps]
    for shown in (t for t in chosen if t):
        drops = question_drop_off(
            session, cipher, knowledge_dir, trial=shown, campaign=campaign, since=since
        )
        where = (shown, campaign or ALL_CAMPAIGNS)
        rows += [
            ("question", *where, d.question, d.text, "", "", "", d.answered, d.stopped, "", "", "")
            for d in drops
        ]
    for kept in retention(session, knowledge_dir, trial=trial, campaign=campaign, since=since):
        rows += [_retention_row(kept.trial, campaign, item) for item in kept.checkins]
    out = io.StringIO()
    csv.writer(out).writerows([_safe(cell) for cell in row] for row in rows)
    return out.getvalue()


_LABELS, _VALUES, _ROW, _BAR = 250, 110, 34, 22  # chart geometry, in pixels


def svg_bars(shown: Funnel, *, width: int = 720, title: str | None = None) -> str:
    """A horizontal bar per step, with its people and share: an image with a text equivalent.

    Sized by its viewBox alone: the staff pages' CSP allows no inline style."""
    height = _ROW * len(shown.steps) + 8
    first = max(shown.steps[0].count if shown.steps else 0, 1)
    if title is None:
        title = f"Recruitment funnel: {shown.trial or 'all trials'}"
        if shown.campaign:
            title += f", campaign {shown.campaign}"
    summary = "; ".join(f"{s.label}: {s.count} ({_percent(s.share)})" for s in shown.steps)
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="{width}" role="img" '
            'aria-labelledby="funnel-chart-title funnel-chart-desc" class="funnel-chart">',
            f'<title id="funnel-chart-title">{html.escape(title)}</title>',
            f'<desc id="funnel-chart-desc">{html.escape(summary)}</desc>',
            '<g font-family="system-ui, sans-serif" font-size="14" fill="#1f2933">',
            *(_bar(step, index, first, width) for index, step in enumerate(shown.steps)),
            "</g></svg>",
        ]
    )


def _bar(step: Step, index: int, first: int, width: int) -> str:
    """One step's label, its bar over a grey track as long as the first step's, its numbers."""
    track = width - _LABELS - _VALUES
    top = 4 + index * _ROW
    baseline = top + _BAR / 2 + 5  # centres 14px text on the bar
    length = round(track * step.count / first, 1)
    return (
        f'<text x="{_LABELS - 10}" y="{baseline}" text-anchor="end">'
        f"{html.escape(step.label)}</text>"
        f'<rect x="{_LABELS}" y="{top}" width="{track}" height="{_BAR}" rx="3" fill="#e4e7eb"/>'
        f'<rect x="{_LABELS}" y="{top}" width="{length}" height="{_BAR}" rx="3" fill="#2f6fb0"/>'
        f'<text x="{width - _VALUES + 8}" y="{baseline}">'
        f"{step.count} · {html.escape(_percent(step.share))}</text>"
    )


# Counting --------------------------------------------------------------------------------------


def _tally(
    trial: str | None,
    campaign: str | None,
    since: dt.datetime | None,
    *,
    per_campaign: bool = False,
) -> Select[*tuple[Any, ...]]:
    """People at each step, in one pass: a 0/1 flag per person and step, summed.

    The product of the flags so far is 1 only for people who reached every step up to this
    one, which keeps the funnel nested. What each person reached is grouped by person once and
    joined to the conversations, rather than asked per conversation with EXISTS: SQLite answered
    those through the index on the trial, reading all its screenings for each person (11 minutes
    for one trial at 20,000 conversations; `bench/staff_pages`).
    """
    screened, contact, booked = _screenings(trial), _contacts(trial), _appointments(trial)
    flags = [
        _present(screened),
        func.coalesce(screened.c.completed, 0),
        func.coalesce(screened.c.eligible, 0),
        _present(contact),
        _present(booked),
        func.coalesce(booked.c.confirmed, 0),
    ]
    group = [Conversation.campaign.label("campaign")] if per_campaign else []
    people = (
        select(*group, *(flag.label(f"s{n}") for n, flag in enumerate(flags)))
        .select_from(Conversation)
        .outerjoin(screened, _same_person(screened))
        .outerjoin(contact, _same_person(contact))
        .outerjoin(booked, _same_person(booked))
        .where(*_cohort(campaign, since))
    )
    if trial:
        enrolled = _enrolled(trial)
        people = people.outerjoin(enrolled, _same_person(enrolled)).where(
            or_(
                Conversation.trial == trial,
                screened.c.sender_key.is_not(None),
                enrolled.c.sender_key.is_not(None),
            )
        )
    person = people.subquery()
    columns = []
    nested: ColumnElement[Any] | None = None
    for n in range(len(flags)):
        nested = person.c[f"s{n}"] if nested is None else nested * person.c[f"s{n}"]
        columns.append(func.sum(nested))
    if not per_campaign:
        return select(func.count(), *columns)
    return select(person.c.campaign, func.count(), *columns).group_by(person.c.campaign)


def _cohort(campaign: str | None, since: dt.datetime | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if campaign == DIRECT:
        where.append(Conversation.campaign.is_(None))
    elif campaign:
        where.append(Conversation.campaign == campaign)
    if since is not None:
        # SQLite keeps times without their zone, written in UTC: compare in UTC.
        where.append(Conversation.created_at >= as_utc(since))
    return where


# One row per person (`sender_key`) who reached a step, to join to their conversation.


def _screenings(trial: str | None) -> Subquery:
    """Who started a screening (of the trial), and whether one was completed, or eligible."""
    query = select(
        Screening.sender_key,
        _any(Screening.outcome.in_(COMPLETED)).label("completed"),
        _any(Screening.outcome.in_(ELIGIBLE)).label("eligible"),
    ).group_by(Screening.sender_key)
    if trial:
        query = query.where(Screening.trial == trial)
    return query.subquery("screened")


def _contacts(trial: str | None) -> Subquery:
    query = select(FollowUp.sender_key).where(FollowUp.kind == "contact")
    if trial:
        query = query.where(FollowUp.trial == trial)
    return query.group_by(FollowUp.sender_key).subquery("contacted")


def _appointments(trial: str | None) -> Subquery:
    """Whose participant has an appointment (of the trial), and whether one was confirmed."""
    query = (
        select(
            Participant.sender_key,
            _any(Appointment.status == AppointmentStatus.CONFIRMED).label("confirmed"),
        )
        .join(Participant, Participant.id == Appointment.participant_id)
        .where(Participant.sender_key.is_not(None))
        .group_by(Participant.sender_key)
    )
    if trial:
        query = query.where(Appointment.trial == trial)
    return query.subquery("booked")


def _enrolled(trial: str) -> Subquery:
    query = select(Participant.sender_key).where(Participant.trial == trial)
    return query.group_by(Participant.sender_key).subquery("enrolled")


def _same_person(found: Subquery) -> ColumnElement[bool]:
    return found.c.sender_key == Conversation.sender_key


def _present(found: Subquery) -> ColumnElement[int]:
    """1 when the person has a row in `found`, else 0."""
    return case((found.c.sender_key.is_not(None), 1), else_=0)


def _any(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """Within a person's group: 1 when a row meets the condition, else 0."""
    return func.max(case((condition, 1), else_=0))


def _funnel(
    trial: str | None, campaign: str | None, since: dt.datetime | None, counts: Sequence[int]
) -> Funnel:
    first = counts[0]
    steps = tuple(
        Step(
            key=key,
            label=label,
            count=count,
            share=count / first if first else 0.0,
            drop=counts[index - 1] - count if index else 0,
        )
        for index, ((key, label), count) in enumerate(zip(STEPS, counts, strict=True))
    )
    return Funnel(trial, campaign, since, steps)


def _together(trial: str | None, since: dt.datetime | None, campaigns: list[Funnel]) -> Funnel:
    """All campaigns' funnel from each campaign's: they share no one, so the counts add up."""
    steps = zip(*(shown.steps for shown in campaigns), strict=True)
    counts = [sum(step.count for step in same) for same in steps]
    return _funnel(trial, None, since, counts or [0] * len(STEPS))


# Pre-screening questions -----------------------------------------------------------------------


def _latest(
    trial: str, campaign: str | None, since: dt.datetime | None
) -> Select[str, str | None, str]:
    """Each person's latest screening of the trial: outcome, next question, encrypted answers."""
    people = select(Conversation.sender_key).where(*_cohort(campaign, since))
    latest = (
        select(func.max(Screening.id))
        .where(Screening.trial == trial, Screening.sender_key.in_(people))
        .group_by(Screening.sender_key)
    )
    return select(Screening.outcome, Screening.next_question, Screening.answers).where(
        Screening.id.in_(latest)
    )


def _readable(cipher: Cipher, token: str) -> Answers:
    try:
        answers: Answers = json.loads(cipher.decrypt(token))
    except DecryptionError:  # encrypted with a retired key: where it stopped may still be known
        return {}
    return answers


def _question(cipher: Cipher, token: str | None) -> str | None:
    """The next question, stored encrypted (it tells earlier answers); None when unreadable."""
    if not token:
        return None
    try:
        return cipher.decrypt(token)
    except DecryptionError:  # the answers, when readable, still say where it stopped
        return None


def _stopped_at(
    criteria: Criteria, outcome: str, next_question: str | None, answers: Answers
) -> str | None:
    """The question an unfinished screening waits at; None for one that reached an outcome.

    Leaving the form or withdrawing (`stopped`) clears `next_question`: the answers given say
    which question came next.
    """
    if outcome not in UNFINISHED:
        return None
    return next_question or (evaluate(criteria, answers).next_question if answers else None)


# Output ----------------------------------------------------------------------------------------


def _step_row(shown: Funnel, step: Step) -> tuple[object, ...]:
    return (
        "funnel",
        shown.trial or ALL_TRIALS,
        shown.campaign or ALL_CAMPAIGNS,
        step.key,
        step.label,
        step.count,
        round(step.share * 100, 1),
        step.drop,
        "",
        "",
        "",
        "",
        "",
    )


def _retention_row(trial: str, campaign: str | None, kept: report.Retention) -> tuple[object, ...]:
    share = "" if kept.share is None else round(kept.share * 100, 1)
    return (
        "retention", trial, campaign or ALL_CAMPAIGNS, kept.checkin, kept.named("en"),
        "", "", "", kept.answered, "", kept.closed, kept.open, share,
    )  # fmt: skip


# A spreadsheet runs a cell that starts with one of these as a formula; campaign names come
# from links anyone can make ("?ref=camp_-2+3"), so they are defused with a leading quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(cell: object) -> object:
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        return "'" + cell
    return cell


def _percent(share: float) -> str:
    return f"{share * 100:.0f}%"
