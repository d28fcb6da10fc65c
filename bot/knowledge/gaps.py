"""What the knowledge base could not answer, and what people thought of its answers."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.crypto import Cipher, DecryptionError
from bot.db.models import AnswerFeedback, UnansweredQuestion
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
class Gap:
    text: str
    language: str
    count: int
    last_asked: datetime


def top_unanswered(session: Session, cipher: Cipher, *, limit: int = 10) -> list[Gap]:
    """The questions asked most often without an answer (same words, any case), newest first."""
    rows = session.scalars(
        select(UnansweredQuestion).order_by(UnansweredQuestion.created_at.desc()).limit(5000)
    )
    counts: Counter[tuple[str, str]] = Counter()
    shown: dict[tuple[str, str], tuple[str, datetime]] = {}
    for row in rows:
        try:
            text = cipher.decrypt(row.text)
        except DecryptionError:
            continue
        key = (" ".join(text.lower().split()), row.language)
        counts[key] += 1
        shown.setdefault(key, (text, row.created_at))
    return [
        Gap(text=shown[key][0], language=key[1], count=count, last_asked=shown[key][1])
        for key, count in counts.most_common(limit)
    ]
