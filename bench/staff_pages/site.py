"""A site's months of data, built person by person and bulk-inserted: what the staff pages read.

Each person writes from a channel, perhaps through a campaign link; some pre-screen (answers drawn
per question, walked through the real `evaluate` until an outcome or until the person stops),
some of the eligible ask to be contacted, a share of those are enrolled with visits and their
reminders; a few report a side effect or ask for the team. Free text and answers are encrypted
with the real `Cipher`. Rows go in by bulk INSERT (the service functions write one row at a time:
too slow for 20,000 people), except the unanswered questions, recorded by
`gaps.record_unanswered`, and the staff account, made by `accounts.add`.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine, func, insert, select, text, update
from sqlalchemy.orm import Session

from bot.crypto import Cipher
from bot.db.models import (
    AnswerFeedback,
    Appointment,
    AppointmentStatus,
    Base,
    Conversation,
    FollowUp,
    Handoff,
    HandoffMessage,
    LanguageSource,
    Participant,
    Reminder,
    ReminderStatus,
    SafetyEvent,
    Screening,
    UnansweredQuestion,
)
from bot.knowledge import gaps
from bot.knowledge.entries import Entry
from bot.knowledge.index import Candidate
from bot.pseudonym import pseudonym
from bot.screening.criteria import Answer, Criteria, Question
from bot.screening.evaluate import Answers, Result, evaluate
from bot.screening.store import STOPPED
from bot.staff import accounts
from bot.trials import read_catalogue, screenable

QUESTIONS = Path(__file__).with_name("questions.yml")
T2D, ASTHMA = "demo-t2d-001", "demo-asthma-002"
STAFF_EMAIL, STAFF_PASSWORD = "coordinator@bench.example", "correct horse battery staple"
DAYS = 180  # the site has been recruiting for six months
BATCH = 2_000

# (campaign, the trial its links name, share of conversations); the rest came without a link.
CAMPAIGNS: tuple[tuple[str, str | None, float], ...] = (
    ("fb-spring", T2D, 0.18),
    ("insta-asthma", ASTHMA, 0.12),
    ("fb-autumn", T2D, 0.12),
    ("google-diabetes", T2D, 0.10),
    ("pharmacy-poster", None, 0.08),
    ("newsletter", None, 0.07),
    ("radio-asthma", ASTHMA, 0.06),
    ("gp-letter", T2D, 0.05),
)
CHANNELS = {"telegram": 0.45, "messenger": 0.35, "web": 0.20}
VISITS = (("screening visit", 7), ("baseline", 21), ("week 4", 49), ("week 12", 105))
SAFETY_TEXTS = (
    ("emergency", "chest_pain", "I have a pain in my chest since this morning"),
    ("emergency", "breathing", "j'ai du mal à respirer depuis hier soir"),
    ("adverse_event", "after_treatment", "my feet are swollen since I started the tablets"),
    ("adverse_event", "after_treatment", "j'ai des nausées depuis la dernière visite"),
    ("adverse_event", "reported", "I had a rash on my arms after the injection"),
)
HANDOFF_TEXTS = (
    "Can someone call me about my appointment?",
    "Je voudrais parler à quelqu'un de l'équipe",
    "I don't understand the letter I got about the study",
    "Est-ce que le médecin peut me rappeler ?",
)


@dataclass
class Site:
    """Rows per table in an order the foreign keys allow, and the questions left unanswered."""

    tables: dict[type[Base], list[dict[str, Any]]] = field(default_factory=dict)
    questions: list[dict[str, Any]] = field(default_factory=list)  # text, language, when, …

    def rows(self, table: type[Base]) -> list[dict[str, Any]]:
        return self.tables.setdefault(table, [])

    def add(self, table: type[Base], row: dict[str, Any]) -> int:
        """The row's id (given here, so that rows can point at each other before insertion)."""
        rows = self.rows(table)
        row["id"] = len(rows) + 1
        rows.append(row)
        return int(row["id"])

    def counts(self) -> dict[str, int]:
        found = {table.__tablename__: len(rows) for table, rows in self.tables.items()}
        return {**found, UnansweredQuestion.__tablename__: len(self.questions)}

    @property
    def total(self) -> int:
        return sum(self.counts().values())


