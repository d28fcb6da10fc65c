"""What staff see of pre-screenings and of what they must follow up, as plain rows."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.crypto import Cipher
from bot.db.models import FollowUp, Screening
from bot.screening import store


def screenings(
    session: Session, cipher: Cipher, *, outcome: str | None = None, answers: bool = False
) -> list[dict[str, Any]]:
    """Newest first. Answers are health data: decrypted only when asked for (the reasons, which
    say which criteria were met, always: they say why the outcome)."""
    query = select(Screening).order_by(Screening.id.desc())
    if outcome:
        query = query.where(Screening.outcome == outcome)
    rows = []
    for row in session.scalars(query):
        item: dict[str, Any] = {
            "id": row.id,
            "participant": row.sender_key,
            "trial": row.trial,
            "criteria_version": row.criteria_version,
            "outcome": row.outcome,
            "reasons": store.reasons(cipher, row),
            "next_question": store.next_question(cipher, row),
            "campaign": row.campaign,
            "started_at": _iso(row.started_at),
            "completed_at": _iso(row.completed_at),
        }
        if answers:
            item["answers"] = json.loads(cipher.decrypt(row.answers))
        rows.append(item)
    return rows


def follow_ups(
    session: Session, cipher: Cipher, *, everything: bool = False
) -> list[dict[str, Any]]:
    """The open ones (all with `everything`), oldest first: the team works through them in order."""
    query = select(FollowUp).order_by(FollowUp.id)
    if not everything:
        query = query.where(FollowUp.status == "open")
    return [
        {
            "id": row.id,
            "kind": row.kind,
            "participant": row.sender_key,
            "trial": row.trial,
            "screening": row.screening_id,
            "appointment": row.appointment_id,
            "preferred_time": row.preferred_time,
            "channel": row.channel,
            "phone": cipher.decrypt(row.phone) if row.phone else None,
            "language": row.language,
            "status": row.status,
            "created_at": _iso(row.created_at),
        }
        for row in session.scalars(query)
    ]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
