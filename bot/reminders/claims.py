"""Which dispatcher sends which due reminder: short leases, taken atomically, never two at once.

A dispatcher claims a batch (the oldest due first) by writing its token and a lease time on each
row, then sends them and records each as sent. If it dies between sending and recording, the
lease runs out and another dispatcher sends that reminder again: at most one duplicate, never a
loss. On PostgreSQL the selection skips rows another dispatcher is claiming (`FOR UPDATE SKIP
LOCKED`); on both engines the claim itself re-checks the lease, so a row is held by one only.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ColumnElement, Select, or_, select, update
from sqlalchemy.orm import Session

from bot.db.models import Reminder, ReminderStatus


def due_query(now: dt.datetime, limit: int) -> Select[int]:
    """Due reminders nobody holds, oldest due first; ix_reminders_status_due_at serves it."""
    return (
        select(Reminder.id)
        .where(
            Reminder.status == ReminderStatus.SCHEDULED,
            Reminder.due_at <= now,
            _free(now),
        )
        .order_by(Reminder.due_at)
        .limit(limit)
    )


def claim_due(
    session: Session, now: dt.datetime, *, limit: int = 50, lease: dt.timedelta
) -> tuple[str, list[int]]:
    """Claim up to `limit` due reminders for `lease`; the claim's token and the rows it got."""
    token = uuid.uuid4().hex
    query = due_query(now, limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    candidates = list(session.scalars(query))
    if not candidates:
        return token, []
    session.execute(
        update(Reminder)
        .where(Reminder.id.in_(candidates), _free(now))
        .values(claimed_until=now + lease, claim_token=token, attempts=Reminder.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    held = select(Reminder.id).where(Reminder.claim_token == token).order_by(Reminder.due_at)
    return token, list(session.scalars(held))


def _free(now: dt.datetime) -> ColumnElement[bool]:
    return or_(Reminder.claimed_until.is_(None), Reminder.claimed_until < now)
