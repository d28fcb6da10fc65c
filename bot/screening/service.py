"""The pre-screening's use cases: begin or resume, answer, leave, the outcome, being contacted.

Each runs in one transaction, so a crash leaves no step half stored, and returns plain data for
the actions to word. The trials come from the catalogue, which sits above this package
(`bot.trials` reads the criteria from here): they are seen through `ScreenableTrial`, so that
nothing here imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from bot.consent.service import has_consent
from bot.consent.texts import LoadedConsents
from bot.crypto import Cipher
from bot.db.models import Screening
from bot.screening import store
from bot.screening.criteria import Criteria
from bot.screening.evaluate import evaluate
from bot.screening.parse import Unclear, extract


class ScreenableTrial(Protocol):
    """A trial whose criteria loaded, as the catalogue gives it (`bot.trials.Screenable`)."""

    @property
    def id(self) -> str: ...
    @property
    def criteria(self) -> Criteria: ...
    @property
    def condition(self) -> Mapping[str, str]: ...
    def title(self, lang: str) -> str: ...
    def named(self, lang: str) -> str: ...
    def team_phone(self, lang: str) -> str | None: ...


@dataclass(frozen=True)
class ConsentNeeded:
    """No answer is stored before a yes to the pre-screening's consent."""


@dataclass(frozen=True)
class Questions:
    """The questions go on, from the first or from where a break left them."""

    next_question: str | None
    resumed: bool


@dataclass(frozen=True)
class OtherTrial:
    """A trial the same answers do not rule out, in the person's language."""

    id: str
    title: str
    condition: str | None


@dataclass(frozen=True)
class Outcome:
    """What the answers suggest: `likely_eligible`, `needs_review` or `not_eligible`."""

    kind: str
    trial_name: str  # as it reads inside a sentence
    team_phone: str | None  # with its hours, when the trial gives a number
    others: tuple[OtherTrial, ...] = ()  # not eligible: the trials still worth checking


@dataclass(frozen=True)
class NoOutcome:
    """The questions ended without one: left, or (`unavailable`) the criteria went away."""

    unavailable: bool = False


@dataclass(frozen=True)
class Step:
    """Where an answer leaves the questions."""

    next_question: str | None
    unclear: Unclear | None = None
    no_consent: bool = False
    answered: bool = False  # the question asked was answered


@dataclass(frozen=True)
class Screenings:
    """The use cases on one database, cipher, set of consent texts and trial catalogue."""

    sessions: sessionmaker[Session]
    cipher: Cipher
    consents: Callable[[], LoadedConsents]  # read at each use: staff may publish a new text
    trials: Callable[[], Mapping[str, ScreenableTrial]]  # likewise, a trial's files may change

    def begin(
        self, sender_key: str, trial: ScreenableTrial, lang: str
    ) -> ConsentNeeded | Questions | Outcome:
        """Start or resume the trial's screening; one already decided gives its outcome again."""
        with self.sessions.begin() as session:
            try:
                progress = store.start(
                    session, self.cipher, self.consents(), sender_key, trial.criteria
                )
            except store.NoConsent:
                return ConsentNeeded()
            if progress.result.outcome != "incomplete":
                screening = session.get(Screening, progress.screening_id)
                assert screening is not None
                return self._outcome(session, sender_key, screening, lang)
        return Questions(progress.result.next_question, progress.resumed)

    def answer(
        self,
        sender_key: str,
        trial_id: str,
        question_id: str,
        text: str,
        lang: str,
        *,
        keep: bool = True,
    ) -> Step:
        """Read the answer and store it; with `keep` false, only say whether it would be read."""
        trial = self.trials().get(trial_id)
        if trial is None:  # its criteria were removed or broken meanwhile: the outcome says so
            return Step(None)
        criteria = trial.criteria
        with self.sessions.begin() as session:
            try:
                progress = store.start(session, self.cipher, self.consents(), sender_key, criteria)
            except store.NoConsent:
                return Step(None, no_consent=True)
            question = criteria.question(question_id)
            if progress.result.outcome != "incomplete" or question is None:
                # The criteria changed during the question: go on from where the new ones stand.
                return Step(progress.result.next_question)
            read = extract(criteria, text, lang, question, set(progress.answers))
            if not keep:
                return Step(progress.result.next_question, answered=question.id in read.answers)
            if read.answers:
                progress = store.answer(
                    session,
                    self.cipher,
                    self.consents(),
                    progress.screening_id,
                    criteria,
                    read.answers,
                )
        return Step(progress.result.next_question, read.unclear if not read.answers else None)

    def stop(self, sender_key: str) -> None:
        """The person left the questions: their unfinished screenings close."""
        with self.sessions.begin() as session:
            store.stop(session, sender_key)

    def outcome(self, sender_key: str, trial_id: str | None, lang: str) -> Outcome | NoOutcome:
        """The outcome of the person's latest screening (for this trial, when given)."""
        with self.sessions.begin() as session:
            screening = store.latest(session, sender_key, trial_id)
            if screening is None or screening.outcome == store.STOPPED:
                return NoOutcome()
            if screening.outcome == "incomplete":
                return NoOutcome(unavailable=True)
            return self._outcome(session, sender_key, screening, lang)

    def record_contact(
        self,
        sender_key: str,
        trial_id: str | None,
        lang: str,
        *,
        when: str,
        how: str,
        phone: str | None,
    ) -> bool:
        """Ask the study team to contact the person; false without a screening or their yes."""
        with self.sessions.begin() as session:
            screening = store.latest(session, sender_key, trial_id)
            if screening is None or not has_consent(
                session, self.consents(), sender_key, "contact"
            ):
                return False
            store.follow_up(
                session,
                self.cipher,
                screening,
                "contact",
                lang,
                preferred_time=when,
                channel=how,
                phone=phone if how == "phone" else None,
            )
        return True

    def _outcome(
        self, session: Session, sender_key: str, screening: Screening, lang: str
    ) -> Outcome:
        """A decided screening's outcome; one that needs review is put before the team."""
        trials = self.trials()
        trial = trials.get(screening.trial)
        others: list[OtherTrial] = []
        if screening.outcome == "not_eligible":
            others = self._others(session, sender_key, trials, screening.trial, lang)
        elif screening.outcome == "needs_review":
            store.follow_up(session, self.cipher, screening, "review", lang)
        return Outcome(
            kind=screening.outcome,
            trial_name=trial.named(lang) if trial else screening.trial,
            team_phone=trial.team_phone(lang) if trial else None,
            others=tuple(others),
        )

    def _others(
        self,
        session: Session,
        sender_key: str,
        trials: Mapping[str, ScreenableTrial],
        current: str,
        lang: str,
    ) -> list[OtherTrial]:
        """Other trials whose criteria the same answers do not rule out."""
        found = []
        for trial in trials.values():
            if trial.id == current:
                continue
            known = store.known_answers(session, self.cipher, sender_key, trial.criteria)
            if evaluate(trial.criteria, known).outcome != "not_eligible":
                found.append(OtherTrial(trial.id, trial.title(lang), trial.condition.get(lang)))
        return found
