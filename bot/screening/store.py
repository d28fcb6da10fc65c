"""Screenings in the database: answers, reasons and next question encrypted, the outcome kept,
resumable.

No answer is stored without the person's consent to pre-screening (the version in effect):
`start` refuses, and so does `answer`, so a withdrawal between two questions stops it too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.consent.service import has_consent
from bot.consent.texts import LoadedConsents
from bot.crypto import Cipher
from bot.db.models import Conversation, FollowUp, Screening, utcnow
from bot.screening.criteria import Answer, Criteria
from bot.screening.evaluate import Answers, Result, evaluate, validate

CONSENT = "prescreening"
STOPPED = "stopped"


class NoConsent(Exception):
    """The person has not agreed (or no longer agrees) to the processing of their answers."""


@dataclass(frozen=True)
class Progress:
    screening_id: int
    result: Result
    answers: Answers
    resumed: bool = False  # an unfinished screening of this trial was found and continued


def start(
    session: Session,
    cipher: Cipher,
    texts: LoadedConsents,
    sender_key: str,
    criteria: Criteria,
) -> Progress:
    """The person's unfinished screening for this trial, or a new one; where it stands."""
    _require_consent(session, texts, sender_key)
    screening = session.scalar(
        select(Screening)
        .where(
            Screening.sender_key == sender_key,
            Screening.trial == criteria.trial,
            Screening.completed_at.is_(None),
        )
        .order_by(Screening.id.desc())
        .limit(1)
    )
    resumed = screening is not None
    if screening is None:
        campaign = session.scalar(
            select(Conversation.campaign).where(Conversation.sender_key == sender_key)
        )
        screening = Screening(
            sender_key=sender_key,
            trial=criteria.trial,
            criteria_version=criteria.version,
            # A question answered earlier in the conversation, for this trial or another, is
            # not asked again.
            answers=cipher.encrypt(
                json.dumps(known_answers(session, cipher, sender_key, criteria))
            ),
            campaign=campaign,
        )
        session.add(screening)
        session.flush()
    answers = _answers(cipher, screening)
    if screening.criteria_version != criteria.version:
        # The criteria changed during a break: keep the answers to questions that still exist.
        answers = {k: v for k, v in answers.items() if criteria.question(k) is not None}
        screening.criteria_version = criteria.version
    progress = _save(screening, cipher, criteria, answers)
    return replace(progress, resumed=resumed)


def answer(
    session: Session,
    cipher: Cipher,
    texts: LoadedConsents,
    screening_id: int,
    criteria: Criteria,
    given: dict[str, Answer],
) -> Progress:
    """Record answers (one, or several read from one message) and evaluate again."""
    screening = session.get(Screening, screening_id)
    if screening is None or screening.completed_at is not None:
        raise LookupError(f"screening {screening_id} is not open")
    _require_consent(session, texts, screening.sender_key)
    answers = {**_answers(cipher, screening), **given}
    return _save(screening, cipher, criteria, answers)


def known_answers(session: Session, cipher: Cipher, sender_key: str, criteria: Criteria) -> Answers:
    """The person's latest answers, from any earlier screening, to questions these criteria ask.

    A question counts as the same when it has the same id and the answer fits it (type, options,
    range): "age" is asked once whichever trial comes first.
    """
    known: Answers = {}
    rows = session.scalars(
        select(Screening).where(Screening.sender_key == sender_key).order_by(Screening.id)
    )
    for row in rows:
        known.update(_answers(cipher, row))
    return {
        question_id: value
        for question_id, value in known.items()
        if criteria.question(question_id) is not None
        and not validate(criteria, {question_id: value})
    }


def latest(session: Session, sender_key: str, trial: str | None = None) -> Screening | None:
    """The person's most recently updated screening (for this trial, when given)."""
    query = select(Screening).where(Screening.sender_key == sender_key)
    if trial:
        query = query.where(Screening.trial == trial)
    return session.scalar(query.order_by(Screening.updated_at.desc(), Screening.id.desc()).limit(1))


def follow_up(
    session: Session,
    cipher: Cipher,
    screening: Screening,
    kind: str,
    language: str,
    *,
    preferred_time: str | None = None,
    channel: str | None = None,
    phone: str | None = None,
) -> FollowUp:
    """Record what the study team must do next for this screening: `contact` or `review`.

    One of the same kind still open is brought up to date, not doubled: asked twice (or recorded
    again by an action run a second time), the team still owes the person one call."""
    record = session.scalar(
        select(FollowUp).where(
            FollowUp.screening_id == screening.id,
            FollowUp.kind == kind,
            FollowUp.status == "open",
        )
    )
    if record is None:
        record = FollowUp(
            sender_key=screening.sender_key,
            trial=screening.trial,
            screening_id=screening.id,
            kind=kind,
        )
        session.add(record)
    record.preferred_time = preferred_time
    record.channel = channel
    record.phone = cipher.encrypt(phone) if phone else None
    record.language = language
    session.flush()
    return record


def withdraw(session: Session, sender_key: str) -> None:
    """Consent withdrawn: open screenings close, and nobody calls the person back."""
    stop(session, sender_key)
    session.execute(
        update(FollowUp)
        .where(
            FollowUp.sender_key == sender_key,
            FollowUp.kind == "contact",
            FollowUp.status == "open",
        )
        .values(status="cancelled", closed_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def stop(session: Session, sender_key: str) -> int:
    """Close the person's unfinished screenings (they left the form or withdrew); how many."""
    result = session.execute(
        update(Screening)
        .where(Screening.sender_key == sender_key, Screening.completed_at.is_(None))
        .values(outcome=STOPPED, completed_at=utcnow(), next_question=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def erase(session: Session, sender_key: str) -> int:
    session.execute(delete(FollowUp).where(FollowUp.sender_key == sender_key))
    result = session.execute(delete(Screening).where(Screening.sender_key == sender_key))
    return int(getattr(result, "rowcount", 0) or 0)


def _require_consent(session: Session, texts: LoadedConsents, sender_key: str) -> None:
    if not has_consent(session, texts, sender_key, CONSENT):
        raise NoConsent(sender_key)


def reasons(cipher: Cipher, screening: Screening) -> list[dict[str, Any]]:
    """Which criteria were met, not met, or unknown ([] before the first evaluation)."""
    if not screening.reasons:
        return []
    stored: list[dict[str, Any]] = cipher.decrypt_json(screening.reasons)
    return stored


def next_question(cipher: Cipher, screening: Screening) -> str | None:
    """The question the screening waits at (None once it reached an outcome or stopped)."""
    return cipher.decrypt(screening.next_question) if screening.next_question else None


def _answers(cipher: Cipher, screening: Screening) -> Answers:
    stored: Answers = json.loads(cipher.decrypt(screening.answers))
    return stored


def _save(screening: Screening, cipher: Cipher, criteria: Criteria, answers: Answers) -> Progress:
    result = evaluate(criteria, answers)
    screening.answers = cipher.encrypt(json.dumps(answers, sort_keys=True))
    screening.outcome = result.outcome
    # Which criteria were met, and which question comes next, tell the answers: encrypted too.
    screening.reasons = cipher.encrypt_json([reason.to_json() for reason in result.reasons])
    screening.next_question = cipher.encrypt(result.next_question) if result.next_question else None
    screening.updated_at = utcnow()
    if result.outcome != "incomplete":
        screening.completed_at = screening.updated_at
    return Progress(screening.id, result, answers)
