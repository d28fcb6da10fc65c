"""What the dispatcher needs of each kind of message it sends (reminders, check-ins)."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bot.channels.base import Purpose, Reply
from bot.db.models import Conversation


@dataclass(frozen=True)
class Prepared:
    """What to send for one row, where, and what to record on it once sent."""

    conversation: Conversation
    reply: Reply
    recorded: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Later:
    """Not now: due again at `until` (quiet hours, other questions still open)."""

    until: dt.datetime


class Kind(Protocol):
    """One kind of message in the outbox: its table (`id`, `status`, `due_at`, and the claim
    and send columns of `Reminder`) and what a row sends."""

    what: str  # "reminder", "check-in": for logs
    model: Any
    statuses: type[enum.StrEnum]  # with SCHEDULED, SENT, FAILED, CANCELLED
    purpose: Purpose

    def prepare(self, session: Session, row: Any, now: dt.datetime) -> Prepared | Later | str:
        """The message, a later moment, or why the row may not go (it is then cancelled)."""
        ...
