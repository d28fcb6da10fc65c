"""Whether a reminder may go out: checked when it is cancelled and again at the moment of sending.

A reminder needs a chat bound to the participant, the participant's consent to reminders (the
version in effect), and messages not stopped. Withdrawal, "stop" and erasure cancel the
participant's scheduled reminders at once; the check at send time catches any that a race let
through.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.checkins import planning as checkins
from bot.consent.service import has_consent
from bot.consent.texts import LoadedConsents
from bot.db.models import (
    Appointment,
    Conversation,
    Participant,
    Reminder,
    ReminderStatus,
)

CONSENT = "reminders"


def cancel_for(session: Session, sender_key: str, reason: str) -> int:
    """Cancel the scheduled reminders of every participant bound to this chat, and their
    check-ins to come or waiting for answers; how many reminders."""
    checkins.cancel_for(session, sender_key, reason)
    appointments = (
        select(Appointment.id)
        .join(Participant, Participant.id == Appointment.participant_id)
        .where(Participant.sender_key == sender_key)
    )
    result = session.execute(
        update(Reminder)
        .where(
            Reminder.appointment_id.in_(appointments),
            Reminder.status == ReminderStatus.SCHEDULED,
        )
        .values(status=ReminderStatus.CANCELLED, cancel_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def unlink(session: Session, sender_key: str) -> int:
    """Forget which chat the participants were bound to (erasure); how many."""
    result = session.execute(
        update(Participant)
        .where(Participant.sender_key == sender_key)
        .values(sender_key=None, linked_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def refusal(session: Session, texts: LoadedConsents, reminder: Reminder) -> str | None:
    """Why `reminder` must not be sent now, or None when it may."""
    if reminder.status != ReminderStatus.SCHEDULED:
        return f"reminder is {reminder.status}"
    participant = session.scalar(
        select(Participant)
        .join(Appointment, Appointment.participant_id == Participant.id)
        .where(Appointment.id == reminder.appointment_id)
    )
    return may_write(session, texts, participant)


def may_write(
    session: Session, texts: LoadedConsents, participant: Participant | None
) -> str | None:
    """Why nothing may be sent to `participant` of the assistant's own accord (a reminder, a
    check-in), or None when it may."""
    if participant is None or participant.sender_key is None:
        return "no chat is bound to the participant"
    stopped = session.scalar(
        select(Conversation.messages_stopped_at).where(
            Conversation.sender_key == participant.sender_key
        )
    )
    if stopped is not None:
        return "the participant stopped messages"
    if not has_consent(session, texts, participant.sender_key, CONSENT):
        return "no consent to reminders (or not to the version in effect)"
    return None
