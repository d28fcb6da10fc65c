"""What the knowledge base could not answer, and what people thought of its answers."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.crypto import Cipher, DecryptionError
from bot.db.models import AnswerFeedback, UnansweredQuestion, as_utc
from bot.knowledge.index import Candidate


def record_unanswered(
    session: Session,
    *,
    cipher: Cipher,
    sender_key: str,
    text: str,
    language: str,
    reason: str,
    candidates: list[Candidate],
    trial: str | None = None,
) -> None:
    session.add(
        UnansweredQuestion(
            sender_key=sender_key,
            text=cipher.encrypt(text),
            language=language,
            reason=reason,
            candidates=[
                {"entry_id": c.entry.id, "score": round(c.score, 3)} for c in candidates[:3]
            ],
            trial=trial,
        )
    )


def record_feedback(
    session: Session, *, sender_key: str, entry_id: str, language: str, helpful: bool
) -> None:
    session.add(
        AnswerFeedback(sender_key=sender_key, entry_id=entry_id, language=language, helpful=helpful)
    )


@dataclass(frozen=True)
class Asked:
    """One unanswered question, decrypted."""

    text: str
    language: str
    created_at: datetime
    candidates: list[dict[str, Any]]  # [{"entry_id": "cost", "score": 0.41}, …]
    trial: str | None


@dataclass(frozen=True)
class Gap:
    text: str
    language: str
    count: int
    last_asked: datetime


def asked(
    session: Session, cipher: Cipher, *, since: datetime | None = None, limit: int = 5000
) -> list[Asked]:
    """The latest unanswered questions, newest first; those no configured key opens are left out."""
    query = select(UnansweredQuestion).order_by(
        UnansweredQuestion.created_at.desc(), UnansweredQuestion.id.desc()
    )
    if since is not None:
        query = query.where(UnansweredQuestion.created_at >= since)
    questions = []
    for row in session.scalars(query.limit(limit)):
        try:
            text = cipher.decrypt(row.text)
        except DecryptionError:
            continue
        questions.append(
            Asked(text, row.language, as_utc(row.created_at), list(row.candidates), row.trial)
        )
    return questions


def same_words(question: Asked) -> tuple[str, str]:
    """What makes two questions one wording: the same words in any case, in one language."""
    return " ".join(question.text.lower().split()), question.language


def top_unanswered(session: Session, cipher: Cipher, *, limit: int = 10) -> list[Gap]:
    """The questions asked most often without an answer (same words, any case), newest first."""
    counts: Counter[tuple[str, str]] = Counter()
    shown: dict[tuple[str, str], Asked] = {}
    for question in asked(session, cipher):
        key = same_words(question)
        counts[key] += 1
        shown.setdefault(key, question)
    return [
        Gap(text=shown[key].text, language=key[1], count=count, last_asked=shown[key].created_at)
        for key, count in counts.most_common(limit)
    ]