@dataclass(frozen=True)
class Scale:
    people: int = 20_000
    questions: int = 2_000
    seed: int = 20_260_601


def build(
    scale: Scale,
    cipher: Cipher,
    knowledge_dir: Path,
    now: dt.datetime,
    progress: Callable[[int], None] = lambda done: None,
) -> Site:
    """Every row of a site of `scale.people` conversations, the same for the same seed."""
    builder = _Builder(scale, cipher, knowledge_dir, now)
    for start in range(0, scale.people, 500):
        for index in range(start, min(start + 500, scale.people)):
            builder.person(index)
        progress(min(500, scale.people - start))
    builder.unanswered(scale.questions)
    return builder.site


def insert_site(
    engine: Engine,
    site: Site,
    cipher: Cipher,
    entries: list[Entry],
    progress: Callable[[int], None] = lambda done: None,
) -> None:
    """Bulk-insert the rows, record the questions through the service, add a staff account."""
    for table, rows in site.tables.items():
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            with Session(engine) as session, session.begin():
                session.execute(insert(table), batch)
            progress(len(batch))
    with Session(engine) as session, session.begin():
        _record_questions(session, site.questions, cipher, entries)
        accounts.add(session, STAFF_EMAIL, "coordinator", STAFF_PASSWORD)
    progress(len(site.questions))
    if engine.dialect.name == "postgresql":
        _after_bulk_load(engine, list(site.tables))


def _record_questions(
    session: Session, questions: list[dict[str, Any]], cipher: Cipher, entries: list[Entry]
) -> None:
    by_id = {(entry.id, entry.lang): entry for entry in entries}
    for question in questions:
        tried = [
            Candidate(by_id[(entry_id, question["language"])], score, score, score / 2)
            for entry_id, score in question["tried"]
            if (entry_id, question["language"]) in by_id
        ]
        gaps.record_unanswered(
            session, cipher=cipher, sender_key=question["sender_key"], text=question["text"],
            language=question["language"], reason="low_confidence", candidates=tried,
            trial=question["trial"],
        )  # fmt: skip
    session.flush()
    # The service stamps them now; the site asked them over months. Inserted in order, so the
    # ids follow the list.
    first = session.scalar(select(func.min(UnansweredQuestion.id))) or 1
    session.execute(
        update(UnansweredQuestion),
        [{"id": first + n, "created_at": q["created_at"]} for n, q in enumerate(questions)],
    )


def _after_bulk_load(engine: Engine, tables: list[type[Base]]) -> None:
    """Sequences past the ids given, and fresh statistics, as a site that grew would have."""
    with engine.begin() as connection:
        for table in tables:
            key = table.__table__.c.id
            sequence = func.pg_get_serial_sequence(table.__tablename__, "id")
            connection.execute(select(func.setval(sequence, func.max(key))))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))


# Building ---------------------------------------------------------------------------------------


