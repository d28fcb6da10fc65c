"""Screenings in the database: answers encrypted, outcome and reasons kept, resumable.

No answer is stored without the person's consent to pre-screening (the version in effect):
`start` refuses, and so does `answer`, so a withdrawal between two questions stops it too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.consent.service import has_consent
from bot.consent.texts import LoadedConsents
from bot.crypto import Cipher
from bot.db.models import Conversation, Screening, utcnow
from bot.screening.criteria import Answer, Criteria
from bot.screening.evaluate import Answers, Result, evaluate

CONSENT = "prescreening"
STOPPED = "stopped"


class NoConsent(Exception):
    """The person has not agreed (or no longer agrees) to the processing of their answers."""


@dataclass(frozen=True)
class Progress:
    screening_id: int
    result: Result
    answers: Answers


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
    if screening is None:
        campaign = session.scalar(
            select(Conversation.campaign).where(Conversation.sender_key == sender_key)
        )
        screening = Screening(
            sender_key=sender_key,
            trial=criteria.trial,
            criteria_version=criteria.version,
            answers=cipher.encrypt("{}"),
            campaign=campaign,
        )
        session.add(screening)
        session.flush()
    answers = _answers(cipher, screening)
    if screening.criteria_version != criteria.version:
        # The criteria changed during a break: keep the answers to questions that still exist.
        answers = {k: v for k, v in answers.items() if criteria.question(k) is not None}
        screening.criteria_version = criteria.version
    return _save(screening, cipher, criteria, answers)


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
    result = session.execute(delete(Screening).where(Screening.sender_key == sender_key))
    return int(getattr(result, "rowcount", 0) or 0)


def _require_consent(session: Session, texts: LoadedConsents, sender_key: str) -> None:
    if not has_consent(session, texts, sender_key, CONSENT):
        raise NoConsent(sender_key)


def _answers(cipher: Cipher, screening: Screening) -> Answers:
    stored: Answers = json.loads(cipher.decrypt(screening.answers))
    return stored


def _save(screening: Screening, cipher: Cipher, criteria: Criteria, answers: Answers) -> Progress:
    result = evaluate(criteria, answers)
    screening.answers = cipher.encrypt(json.dumps(answers, sort_keys=True))
    screening.outcome = result.outcome
    screening.reasons = [reason.to_json() for reason in result.reasons]
    screening.next_question = result.next_question
    screening.updated_at = utcnow()
    if result.outcome != "incomplete":
        screening.completed_at = screening.updated_at
    return Progress(screening.id, result, answers)
