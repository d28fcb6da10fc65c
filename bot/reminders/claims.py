"""Which dispatcher sends which due reminder: the reminders' outbox (bot.outbox).

A dispatcher claims a batch, the oldest due first, for a short lease, sends them one by one and
records each as sent; if it dies between sending and recording, the lease runs out and another
dispatcher sends that reminder again: at most one duplicate, never a loss.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, Select, and_
from sqlalchemy.orm import Session

from bot.db.models import Reminder, ReminderStatus
from bot.outbox import Outbox


def outbox(lease: dt.timedelta) -> Outbox:
    return Outbox(Reminder, lease, Reminder.due_at)


def _ready(now: dt.datetime) -> ColumnElement[bool]:
    return and_(Reminder.status == ReminderStatus.SCHEDULED, Reminder.due_at <= now)


def due_query(now: dt.datetime, limit: int) -> Select[tuple[int]]:
    """Due reminders nobody holds, oldest due first; ix_reminders_status_due_at serves it."""
    return outbox(dt.timedelta(0)).due(_ready(now), now, limit=limit)


def claim_due(
    session: Session, now: dt.datetime, *, limit: int = 50, lease: dt.timedelta
) -> tuple[str, list[int]]:
    """Claim up to `limit` due reminders for `lease`; the claim's token and the rows it got."""
    return outbox(lease).claim(session, _ready(now), now, limit=limit)