class _Builder:
    def __init__(self, scale: Scale, cipher: Cipher, knowledge_dir: Path, now: dt.datetime) -> None:
        self.rng = random.Random(scale.seed)
        self.cipher = cipher
        self.now = now
        self.site = Site()
        for table in (Conversation, Screening, Participant, Appointment, Reminder, FollowUp):
            self.site.rows(table)  # the order of insertion: foreign keys first
        self.criteria = {
            tid: trial.criteria for tid, trial in screenable(read_catalogue(knowledge_dir)).items()
        }
        self.sites = {
            tid: sorted(trial.sites) for tid, trial in read_catalogue(knowledge_dir).items()
        }
        faq = sorted((knowledge_dir / "faq" / "en").glob("*.md"))
        self.entry_ids = [path.stem for path in faq]
        self.codes = 0
        self.people: list[tuple[str, str, str | None]] = []  # sender key, language, trial

    # One person, from their first message to their visits.

    def person(self, index: int) -> None:
        rng = self.rng
        channel = _pick(rng, CHANNELS)
        key = pseudonym(b"bench", channel, str(10_000_000 + index))
        language = "fr" if rng.random() < 0.65 else "en"
        campaign, trial = self._referral()
        created = self.now - dt.timedelta(days=DAYS * rng.random())
        conversation = self.site.add(
            Conversation,
            {
                "channel": channel, "sender_key": key, "language": language,
                "language_source": LanguageSource.CHOSEN if rng.random() < 0.3
                else LanguageSource.DETECTED,
                "rasa_slots": {"language": language}, "messages_seen": rng.randint(1, 40),
                "created_at": created,
                "last_seen_at": min(self.now, created + dt.timedelta(days=rng.random() * 20)),
                "address": None if channel == "web" else self.cipher.encrypt(str(index)),
                "campaign": campaign, "trial": trial, "messages_stopped_at": None,
            },
        )  # fmt: skip
        self.people.append((key, language, trial))
        if rng.random() < (0.65 if trial else 0.40):
            chosen = trial or (T2D if rng.random() < 0.6 else ASTHMA)
            self._pre_screen(key, language, campaign, chosen, created + _minutes(rng, 1, 30))
        if rng.random() < 0.012:
            self._safety_event(key, channel, language, trial, created)
        if rng.random() < 0.025:
            self._handoff(conversation, key, channel, language, trial, created)
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
            self._feedback(key, language, created)

    def _referral(self) -> tuple[str | None, str | None]:
        rng, draw = self.rng, self.rng.random()
        for campaign, trial, share in CAMPAIGNS:
            if draw < share:
                return campaign, trial
            draw -= share
        if rng.random() < 0.25:  # a trial's own link, shared without a campaign
            return None, T2D if rng.random() < 0.6 else ASTHMA
        return None, None

    def _pre_screen(
        self, key: str, language: str, campaign: str | None, trial: str, started: dt.datetime
    ) -> None:
        rng = self.rng
        answers: Answers = {}
        while True:
            result, answers, dropped = self._answer(self.criteria[trial], answers)
            screening = self._screening(key, campaign, trial, started, result, answers, dropped)
            if not (dropped and rng.random() < 0.08):
                break
            started += dt.timedelta(days=rng.randint(1, 10))  # came back and started again
            if started > self.now:
                return
        if result.outcome == "not_eligible" and rng.random() < 0.15:
            other = ASTHMA if trial == T2D else T2D  # the assistant suggests the other trial
            shared = {k: v for k, v in answers.items() if self.criteria[other].question(k)}
            result, both, dropped = self._answer(self.criteria[other], shared)
            self._screening(key, campaign, other, started, result, both, dropped)
            return
        if result.outcome == "needs_review":
            self._follow_up(key, trial, language, "review", started, screening=screening)
        if result.outcome in ("likely_eligible", "needs_review") and rng.random() < 0.6:
            phone = rng.random() < 0.4
            self._follow_up(
                key, trial, language, "contact", started + _minutes(rng, 1, 5),
                screening=screening,
                preferred_time=rng.choice(("morning", "afternoon", "evening")),
                channel="phone" if phone else "chat",
                phone=self.cipher.encrypt(f"+33 6 {rng.randint(10**7, 10**8 - 1)}") if phone
                else None,
            )  # fmt: skip
            enrolled = started + dt.timedelta(days=rng.randint(5, 20))
            if rng.random() < 0.45 and enrolled < self.now:
                self._enrol(key, language, trial, enrolled)

    def _answer(self, criteria: Criteria, known: Answers) -> tuple[Result, Answers, bool]:
        """Answer question after question, as `evaluate` asks them, or stop on the way."""
        answers = dict(known)
        bounce = 0.12 if not known else 0.0  # some leave at the very first question
        while True:
            result = evaluate(criteria, answers)
            if result.outcome != "incomplete" or result.next_question is None:
                return result, answers, False
            if self.rng.random() < max(bounce, 0.05):
                return result, answers, True
            bounce = 0.0
            question = criteria.question(result.next_question)
            assert question is not None
            answers[question.id] = _draw(self.rng, question)

    def _screening(
        self,
        key: str,
        campaign: str | None,
        trial: str,
        started: dt.datetime,
        result: Result,
        answers: Answers,
        dropped: bool,
    ) -> int:
        started = min(started, self.now)
        updated = min(started + _minutes(self.rng, 1, 15), self.now)
        waiting = dropped and self.now - started < dt.timedelta(days=3)
        outcome = result.outcome if not dropped or waiting else STOPPED
        return self.site.add(
            Screening,
            {
                "sender_key": key, "trial": trial,
                "criteria_version": self.criteria[trial].version,
                "answers": self.cipher.encrypt(json.dumps(answers, sort_keys=True)),
                "outcome": outcome, "reasons": [r.to_json() for r in result.reasons],
                "next_question": result.next_question if outcome == "incomplete" else None,
                "campaign": campaign, "started_at": started, "updated_at": updated,
                "completed_at": None if outcome == "incomplete" else updated,
            },
        )  # fmt: skip

    def _follow_up(
        self,
        key: str,
        trial: str,
        language: str,
        kind: str,
        created: dt.datetime,
        *,
        screening: int | None = None,
        appointment: int | None = None,
        **given: Any,
    ) -> None:
        status, closed = self._settled(created, open_for=21, share_open=0.7)
        self.site.add(
            FollowUp,
            {
                "sender_key": key, "trial": trial, "screening_id": screening,
                "appointment_id": appointment, "kind": kind, "preferred_time": None,
                "channel": None, "phone": None, "language": language, "status": status,
                "created_at": min(created, self.now), "closed_at": closed, **given,
            },
        )  # fmt: skip

    def _settled(
        self, created: dt.datetime, *, open_for: int, share_open: float, closed: str = "done"
    ) -> tuple[str, dt.datetime | None]:
        """Recent items are mostly still open; older ones were dealt with a few days later."""
        if self.now - created < dt.timedelta(days=open_for) and self.rng.random() < share_open:
            return "open", None
        return closed, min(self.now, created + dt.timedelta(days=self.rng.uniform(0.1, 5)))

    def _enrol(self, key: str, language: str, trial: str, enrolled: dt.datetime) -> None:
        rng = self.rng
        self.codes += 1
        participant = self.site.add(
            Participant,
            {
                "code": f"{'PN' if trial == T2D else 'PE'}-{self.codes:04d}", "trial": trial,
                "language": language, "timezone": "Europe/Paris", "sender_key": key,
                "linked_at": enrolled,
                "created_at": enrolled - dt.timedelta(days=1),
            },
        )  # fmt: skip
        site = rng.choice(self.sites[trial])
        for kind, after in VISITS:
            starts = (enrolled + dt.timedelta(days=after)).replace(
                hour=rng.randint(8, 16), minute=0
            )
            if starts - self.now > dt.timedelta(days=60):
                break  # not booked yet
            self._visit(participant, key, language, trial, site, kind, starts)

    def _visit(
        self,
        participant: int,
        key: str,
        language: str,
        trial: str,
        site: str,
        kind: str,
        starts: dt.datetime,
    ) -> None:
        rng, past = self.rng, starts < self.now
        status = _pick(
            rng,
            {"confirmed": 0.5, "scheduled": 0.4, "cancelled": 0.06, "reschedule_requested": 0.04}
            if past
            else {
                "scheduled": 0.55,
                "confirmed": 0.35,
                "reschedule_requested": 0.06,
                "cancelled": 0.04,
            },
        )
        appointment = self.site.add(
            Appointment,
            {
                "participant_id": participant, "trial": trial, "site": site, "starts_at": starts,
                "timezone": "Europe/Paris", "kind": kind, "status": AppointmentStatus(status),
                "created_at": starts - dt.timedelta(days=14),
            },
        )  # fmt: skip
        if status in ("cancelled", "reschedule_requested"):
            asked = starts - dt.timedelta(days=rng.uniform(1, 3))
            request = "cancel" if status == "cancelled" else "reschedule"
            self._follow_up(key, trial, language, request, asked, appointment=appointment)
        for hours in (72, 24, 2):
            self._reminder(appointment, starts - dt.timedelta(hours=hours), status, key)

    def _reminder(self, appointment: int, due: dt.datetime, status: str, key: str) -> None:
        rng = self.rng
        row: dict[str, Any] = {
            "appointment_id": appointment, "due_at": due, "status": ReminderStatus.SCHEDULED,
            "channel": None, "attempts": 0, "sent_at": None, "last_error": None,
            "cancel_reason": None, "sends": 0, "reviewed_at": None,
        }  # fmt: skip
        channel = key.split("-", 1)[0]
        if status == "cancelled":
            row.update(status=ReminderStatus.CANCELLED, cancel_reason="appointment cancelled")
        elif due < self.now and rng.random() < 0.04:
            row.update(
                status=ReminderStatus.FAILED, attempts=5, sends=5, channel=channel,
                last_error="Forbidden: bot was blocked by the user",
                reviewed_at=None if self.now - due < dt.timedelta(days=14) else due,
            )  # fmt: skip
        elif due < self.now:
            row.update(
                status=ReminderStatus.SENT, attempts=1, sends=1, channel=channel,
                sent_at=due + dt.timedelta(seconds=rng.uniform(1, 40)),
            )  # fmt: skip
        self.site.add(Reminder, row)

    def _safety_event(
        self, key: str, channel: str, language: str, trial: str | None, created: dt.datetime
    ) -> None:
        kind, category, said = self.rng.choice(SAFETY_TEXTS)
        when = created + _minutes(self.rng, 1, 60 * 24 * 20)
        status, acknowledged = self._settled(
            when, open_for=7, share_open=0.8, closed="acknowledged"
        )
        self.site.add(
            SafetyEvent,
            {
                "kind": kind, "category": category, "sender_key": key, "channel": channel,
                "language": language, "trial": trial, "text": self.cipher.encrypt(said),
                "status": status, "created_at": min(when, self.now),
                "acknowledged_at": acknowledged,
            },
        )  # fmt: skip

    def _handoff(
        self,
        conversation: int,
        key: str,
        channel: str,
        language: str,
        trial: str | None,
        created: dt.datetime,
    ) -> None:
        rng = self.rng
        when = min(self.now, created + _minutes(rng, 1, 60 * 24 * 20))
        status, closed = self._settled(when, open_for=10, share_open=0.7, closed="closed")
        said = rng.choice(HANDOFF_TEXTS)
        handoff = self.site.add(
            Handoff,
            {
                "sender_key": key, "conversation_id": conversation, "channel": channel,
                "language": language, "trial": trial,
                "reason": "asked" if rng.random() < 0.7 else "misunderstood",
                "summary": self.cipher.encrypt(said), "status": status, "created_at": when,
                "closed_at": closed, "closed_by": "staff" if closed else None,
            },
        )  # fmt: skip
        messages: list[tuple[str, str, str | None]] = [("patient", said, None)]
        messages += [("patient", "Merci de me rappeler", None)] * rng.randint(0, 2)
        if closed:
            messages.append(("staff", "We called you back this morning.", "sent"))
        for n, (author, words, delivery) in enumerate(messages):
            self.site.add(
                HandoffMessage,
                {
                    "handoff_id": handoff, "author": author, "text": self.cipher.encrypt(words),
                    "created_at": when + dt.timedelta(minutes=n), "delivery": delivery,
                    "attempts": 1 if delivery else 0, "next_attempt_at": None,
                    "claimed_until": None, "claim_token": None, "last_error": None,
                    "sent_at": when + dt.timedelta(minutes=n) if delivery else None,
                },
            )  # fmt: skip

    def _feedback(self, key: str, language: str, created: dt.datetime) -> None:
        self.site.add(
            AnswerFeedback,
            {
                "sender_key": key, "entry_id": self.rng.choice(self.entry_ids),
                "language": language, "helpful": self.rng.random() < 0.78,
                "created_at": min(self.now, created + _minutes(self.rng, 1, 60 * 24 * 10)),
            },
        )  # fmt: skip

    # The questions nobody had an answer for.

    def unanswered(self, count: int) -> None:
        topics = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
        weights = [1 / (rank + 1) ** 0.8 for rank in range(len(topics))]
        rng = self.rng
        near = {topic["topic"]: rng.sample(self.entry_ids, rng.randint(1, 3)) for topic in topics}
        for _ in range(count):
            topic = rng.choices(topics, weights)[0]
            key, language, trial = rng.choice(self.people)
            self.site.questions.append(
                {
                    "sender_key": key, "language": language, "trial": trial,
                    "text": _vary(rng, rng.choice(topic[language]), language),
                    "tried": [(e, round(rng.uniform(0.25, 0.55), 3)) for e in near[topic["topic"]]],
                    "created_at": self.now - dt.timedelta(days=DAYS * rng.random() ** 1.3),
                }
            )  # fmt: skip


