"""The audit log of staff actions: who did what, to what, when, from where."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

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
