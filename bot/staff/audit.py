"""The audit log of staff actions: who did what, to what, when, from where."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import StaffAudit, as_utc


def record(
    session: Session,
    actor: str,
    action: str,
    *,
    subject: str | None = None,
    address: str | None = None,
    **detail: Any,
) -> None:
    """Written in the transaction of the action itself: both are kept, or neither."""
    session.add(
        StaffAudit(
            actor=actor[:254],
            action=action[:48],
            subject=subject[:120] if subject else None,
            detail=detail,
            address=(address or None) and address[:64],
        )
    )


def handoff_delivered(
    sessions: sessionmaker[Session],
    actor: str,
    action: str,
    handoff_id: int,
    delivery: str,
    *,
    address: str | None = None,
    **detail: Any,
) -> None:
    """A staff answer or closing of a handoff, recorded once `HandoffDelivery` has kept it (it
    commits in transactions of its own), with how its delivery went."""
    with sessions.begin() as session:
        record(
            session, actor, action, subject=f"handoff:{handoff_id}", address=address,
            delivery=delivery, **detail,
        )  # fmt: skip


def entries(
    session: Session,
    *,
    actor: str | None = None,
    since: dt.datetime | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """The newest first."""
    query = select(StaffAudit).order_by(StaffAudit.at.desc(), StaffAudit.id.desc()).limit(limit)
    if actor:
        query = query.where(StaffAudit.actor == actor.strip().lower())
    if since is not None:
        query = query.where(StaffAudit.at >= since)
    return [
        {
            "at": as_utc(row.at).isoformat(timespec="seconds"),
            "actor": row.actor,
            "action": row.action,
            "subject": row.subject,
            "detail": row.detail,
            "address": row.address,
        }
        for row in session.scalars(query)
    ]