# Drawing ----------------------------------------------------------------------------------------

_YES = {
    "diagnosed_6_months": 0.9, "metformin": 0.75, "insulin": 0.2, "dialysis": 0.03,
    "pregnant_or_breastfeeding": 0.05, "copd": 0.1, "controller_inhaler": 0.7,
    "hospitalised_3_months": 0.08, "smoker": 0.2,
}  # fmt: skip
_CHOICES = {
    "diabetes_type": {"type_2": 0.8, "type_1": 0.1, "other_or_unsure": 0.1},
    "asthma_diagnosis": {"over_12_months": 0.75, "under_12_months": 0.1, "not_diagnosed": 0.15},
    "sex": {"female": 0.5, "male": 0.5},
}


def _draw(rng: random.Random, question: Question) -> Answer:
    """An answer as people give them: mostly plausible, sometimes "don't know"."""
    if question.type == "yes_no":
        return rng.random() < _YES.get(question.id, 0.3)
    if question.type == "choice":
        weights = _CHOICES.get(question.id) or dict.fromkeys(question.options, 1.0)
        return _pick(rng, weights)
    if question.id == "hba1c" and rng.random() < 0.15:
        return None  # "I don't know": the site checks it at screening
    low, high = question.min or 0, question.max or 100
    if question.id == "age":
        value = rng.triangular(18, 85, 55)
    elif question.id == "hba1c":
        value = rng.gauss(8.2, 1.4)
    elif question.id == "steroid_courses":
        value = rng.choice((0, 0, 1, 1, 1, 2, 2, 3, 4, 6))
    else:
        value = rng.uniform(low, high)
    value = min(max(value, low), high)
    return int(value) if question.type == "integer" else round(value, 1)


_GREETINGS = {
    "en": ("hi, ", "hello ", "quick question: ", "sorry to bother you, ", "one more thing, "),
    "fr": ("bonjour, ", "salut ", "petite question : ", "excusez-moi, ", "encore une question, "),
}
_ENDINGS = {"en": (" thanks", " please", "??", "."), "fr": (" merci", " svp", " ??", ".")}


def _vary(rng: random.Random, words: str, language: str) -> str:
    """The same question as different people type it."""
    if rng.random() < 0.35:
        words = rng.choice(_GREETINGS[language]) + words[0].lower() + words[1:]
    if rng.random() < 0.3:
        words = words.rstrip(" ?") + rng.choice(_ENDINGS[language])
    if rng.random() < 0.25:
        words = words.lower()
    if rng.random() < 0.12:
        at = rng.randrange(1, max(2, len(words) - 2))
        words = words[:at] + words[at + 1] + words[at] + words[at + 2 :]  # a slip of the thumb
    return words


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def _minutes(rng: random.Random, low: int, high: int) -> dt.timedelta:
    return dt.timedelta(minutes=rng.randint(low, high))
