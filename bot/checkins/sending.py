"""Check-ins in the outbox: the dispatcher sends them as it sends reminders (a kind of its own,
bot.reminders.dispatcher.Kind), with the same claim, lease, retries and dead letters.

At the moment of sending, a check-in goes only:
- with a chat bound to the participant, their messages not stopped, and their consent to
  reminders in force (the version in effect): the consent that covers messages the assistant
  sends of its own accord; else it is cancelled with the reason;
- outside the participant's quiet hours (21:00 to 08:00 in their time zone): else it is due
  again at their end;
- while no other check-in of theirs waits for answers, nor a side effect's follow-up: else an
  hour later, so that two sets of questions never interleave;
- before its answers close: else it is cancelled ("too late to send").
Its first message says what it is and asks its first question; the row then waits for the
answers (`step`), which the gateway reads (bot.checkins.asking).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy.orm import Session

from bot import conversations
from bot.channels.base import Purpose
from bot.checkins import asking
from bot.consent.service import ConsentTexts
from bot.db.models import (
    Checkin,
    CheckinStatus,
    Participant,
    as_utc,
)
from bot.reminders.kind import Later, Prepared
from bot.reminders.permission import may_write
from bot.reminders.plan import in_quiet_hours, quiet_hours_end, zone_of
from bot.safety import asking as follow_up
from bot.trials import Catalogue

# How long a check-in waits while other questions have the person's attention.
BUSY_WAIT = dt.timedelta(hours=1)


class Checkins:
    what = "check-in"
    model = Checkin
    statuses: type[enum.StrEnum] = CheckinStatus
    purpose: Purpose = "checkin"

    def __init__(self, consents: ConsentTexts, trials: Catalogue) -> None:
        self._consents, self._trials = consents, trials

    def prepare(self, session: Session, row: Any, now: dt.datetime) -> Prepared | Later | str:
        checkin: Checkin = row
        if as_utc(checkin.closes_at) <= now:
            return "too late to send"
        trial = self._trials.get().get(checkin.trial)
        planned = trial.checkins.get(checkin.checkin) if trial and trial.checkins else None
        if trial is None or planned is None or not planned.questions:
            return "no longer in checkins.yml"
        participant = session.get(Participant, checkin.participant_id)
        why = may_write(session, self._consents.get(), participant)
        if why is not None:
            return why
        assert participant is not None and participant.sender_key is not None
        zone = zone_of(participant.timezone)
        if in_quiet_hours(now, zone):
            return Later(quiet_hours_end(now, zone))
        if _busy(session, participant.sender_key, checkin.id, now):
            return Later(now + BUSY_WAIT)
        conversation = conversations.by_sender_key(session, participant.sender_key)
        if conversation is None:
            return "no conversation"
        reply = asking.opening(planned, trial, conversation.language)
        return Prepared(conversation, reply, {"step": planned.questions[0].id})


def _busy(session: Session, sender_key: str, checkin_id: int, now: dt.datetime) -> bool:
    """Whether other questions wait for the person's answers: another check-in, a follow-up."""
    other = asking.open_for(session, sender_key, now)
    return (other is not None and other.id != checkin_id) or follow_up.open_for(
        session, sender_key
    ) is not None
